//! The two subscription indexes, both prefix tries (`prefix_trie.rs`):
//!
//! - `Subscriptions` (SUB, XSUB, and XPUB's manual-mode requests): topics with reference
//!   counts (the same topic may be subscribed several times and needs as many
//!   unsubscriptions); "does any subscribed topic prefix this message?" in one walk.
//! - `Subscribers` (PUB, XPUB): for each topic, the pipes subscribed to it (a set per
//!   topic: one pipe subscribing twice is one subscription). A message is matched once
//!   for all subscribers, in time proportional to its length and the pipes it matches,
//!   not to the number of subscriptions or subscribers.

use super::prefix_trie::PrefixTrie;
use crate::pipe::{PipeId, PipeMap};

/// Topics with reference counts. Topics over `prefix_trie::MAX_TOPIC` bytes are not
/// indexed: they match nothing.
#[derive(Default)]
pub struct Subscriptions {
    trie: PrefixTrie,
}

impl Subscriptions {
    /// Add a reference; true if the topic is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        self.trie
            .entry(topic, |n| {
                *n = n.saturating_add(1);
                *n == 1
            })
            .unwrap_or(false)
    }

    /// Whether `topic` itself (not a prefix of it) is subscribed.
    pub fn contains(&self, topic: &[u8]) -> bool {
        self.trie.get(topic) > 0
    }

    /// Add `topic` once: a set, not a count. True if it was not there.
    pub fn insert(&mut self, topic: &[u8]) -> bool {
        !self.contains(topic) && self.add(topic)
    }

    /// Drop a reference; true if the topic is now gone.
    pub fn remove(&mut self, topic: &[u8]) -> bool {
        let drop_one = |n: &mut u32| {
            if *n == 0 {
                return false;
            }
            *n -= 1;
            *n == 0
        };
        self.trie.update(topic, drop_one) == Some(true)
    }

    /// Whether some subscribed prefix matches `data`.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.trie.any_prefix(data)
    }

    /// Whether matching may miss the cache, so that `prefetch` is worth calling.
    #[inline]
    pub fn is_large(&self) -> bool {
        self.trie.is_large()
    }

    /// Warm the cache for matching `data` soon (see `PrefixTrie::prefetch_prefixes`).
    pub fn prefetch(&self, data: &[u8]) {
        self.trie.prefetch_prefixes(data)
    }

    /// Every distinct topic once, in byte order.
    pub fn topics(&self) -> Vec<Vec<u8>> {
        self.trie.keys()
    }

    /// Every topic with its count, then forget them all.
    pub fn drain(&mut self) -> Vec<(Vec<u8>, u32)> {
        let out = self.trie.entries();
        self.trie.clear();
        out
    }
}

/// A `Subscribers` trie value: 0 for nothing, `SINGLE | n` for a topic only the pipe
/// numbered `n` subscribes to (most topics: matching it reads no set, only the short
/// array of the socket's pipes), else 1 + the index of its set of pipes in `sets`.
const SINGLE: u32 = 1 << 31;

/// A pipe known to `Subscribers`: how many topics it has, and its number.
struct Subscriber {
    topics: usize,
    number: u32,
}

/// Topic → the pipes subscribed to it, for PUB/XPUB (see `SINGLE` for the trie's
/// values).
#[derive(Default)]
pub struct Subscribers {
    trie: PrefixTrie,
    /// Sets of pipes (sorted) of topics that have had more than one subscriber; a set
    /// stays a set down to one pipe, and an emptied one is freed.
    sets: Vec<Vec<PipeId>>,
    /// Slots of `sets` free for reuse.
    free_sets: Vec<u32>,
    /// Every known pipe (a pipe with no topics leaves without a walk over the trie).
    pipes: PipeMap<Subscriber>,
    /// The pipes by number, and numbers free for reuse.
    numbered: Vec<PipeId>,
    free_numbers: Vec<u32>,
}

impl Subscribers {
    /// Whether matching may miss the cache (see `PrefixTrie::is_large`).
    #[inline]
    pub fn is_large(&self) -> bool {
        self.trie.is_large()
    }

    /// Warm the cache for matching `data` soon (see `PrefixTrie::prefetch_prefixes`).
    #[inline]
    pub fn prefetch(&self, data: &[u8]) {
        self.trie.prefetch_prefixes(data)
    }

    pub fn attach(&mut self, id: PipeId) {
        if self.pipes.contains_key(&id) {
            return;
        }
        let number = match self.free_numbers.pop() {
            Some(n) => {
                self.numbered[n as usize] = id;
                n
            }
            None => {
                self.numbered.push(id);
                (self.numbered.len() - 1) as u32
            }
        };
        self.pipes.insert(id, Subscriber { topics: 0, number });
    }

