//! A radix (path-compressed) prefix trie over byte strings, the index behind
//! subscriptions: SUB/XSUB keep a count per topic, PUB/XPUB the pipes subscribed to it.
//! Each node holds one `u32` (0: nothing subscribed there); what it means is the
//! caller's (a count, or the index of a set of pipes).
//!
//! Why a trie: matching a message asks "which subscribed topics are prefixes of these
//! bytes?", which a trie answers by walking the message's bytes once, whatever the number
//! of subscriptions; adding or removing a topic costs O(topic length). Each topic adds at
//! most two nodes (a split and a leaf), and nodes whose value empties are pruned (and
//! single-child chains merged back), so memory stays proportional to what is subscribed.
//!
//! With many subscriptions, matching time is cache misses, so nodes are small (32 bytes,
//! two per cache line): labels of up to 4 bytes (every branch of a set of numbered topics)
//! are stored in the node, longer ones as a range of one shared byte arena, which splits
//! reuse without copying and which is compacted when half of it is garbage.
//!
//! Nodes live in an arena (`Vec`) and refer to each other by index, so every walk is a
//! loop, never recursion: a hostile peer subscribing to "a", "aa", "aaa", ... makes a deep
//! trie but cannot overflow the stack.
//!
//! Matching with many subscriptions is mostly cache misses (two per trie level). Most
//! applications subscribe with topics of a few distinct lengths, so the trie also keeps
//! its subscribed keys, each with a copy of its value, in one hash table per key length
//! (`exact.rs`, laid out so a lookup is one cache miss): while there are at most
//! `FAST_LENGTHS` distinct lengths, a match is one hash lookup per length instead of a
//! walk, and touches no node (the value sits next to its key). One table per length, so
//! that a length with few keys (a "SYNC" or heartbeat topic beside a million long ones)
//! is a lookup in a small table that stays in cache, not one more miss in the big one.

mod exact;

use exact::ExactIndex;

type Idx = u32;

/// Up to this many distinct subscribed key lengths, matching uses `PrefixTrie::exact`.
const FAST_LENGTHS: usize = 4;
const ROOT: Idx = 0;
/// `parent` of a freed node (and of the root, which is never freed).
const NONE: Idx = Idx::MAX;

/// Topics longer than this are not indexed (label offsets are 32-bit); nobody
/// subscribes with a gigabyte.
pub const MAX_TOPIC: usize = 1 << 30;

/// An edge label: up to 4 bytes in place, else `len` bytes at offset `at` of the arena.
#[derive(Clone, Copy, Default)]
struct Label {
    len: u32,
    at: [u8; 4],
}

impl Label {
    fn offset(&self) -> usize {
        u32::from_le_bytes(self.at) as usize
    }

    fn is_inline(&self) -> bool {
        self.len <= 4
    }
}

struct Node {
    /// Children by the first byte of their label, sorted.
    children: Box<[(u8, Idx)]>,
    /// The bytes on the edge from the parent (empty for the root).
    label: Label,
    parent: Idx,
    value: u32,
}

pub struct PrefixTrie {
    nodes: Vec<Node>,
    /// Freed slots, reused by the next insertions.
    free: Vec<Idx>,
    /// Bytes of the labels longer than 4 (see `Label`).
    bytes: Vec<u8>,
    /// How many of `bytes` live labels use; the rest is garbage.
    live_bytes: usize,
    /// Every key whose node holds a value, with a copy of that value (kept equal by
    /// every change of a value: `entry`, `update`, `visit_mut`), by key length: one map
    /// per length that has keys, sorted by length.
    exact: Vec<(usize, ExactIndex)>,
}

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie { nodes: vec![Node { children: Box::new([]), label: Label::default(), parent: NONE, value: 0 }], free: Vec::new(), bytes: Vec::new(), live_bytes: 0, exact: Vec::new() }
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// `data` starts with `label`. A byte loop: labels are short, and a call to memcmp
/// per trie level cost more than the comparison itself.
#[inline]
fn starts_with(data: &[u8], label: &[u8]) -> bool {
    data.len() >= label.len() && data.iter().zip(label).all(|(a, b)| a == b)
}

