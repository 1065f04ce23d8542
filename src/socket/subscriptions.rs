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
        match self.trie.entry(topic) {
            Some(n) => {
                *n = n.saturating_add(1);
                *n == 1
            }
            None => false,
        }
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

/// The pipes subscribed to one topic: never empty (an emptied set is freed). Most
/// topics have one subscriber, kept without an allocation.
enum PipeSet {
    One(PipeId),
    /// Sorted, two or more.
    Many(Vec<PipeId>),
}

impl PipeSet {
    fn as_slice(&self) -> &[PipeId] {
        match self {
            PipeSet::One(id) => std::slice::from_ref(id),
            PipeSet::Many(ids) => ids,
        }
    }

    /// Add a pipe; false if it was there.
    fn insert(&mut self, id: PipeId) -> bool {
        match self {
            PipeSet::One(x) if *x == id => false,
            PipeSet::One(x) => {
                *self = PipeSet::Many(if *x < id { vec![*x, id] } else { vec![id, *x] });
                true
            }
            PipeSet::Many(ids) => match ids.binary_search(&id) {
                Ok(_) => false,
                Err(pos) => {
                    ids.insert(pos, id);
                    true
                }
            },
        }
    }

    /// Remove a pipe: None if it was not there, else whether the set is now empty
    /// (the caller frees it then).
    fn remove(&mut self, id: PipeId) -> Option<bool> {
        match self {
            PipeSet::One(x) => (*x == id).then_some(true),
            PipeSet::Many(ids) => {
                let pos = ids.binary_search(&id).ok()?;
                ids.remove(pos);
                if ids.len() == 1 {
                    *self = PipeSet::One(ids[0]);
                }
                Some(false)
            }
        }
    }
}

/// Topic → the pipes subscribed to it, for PUB/XPUB. Each trie node's value is 1 + the
/// index of its set in `sets`.
#[derive(Default)]
pub struct Subscribers {
    trie: PrefixTrie,
    sets: Vec<PipeSet>,
    /// Slots of `sets` free for reuse.
    free_sets: Vec<u32>,
    /// Every known pipe, with how many topics it is subscribed to (a pipe with none
    /// leaves without a walk over the trie).
    pipes: PipeMap<usize>,
}

impl Subscribers {
    pub fn attach(&mut self, id: PipeId) {
        self.pipes.insert(id, 0);
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
        let count = self.pipes.get_mut(&id)?;
        let slot = self.trie.entry(topic)?;
        if *slot == 0 {
            let set = PipeSet::One(id);
            *slot = 1 + match self.free_sets.pop() {
                Some(free) => {
                    self.sets[free as usize] = set;
                    free
                }
                None => {
                    self.sets.push(set);
                    (self.sets.len() - 1) as u32
                }
            };
            *count += 1;
            return Some(true);
        }
        let added = self.sets[*slot as usize - 1].insert(id);
        *count += added as usize;
        added.then_some(false)
    }

    /// Unsubscribe a pipe. None if it was not subscribed; else whether it was the
    /// topic's last subscriber.
    pub fn remove(&mut self, topic: &[u8], id: PipeId) -> Option<bool> {
        let count = self.pipes.get_mut(&id)?;
        let (sets, free) = (&mut self.sets, &mut self.free_sets);
        let last = self.trie.update(topic, |slot| remove_from_slot(sets, free, slot, id)).flatten()?;
        *count -= 1;
        Some(last)
    }

    /// Forget a pipe and its subscriptions; `gone(topic, last)` for each of them, `last`
    /// when no other pipe has the topic.
    pub fn detach(&mut self, id: PipeId, mut gone: impl FnMut(&[u8], bool)) {
        if self.pipes.remove(&id).unwrap_or(0) == 0 {
            return;
        }
        let (sets, free) = (&mut self.sets, &mut self.free_sets);
        self.trie.visit_mut(|topic, slot| {
            if let Some(last) = remove_from_slot(sets, free, slot, id) {
                gone(topic, last);
            }
        });
    }

    /// Call `f` with the pipes of every subscribed prefix of `data`. A pipe subscribed to
    /// several of those prefixes is given once per prefix.
    #[inline]
    pub fn for_each_match(&self, data: &[u8], mut f: impl FnMut(&[PipeId])) {
        self.trie.for_each_prefix(data, |slot| f(self.sets[slot as usize - 1].as_slice()));
    }
}

/// Take `id` out of the set a trie node refers to; an emptied set is freed and the node
/// cleared. None if the pipe was not in it, else whether the set emptied.
fn remove_from_slot(sets: &mut [PipeSet], free: &mut Vec<u32>, slot: &mut u32, id: PipeId) -> Option<bool> {
    let i = slot.checked_sub(1)?;
    let emptied = sets[i as usize].remove(id)?;
    if emptied {
        free.push(i);
        *slot = 0;
    }
    Some(emptied)
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
}