    pub fn has_pipe(&self, id: PipeId) -> bool {
        self.pipes.contains_key(&id)
    }

    pub fn pipes(&self) -> impl Iterator<Item = PipeId> + '_ {
        self.pipes.keys().copied()
    }

    /// Subscribe a known pipe. None: unknown pipe, already subscribed, or a topic too
    /// long to index; else whether it is the topic's first subscriber.
    pub fn add(&mut self, topic: &[u8], id: PipeId) -> Option<bool> {
        let me = self.pipes.get_mut(&id)?;
        let (sets, free_sets, numbered) = (&mut self.sets, &mut self.free_sets, &self.numbered);
        let added = self.trie.entry(topic, |slot| match *slot {
            0 => {
                *slot = SINGLE | me.number;
                Some(true)
            }
            v if v == SINGLE | me.number => None,
            v if v & SINGLE != 0 => {
                // A second subscriber: the topic gets a set.
                let other = numbered[(v & !SINGLE) as usize];
                let set = if other < id { vec![other, id] } else { vec![id, other] };
                let i = match free_sets.pop() {
                    Some(free) => {
                        sets[free as usize] = set;
                        free
                    }
                    None => {
                        sets.push(set);
                        (sets.len() - 1) as u32
                    }
                };
                *slot = 1 + i;
                Some(false)
            }
            v => {
                let set = &mut sets[v as usize - 1];
                let pos = set.binary_search(&id).err()?;
                set.insert(pos, id);
                Some(false)
            }
        })??;
        me.topics += 1;
        Some(added)
    }

    /// Unsubscribe a pipe. None if it was not subscribed; else whether it was the
    /// topic's last subscriber.
    pub fn remove(&mut self, topic: &[u8], id: PipeId) -> Option<bool> {
        let me = self.pipes.get_mut(&id)?;
        let (sets, free) = (&mut self.sets, &mut self.free_sets);
        let number = me.number;
        let last = self.trie.update(topic, |slot| remove_from_slot(sets, free, slot, id, number)).flatten()?;
        me.topics -= 1;
        Some(last)
    }

    /// Forget a pipe and its subscriptions; `gone(topic, last)` for each of them, `last`
    /// when no other pipe has the topic.
    pub fn detach(&mut self, id: PipeId, mut gone: impl FnMut(&[u8], bool)) {
        let Some(me) = self.pipes.remove(&id) else { return };
        self.free_numbers.push(me.number);
        if me.topics == 0 {
            return;
        }
        let (sets, free) = (&mut self.sets, &mut self.free_sets);
        self.trie.visit_mut(|topic, slot| {
            if let Some(last) = remove_from_slot(sets, free, slot, id, me.number) {
                gone(topic, last);
            }
        });
    }

    /// Call `f` with the pipes of every subscribed prefix of `data`. A pipe subscribed to
    /// several of those prefixes is given once per prefix.
    #[inline]
    pub fn for_each_match(&self, data: &[u8], mut f: impl FnMut(&[PipeId])) {
        self.trie.for_each_prefix(data, |v| {
            if v & SINGLE != 0 {
                f(std::slice::from_ref(&self.numbered[(v & !SINGLE) as usize]));
            } else {
                f(&self.sets[v as usize - 1]);
            }
        });
    }
}