impl PrefixTrie {
    #[inline]
    fn label_of<'a>(&'a self, l: &'a Label) -> &'a [u8] {
        if l.is_inline() {
            // The bytes are in the label itself; borrow them from the node that holds it.
            &l.at[..l.len as usize]
        } else {
            &self.bytes[l.offset()..l.offset() + l.len as usize]
        }
    }

    #[inline]
    fn label(&self, n: Idx) -> &[u8] {
        self.label_of(&self.nodes[n as usize].label)
    }

    fn new_label(&mut self, b: &[u8]) -> Label {
        if b.len() <= 4 {
            let mut at = [0; 4];
            at[..b.len()].copy_from_slice(b);
            return Label { len: b.len() as u32, at };
        }
        let at = (self.bytes.len() as u32).to_le_bytes();
        self.bytes.extend_from_slice(b);
        self.live_bytes += b.len();
        Label { len: b.len() as u32, at }
    }

    /// Bytes `from..to` of an existing label, as a label of their own (no copy into
    /// the arena: a range of a live label stays live).
    fn sub_label(&mut self, l: Label, from: usize, to: usize) -> Label {
        if l.is_inline() || to - from <= 4 {
            let part = self.label_of(&l)[from..to].to_vec();
            if !l.is_inline() {
                // Bytes that leave the arena for an inline label.
                self.live_bytes -= to - from;
            }
            return self.new_label(&part);
        }
        Label { len: (to - from) as u32, at: ((l.offset() + from) as u32).to_le_bytes() }
    }

    fn drop_label(&mut self, l: Label) {
        if !l.is_inline() {
            self.live_bytes -= l.len as usize;
        }
    }

    /// Rewrite the arena without garbage once garbage is most of it.
    fn maybe_compact(&mut self) {
        if self.bytes.len() <= 2 * self.live_bytes + 4096 {
            return;
        }
        let mut bytes = Vec::with_capacity(self.live_bytes);
        for node in self.nodes.iter_mut().filter(|n| !n.label.is_inline()) {
            let (at, len) = (node.label.offset(), node.label.len as usize);
            node.label.at = (bytes.len() as u32).to_le_bytes();
            bytes.extend_from_slice(&self.bytes[at..at + len]);
        }
        self.bytes = bytes;
    }

    fn child(&self, n: Idx, byte: u8) -> Result<usize, usize> {
        self.nodes[n as usize].children.binary_search_by_key(&byte, |&(b, _)| b)
    }

    fn set_child(&mut self, parent: Idx, byte: u8, c: Idx) {
        if let Ok(slot) = self.child(parent, byte) {
            self.nodes[parent as usize].children[slot].1 = c;
        }
    }