/// Take pipe `id` (numbered `number`) out of what a trie value refers to; an emptied set
/// is freed and the value cleared. None if the pipe was not there, else whether it was
/// the last.
fn remove_from_slot(sets: &mut [Vec<PipeId>], free: &mut Vec<u32>, slot: &mut u32, id: PipeId, number: u32) -> Option<bool> {
    match *slot {
        0 => None,
        v if v & SINGLE != 0 => {
            if v != SINGLE | number {
                return None;
            }
            *slot = 0;
            Some(true)
        }
        v => {
            let set = &mut sets[v as usize - 1];
            let pos = set.binary_search(&id).ok()?;
            set.remove(pos);
            if !set.is_empty() {
                return Some(false);
            }
            // Its memory goes now, not when the slot is reused.
            *set = Vec::new();
            free.push(v - 1);
            *slot = 0;
            Some(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sets() {
        let mut s = Subscriptions::default();
        assert!(s.add(b"a"));
        assert!(!s.add(b"a"));
        assert!(!s.insert(b"a"));
        assert!(s.matches(b"abc") && !s.matches(b"b") && !s.matches(b""));
        assert!(!s.remove(b"a"));
        assert!(s.remove(b"a"));
        assert!(!s.remove(b"a"), "nothing left to remove");
        assert!(!s.matches(b"abc"));
        assert!(!s.remove(b""), "the empty topic was never subscribed");
        assert!(s.add(b""));
        assert!(s.matches(b"") && s.matches(b"anything"));
        s.add(b"x");
        s.add(b"x");
        assert_eq!(s.drain(), vec![(b"".to_vec(), 1), (b"x".to_vec(), 2)]);
        assert!(s.topics().is_empty());
    }

    #[test]
    fn subscribers_match_once_per_prefix_and_leave_nothing_behind() {
        let mut s = Subscribers::default();
        for id in 1..=3 {
            s.attach(id);
        }
        assert_eq!(s.add(b"ab", 1), Some(true));
        assert_eq!(s.add(b"ab", 1), None, "a set per pipe");
        assert_eq!(s.add(b"ab", 2), Some(false));
        assert_eq!(s.add(b"a", 3), Some(true));
        assert_eq!(s.add(b"a", 9), None, "unknown pipe");
        let mut got = Vec::new();
        s.for_each_match(b"abc", |p| got.extend_from_slice(p));
        assert_eq!(got, vec![3, 1, 2]);
        assert_eq!(s.remove(b"ab", 3), None);
        assert_eq!(s.remove(b"ab", 1), Some(false));
        let mut gone = Vec::new();
        s.detach(2, |t, last| gone.push((t.to_vec(), last)));
        assert_eq!(gone, vec![(b"ab".to_vec(), true)]);
        s.detach(3, |_, _| {});
        assert!(s.trie.keys().is_empty());
        assert_eq!(s.trie.node_count(), 1);
    }

    /// XPUB's send warms the table before it matches: the hint changes no match.
    #[test]
    fn a_large_subscriber_table_matches_the_same_after_a_prefetch() {
        let mut s = Subscribers::default();
        s.attach(1);
        s.attach(2);
        for i in 0..40_000u32 {
            s.add(format!("T{i:09}").as_bytes(), PipeId::from(1 + i % 2));
        }
        assert!(s.is_large());
        let matches = |data: &[u8]| {
            let mut got = Vec::new();
            s.for_each_match(data, |p| got.extend_from_slice(p));
            got
        };
        s.prefetch(b"T000000004-payload");
        assert_eq!(matches(b"T000000005-payload"), [2]);
        assert_eq!(matches(b"T000000004-payload"), [1]);
        s.prefetch(b"T000123456");
        assert_eq!(matches(b"T000123456"), Vec::<PipeId>::new());
        s.prefetch(b"short");
        assert_eq!(matches(b"short"), Vec::<PipeId>::new());
    }

    /// A topic held by one pipe names it by number, a set once a second pipe comes; a
    /// number freed by a pipe that left is reused without its old topics.
    #[test]
    fn single_subscribers_sets_and_reused_numbers() {
        let mut s = Subscribers::default();
        let matches = |s: &Subscribers, data: &[u8]| {
            let mut got = Vec::new();
            s.for_each_match(data, |p| got.extend_from_slice(p));
            got
        };
        s.attach(10);
        s.attach(20);
        assert_eq!(s.add(b"t", 20), Some(true));
        assert_eq!(s.add(b"u", 10), Some(true));
        assert_eq!(s.add(b"t", 10), Some(false));
        assert_eq!(s.add(b"t", 10), None);
        assert_eq!(matches(&s, b"t1"), [10, 20]);
        assert_eq!(s.remove(b"t", 20), Some(false));
        assert_eq!(matches(&s, b"t1"), [10]);
        assert_eq!(s.remove(b"t", 20), None);
        assert_eq!(s.remove(b"t", 10), Some(true));
        assert_eq!(matches(&s, b"t1"), Vec::<PipeId>::new());
        // 10 leaves with "u"; 30 takes its number.
        let mut gone = Vec::new();
        s.detach(10, |t, last| gone.push((t.to_vec(), last)));
        assert_eq!(gone, [(b"u".to_vec(), true)]);
        s.attach(30);
        assert_eq!(matches(&s, b"u"), Vec::<PipeId>::new());
        assert_eq!(s.add(b"u", 30), Some(true));
        assert_eq!(s.add(b"u", 20), Some(false));
        assert_eq!(matches(&s, b"u"), [20, 30]);
        s.detach(20, |_, _| {});
        s.detach(30, |_, _| {});
        assert!(s.trie.keys().is_empty());
    }
}