    fn alloc(&mut self, label: Label, parent: Idx) -> Idx {
        let node = Node { children: Box::new([]), label, parent, value: 0 };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as Idx
            }
        }
    }

    fn release(&mut self, i: Idx) {
        let n = &mut self.nodes[i as usize];
        n.children = Box::new([]);
        n.parent = NONE;
        n.value = 0;
        let label = std::mem::take(&mut n.label);
        self.drop_label(label);
        self.free.push(i);
    }

    /// Let `f` change the value at exactly `key` (0 if the key is new), its node created
    /// if missing and pruned if left 0. None for a key over `MAX_TOPIC`.
    pub fn entry<R>(&mut self, key: &[u8], f: impl FnOnce(&mut u32) -> R) -> Option<R> {
        if key.len() > MAX_TOPIC {
            return None;
        }
        let mut n = ROOT;
        let mut pos = 0;
        while pos < key.len() {
            let c = match self.child(n, key[pos]) {
                Ok(slot) => self.nodes[n as usize].children[slot].1,
                Err(slot) => {
                    let label = self.new_label(&key[pos..]);
                    let leaf = self.alloc(label, n);
                    let old = &self.nodes[n as usize].children;
                    // Exactly one longer, built in place: Vec::insert would double the
                    // capacity and into_boxed_slice shrink it back, two reallocations per
                    // new child (~8% of subscribing a million topics).
                    let mut children = Vec::with_capacity(old.len() + 1);
                    children.extend_from_slice(&old[..slot]);
                    children.push((key[pos], leaf));
                    children.extend_from_slice(&old[slot..]);
                    self.nodes[n as usize].children = children.into_boxed_slice();
                    n = leaf;
                    break;
                }
            };
            let l = common_prefix(self.label(c), &key[pos..]);
            n = if l < self.nodes[c as usize].label.len as usize { self.split(n, c, l) } else { c };
            pos += l;
        }
        Some(self.change_value(key, n, f))
    }

    /// Run `f` on node `n`'s value (`key` is its key), then bring the exact index in line
    /// and prune the node if it is left 0.
    fn change_value<R>(&mut self, key: &[u8], n: Idx, f: impl FnOnce(&mut u32) -> R) -> R {
        let was = self.nodes[n as usize].value;
        let r = f(&mut self.nodes[n as usize].value);
        let now = self.nodes[n as usize].value;
        if now == was {
            if now == 0 {
                // A node made for nothing (or a branching node asked about).
                self.prune(n);
                self.maybe_compact();
            }
            return r;
        }
        match (was, now) {
            (0, _) => {
                let at = self.exact_slot(key.len()).unwrap_or_else(|at| {
                    self.exact.insert(at, (key.len(), ExactIndex::default()));
                    at
                });
                self.exact[at].1.insert(key, now);
            }
            (_, 0) => {
                self.forget_key(key);
                self.prune(n);
                self.maybe_compact();
            }
            _ => self.sync_exact(key, now),
        }
        r
    }

    /// Where the exact index's map for keys of `len` bytes is (Ok), or would go (Err).
    fn exact_slot(&self, len: usize) -> Result<usize, usize> {
        self.exact.binary_search_by_key(&len, |(l, _)| *l)
    }

    /// The exact index's map for keys of `len` bytes, if any key has that length.
    fn exact_map(&self, len: usize) -> Option<usize> {
        self.exact_slot(len).ok()
    }

    /// `key`'s value changed to `now` (not 0): its copy in the exact index follows.
    fn sync_exact(&mut self, key: &[u8], now: u32) {
        if let Some(at) = self.exact_map(key.len()) {
            self.exact[at].1.insert(key, now);
        }
    }

    /// `key`'s value went to 0: it leaves the exact index (and its length's map, once
    /// empty, goes too).
    fn forget_key(&mut self, key: &[u8]) {
        if let Some(at) = self.exact_map(key.len()) {
            let map = &mut self.exact[at].1;
            map.remove(key);
            if map.is_empty() {
                self.exact.remove(at);
            }
        }
    }

    /// Cut the edge from `parent` to `c` after `l` bytes of its label: a new node takes
    /// those bytes and `c` hangs below it with the rest. Returns the new node.
    fn split(&mut self, parent: Idx, c: Idx, l: usize) -> Idx {
        let label = self.nodes[c as usize].label;
        let (first, next) = (self.label_of(&label)[0], self.label_of(&label)[l]);
        let head = self.sub_label(label, 0, l);
        let tail = self.sub_label(label, l, label.len as usize);
        let mid = self.alloc(head, parent);
        self.nodes[c as usize].label = tail;
        self.nodes[c as usize].parent = mid;
        self.nodes[mid as usize].children = Box::new([(next, c)]);
        self.set_child(parent, first, mid);
        mid
    }

    /// The node at exactly `key`, if there is one.
    fn find(&self, key: &[u8]) -> Option<Idx> {
        let mut n = ROOT;
        let mut pos = 0;
        while pos < key.len() {
            let slot = self.child(n, key[pos]).ok()?;
            let c = self.nodes[n as usize].children[slot].1;
            let label = self.label(c);
            if !starts_with(&key[pos..], label) {
                return None;
            }
            pos += label.len();
            n = c;
        }
        Some(n)
    }

    /// The value at exactly `key` (0 if none).
    pub fn get(&self, key: &[u8]) -> u32 {
        self.find(key).map_or(0, |n| self.nodes[n as usize].value)
    }

    /// Change the value at `key` (if its node exists); the node is pruned if the value is
    /// left 0. Returns what `f` returned.
    pub fn update<R>(&mut self, key: &[u8], f: impl FnOnce(&mut u32) -> R) -> Option<R> {
        let n = self.find(key)?;
        Some(self.change_value(key, n, f))
    }

    /// Call `f` with the value of every node whose key is a prefix of `data` (shortest
    /// first), non-zero values only.
    pub fn for_each_prefix(&self, data: &[u8], mut f: impl FnMut(u32)) {
        self.walk_prefixes(data, |v| {
            f(v);
            false
        });
    }

    /// Whether some non-zero value's key is a prefix of `data` (stops at the first).
    pub fn any_prefix(&self, data: &[u8]) -> bool {
        // A subscription to everything (the empty key, at the root) matches every message
        // without a walk: the common SUB.
        self.nodes[ROOT as usize].value != 0 || self.walk_prefixes(data, |_| true)
    }

    /// Walk the nodes whose keys are prefixes of `data`, shortest first, calling `stop`
    /// with each non-zero value until it says true; returns whether it did.
    #[inline]
    fn walk_prefixes(&self, data: &[u8], stop: impl FnMut(u32) -> bool) -> bool {
        if self.exact.len() <= FAST_LENGTHS {
            self.lookup_prefixes(data, stop)
        } else {
            self.trie_prefixes(data, stop)
        }
    }

    /// Whether a match may miss the cache (a big exact table): see `prefetch_prefixes`.
    #[inline]
    pub fn is_large(&self) -> bool {
        self.exact.len() <= FAST_LENGTHS && self.exact.iter().any(|(_, t)| t.is_large())
    }

    /// Start loading what matching `data` will look at (in the exact tables too big for
    /// the cache), for a match soon after: a SUB looks at its next queued message while
    /// the application handles this one.
    pub fn prefetch_prefixes(&self, data: &[u8]) {
        if self.exact.len() > FAST_LENGTHS {
            return;
        }
        for (len, table) in &self.exact {
            let Some(key) = data.get(..*len) else { break };
            table.prefetch(key);
        }
    }

    /// `walk_prefixes` by one hash lookup per subscribed key length.
    #[inline]
    fn lookup_prefixes(&self, data: &[u8], mut stop: impl FnMut(u32) -> bool) -> bool {
        for (len, map) in &self.exact {
            let len = *len;
            // The empty key is the root: no hashing for a subscription to everything.
            if len == 0 {
                let value = self.nodes[ROOT as usize].value;
                if value != 0 && stop(value) {
                    return true;
                }
                continue;
            }
            let Some(key) = data.get(..len) else { break };
            if let Some(value) = map.get(key) {
                if stop(value) {
                    return true;
                }
            }
        }
        false
    }

    /// `walk_prefixes` down the trie.
    #[inline]
    fn trie_prefixes(&self, data: &[u8], mut stop: impl FnMut(u32) -> bool) -> bool {
        let mut n = ROOT;
        let mut pos = 0;
        loop {
            let node = &self.nodes[n as usize];
            if node.value != 0 && stop(node.value) {
                return true;
            }
            let Some(&byte) = data.get(pos) else { return false };
            let Ok(slot) = node.children.binary_search_by_key(&byte, |&(b, _)| b) else { return false };
            let c = node.children[slot].1;
            let label = self.label(c);
            if !starts_with(&data[pos..], label) {
                return false;
            }
            pos += label.len();
            n = c;
        }
    }

    /// Visit every non-zero value with its key (in byte order), letting `f` change it;
    /// nodes left 0 are pruned afterwards.
    pub fn visit_mut(&mut self, mut f: impl FnMut(&[u8], &mut u32)) {
        let mut key = Vec::new();
        let mut emptied = Vec::new();
        let mut stack: Vec<(Idx, usize)> = vec![(ROOT, 0)];
        while let Some((n, depth)) = stack.pop() {
            key.truncate(depth);
            let label = self.nodes[n as usize].label;
            key.extend_from_slice(self.label_of(&label));
            let value = &mut self.nodes[n as usize].value;
            let was = *value;
            if was != 0 {
                f(&key, value);
                let now = *value;
                if now == 0 {
                    emptied.push(n);
                    self.forget_key(&key);
                } else if now != was {
                    self.sync_exact(&key, now);
                }
            }
            // Reversed, so that the smallest child is visited first.
            stack.extend(self.nodes[n as usize].children.iter().rev().map(|&(_, c)| (c, key.len())));
        }
        for n in emptied {
            // An earlier prune may have removed or merged this node away already.
            if self.nodes[n as usize].parent != NONE || n == ROOT {
                self.prune(n);
            }
        }
        self.maybe_compact();
    }

    /// Every non-zero value's key, in byte order.
    pub fn keys(&self) -> Vec<Vec<u8>> {
        self.entries().into_iter().map(|(key, _)| key).collect()
    }

    /// Every non-zero value with its key, in byte order.
    pub fn entries(&self) -> Vec<(Vec<u8>, u32)> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        let mut stack: Vec<(Idx, usize)> = vec![(ROOT, 0)];
        while let Some((n, depth)) = stack.pop() {
            key.truncate(depth);
            key.extend_from_slice(self.label(n));
            let node = &self.nodes[n as usize];
            if node.value != 0 {
                out.push((key.clone(), node.value));
            }
            stack.extend(node.children.iter().rev().map(|&(_, c)| (c, key.len())));
        }
        out
    }

    /// Nodes in use, the root included (for tests and memory checks).
    #[cfg(test)]
    pub fn node_count(&self) -> usize {
        self.nodes.len() - self.free.len()
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Node `n` has value 0: drop it if it has no children, merge it into its only
    /// child if it has one, and go on upwards while that leaves an empty parent behind.
    fn prune(&mut self, mut n: Idx) {
        while n != ROOT && self.nodes[n as usize].value == 0 {
            let parent = self.nodes[n as usize].parent;
            match self.nodes[n as usize].children.len() {
                0 => {
                    let first = self.label(n)[0];
                    if let Ok(slot) = self.child(parent, first) {
                        let mut children = std::mem::take(&mut self.nodes[parent as usize].children).into_vec();
                        children.remove(slot);
                        self.nodes[parent as usize].children = children.into_boxed_slice();
                    }
                    self.release(n);
                    n = parent;
                }
                1 => {
                    // Merge: the child takes this node's label in front of its own.
                    let (_, c) = self.nodes[n as usize].children[0];
                    let (a, b) = (self.nodes[n as usize].label, self.nodes[c as usize].label);
                    let merged = if !a.is_inline() && !b.is_inline() && a.offset() + a.len as usize == b.offset() {
                        // Still side by side in the arena, as a split left them.
                        Label { len: a.len + b.len, at: a.at }
                    } else {
                        let mut bytes = self.label_of(&a).to_vec();
                        bytes.extend_from_slice(self.label_of(&b));
                        self.drop_label(a);
                        self.drop_label(b);
                        self.new_label(&bytes)
                    };
                    self.nodes[n as usize].label = Label::default();
                    self.nodes[c as usize].label = merged;
                    self.nodes[c as usize].parent = parent;
                    let first = self.label(c)[0];
                    self.set_child(parent, first, c);
                    self.release(n);
                    return;
                }
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests;
