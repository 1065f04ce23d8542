//! `ExactIndex`: byte-string keys to non-zero `u32` values, the per-length maps behind
//! `PrefixTrie`'s fast match.
//!
//! Why not std's `HashMap`: with a million subscriptions the table is tens of MB and
//! every match is a lookup in it. hashbrown keeps its control bytes apart from its
//! buckets, so a lookup misses the cache twice (the control group, then the bucket);
//! here a slot holds the key's hash, its value and the key itself (topics up to 22
//! bytes inline) in 32 bytes, aligned so a slot never straddles a cache line, and a
//! lookup usually touches one line. Measured at 1M subscriptions (ci/pubsub-scale's
//! rate case): see `ci/baseline/pubsub-scale.md`.
//!
//! Open addressing with linear probing; removal shifts the following entries back (no
//! tombstones), so a table churned by subscribe/unsubscribe keeps short probe runs.
//! At most 13/16 full: the table's size is what decides whether it stays in the
//! last-level cache (100k topics: 131,072 slots, 4 MB, ran 3.8-4.4M msg/s; at most 5/8
//! full doubled that to 8 MB and ran 2.3-2.7M). Keys are hashed with std's SipHash under
//! a random key, so a peer cannot choose topics that collide.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Keys up to this long live in the slot (and in the hash memo), with no allocation.
const SHORT_MAX: usize = 22;

/// `key` in a short key's array, if it fits.
fn short_bytes(key: &[u8]) -> Option<[u8; SHORT_MAX]> {
    let mut bytes = [0; SHORT_MAX];
    bytes.get_mut(..key.len())?.copy_from_slice(key);
    Some(bytes)
}

/// A key: most topics are short and live in the slot, without an allocation of their own.
#[derive(Clone)]
enum Key {
    Short { len: u8, bytes: [u8; SHORT_MAX] },
    Long(Box<[u8]>),
}

impl Key {
    fn new(key: &[u8]) -> Key {
        match short_bytes(key) {
            Some(bytes) => Key::Short { len: key.len() as u8, bytes },
            None => Key::Long(key.into()),
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Key::Short { len, bytes } => &bytes[..*len as usize],
            Key::Long(b) => b,
        }
    }
}

/// One entry or an empty place (`value` 0). 32 bytes, two per cache line.
#[derive(Clone)]
#[repr(align(32))]
struct Slot {
    /// The low 32 bits of the key's hash: where the key wants to sit, and a quick
    /// check before the key is compared.
    hash: u32,
    value: u32,
    key: Key,
}

/// From this many slots (1 MiB) on, `prefetch` is worth its hash.
const PREFETCH_MIN_SLOTS: usize = 1 << 15;

const EMPTY: Slot = Slot { hash: 0, value: 0, key: Key::Short { len: 0, bytes: [0; SHORT_MAX] } };

pub struct ExactIndex {
    slots: Vec<Slot>,
    /// `slots.len() - 1`; the length is a power of two (0 while empty: no slots).
    mask: usize,
    len: usize,
    hasher: RandomState,
    /// The last key `prefetch` hashed (if short) and its hash: the lookup that follows
    /// soon after reuses the hash instead of computing it again (a SipHash of a short
    /// topic costs about a fifth of a small publish).
    prefetched: Cell<HashMemo>,
}

/// A short key and its hash (`len` over `SHORT_MAX`: nothing remembered).
#[derive(Clone, Copy)]
struct HashMemo {
    len: u8,
    bytes: [u8; SHORT_MAX],
    hash: u32,
}

const NO_MEMO: HashMemo = HashMemo { len: u8::MAX, bytes: [0; SHORT_MAX], hash: 0 };

impl Default for ExactIndex {
    fn default() -> Self {
        ExactIndex { slots: Vec::new(), mask: 0, len: 0, hasher: RandomState::new(), prefetched: Cell::new(NO_MEMO) }
    }
}

impl ExactIndex {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u32 {
        self.hasher.hash_one(key) as u32
    }

    /// Where `key` is (Ok) or the empty slot where it would go (Err).
    #[inline]
    fn find(&self, key: &[u8], hash: u32) -> Result<usize, usize> {
        let mut i = hash as usize & self.mask;
        loop {
            let s = &self.slots[i];
            if s.value == 0 {
                return Err(i);
            }
            if s.hash == hash && s.key.bytes() == key {
                return Ok(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// `key`'s value, if it is there.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let hash = match self.is_large() {
            true => self.memo_hash(key),
            false => self.hash(key),
        };
        self.find(key, hash).ok().map(|i| self.slots[i].value)
    }

    /// `key`'s hash, from the memo if `prefetch` just hashed it.
    #[inline]
    fn memo_hash(&self, key: &[u8]) -> u32 {
        let memo = self.prefetched.get();
        // Length first: an empty memo's (255) must never reach the slice below.
        if key.len() <= SHORT_MAX && key.len() == memo.len as usize && key == &memo.bytes[..key.len()] {
            memo.hash
        } else {
            self.hash(key)
        }
    }

    /// Whether the table is too big to stay in cache (a lookup is then a miss to memory,
    /// worth a `prefetch`): over 1 MiB of slots.
    #[inline]
    pub fn is_large(&self) -> bool {
        self.slots.len() >= PREFETCH_MIN_SLOTS
    }

    /// Start loading the slot where a lookup of `key` begins, so that the lookup soon
    /// after finds it in cache. Costs a hash.
    #[inline]
    pub fn prefetch(&self, key: &[u8]) {
        if !self.is_large() {
            return;
        }
        let hash = self.hash(key);
        if let Some(bytes) = short_bytes(key) {
            self.prefetched.set(HashMemo { len: key.len() as u8, bytes, hash });
        }
        let slot = &self.slots[hash as usize & self.mask];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch only hints the cache; it reads nothing and cannot fault (the
        // address is a live slot anyway).
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(slot as *const Slot as *const i8)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Set `key`'s value (added if new). `value` must not be 0 (0 marks an empty slot).
    pub fn insert(&mut self, key: &[u8], value: u32) {
        assert!(value != 0, "ExactIndex holds non-zero values");
        let hash = self.hash(key);
        let free = if self.slots.is_empty() {
            None
        } else {
            match self.find(key, hash) {
                // A new value for a key already there: no growth.
                Ok(i) => {
                    self.slots[i].value = value;
                    return;
                }
                Err(i) => Some(i),
            }
        };
        // A new key: keep at most 13/16 of the slots in use (see the top of the file).
        let i = match free {
            Some(i) if (self.len + 1) * 16 <= self.slots.len() * 13 => i,
            _ => {
                self.grow();
                self.find(key, hash).expect_err("a new key")
            }
        };
        self.slots[i] = Slot { hash, value, key: Key::new(key) };
        self.len += 1;
    }

    /// Take `key` out; its value, if it was there.
    pub fn remove(&mut self, key: &[u8]) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mut hole = self.find(key, self.hash(key)).ok()?;
        let value = std::mem::replace(&mut self.slots[hole], EMPTY).value;
        self.len -= 1;
        // Shift back each following entry that may sit in the hole (its wanted place is
        // not between the hole and where it is, cyclically), until an empty slot.
        let mut i = hole;
        loop {
            i = (i + 1) & self.mask;
            if self.slots[i].value == 0 {
                break;
            }
            let wanted = self.slots[i].hash as usize & self.mask;
            let distance_now = i.wrapping_sub(wanted) & self.mask;
            let distance_hole = i.wrapping_sub(hole) & self.mask;
            if distance_now >= distance_hole {
                self.slots.swap(hole, i);
                hole = i;
            }
        }
        if self.len == 0 {
            // The last key gone: give the memory back.
            self.slots = Vec::new();
            self.mask = 0;
        } else if self.slots.len() > 64 && self.len * 8 < self.slots.len() {
            // Mostly emptied (a peer that subscribed a flood of topics and left): give
            // most of the memory back. Down to a quarter of the slots, so the table is
            // then at most half full and far from growing again.
            self.resize(self.slots.len() / 4);
        }
        Some(value)
    }

    /// Double the slots (16 to start with).
    fn grow(&mut self) {
        self.resize((self.slots.len() * 2).max(16));
    }

    /// Move every entry into a table of `size` slots (a power of two, more than `len`).
    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        self.mask = size - 1;
        for s in old.into_iter().filter(|s| s.value != 0) {
            let Err(i) = self.find(s.key.bytes(), s.hash) else { unreachable!("a key twice in the index") };
            self.slots[i] = s;
        }
    }

    /// Every entry, in no particular order (for tests).
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u32)> {
        self.slots.iter().filter(|s| s.value != 0).map(|s| (s.key.bytes(), s.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_slot_is_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<Slot>(), 32);
        assert_eq!(std::mem::align_of::<Slot>(), 32);
    }

    #[test]
    fn short_long_and_empty_keys() {
        let mut t = ExactIndex::default();
        assert_eq!(t.get(b""), None);
        assert_eq!(t.remove(b"x"), None);
        let long = [7u8; 100];
        t.insert(b"", 1);
        t.insert(b"abc", 2);
        t.insert(&long, 3);
        t.insert(&long[..22], 4);
        t.insert(&long[..23], 5);
        assert_eq!((t.get(b""), t.get(b"abc"), t.get(&long), t.get(&long[..22]), t.get(&long[..23])), (Some(1), Some(2), Some(3), Some(4), Some(5)));
        assert_eq!(t.get(b"ab"), None);
        assert_eq!(t.get(&long[..21]), None);
        t.insert(b"abc", 9);
        assert_eq!((t.get(b"abc"), t.len()), (Some(9), 5));
        assert_eq!(t.remove(&long), Some(3));
        assert_eq!((t.get(&long), t.get(&long[..23]), t.len()), (None, Some(5), 4));
    }

    /// Random inserts and removes against std's map; every key is checked after each
    /// step, and every slot's entry must be reachable from where it wants to sit (the
    /// invariant removal's back-shift keeps).
    #[test]
    fn matches_a_hash_map() {
        for seed in 1..30u64 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut t = ExactIndex::default();
            let mut model = HashMap::<Vec<u8>, u32>::new();
            for step in 0..3000 {
                // Few distinct keys (so removes hit), some longer than the inline 22.
                let n = next();
                let key: Vec<u8> = if n % 7 == 0 { vec![(n >> 8) as u8 % 40; 30] } else { format!("k{}", (n >> 8) % 300).into_bytes() };
                if next() % 3 == 0 {
                    assert_eq!(t.remove(&key), model.remove(&key));
                } else {
                    let v = (step as u32 % 1000) + 1;
                    t.insert(&key, v);
                    model.insert(key, v);
                }
                assert_eq!(t.len(), model.len());
                if step % 50 == 0 {
                    for (k, v) in &model {
                        assert_eq!(t.get(k), Some(*v));
                    }
                    assert_eq!(t.iter().count(), model.len());
                    for (i, s) in t.slots.iter().enumerate().filter(|(_, s)| s.value != 0) {
                        let mut j = s.hash as usize & t.mask;
                        while j != i {
                            assert!(t.slots[j].value != 0, "a gap before slot {i}");
                            j = (j + 1) & t.mask;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn only_a_table_too_big_for_the_cache_is_prefetched() {
        let mut t = ExactIndex::default();
        for i in 0..10_000u32 {
            t.insert(&i.to_le_bytes(), i + 1);
        }
        assert!(!t.is_large());
        for i in 10_000..40_000u32 {
            t.insert(&i.to_le_bytes(), i + 1);
        }
        assert!(t.is_large() && t.slots.len() * 32 >= 1 << 20);
        // A hint: nothing changes, present or not.
        t.prefetch(&7u32.to_le_bytes());
        t.prefetch(b"absent");
        assert_eq!((t.get(&7u32.to_le_bytes()), t.get(b"absent"), t.len()), (Some(8), None, 40_000));
    }

    #[test]
    fn a_prefetched_hash_serves_only_its_own_key() {
        let mut t = ExactIndex::default();
        for i in 0..40_000u32 {
            t.insert(format!("T{i:09}").as_bytes(), i + 1);
        }
        assert!(t.is_large());
        // The memo is used only for the same bytes: a lookup of another key of the same
        // length, or after the table moved (grew or shrank), still finds the right slot.
        t.prefetch(b"T000000007");
        assert_eq!(t.get(b"T000000008"), Some(9));
        assert_eq!(t.get(b"T000000007"), Some(8));
        t.prefetch(b"T000099999");
        assert_eq!(t.get(b"T000099999"), None);
        assert_eq!(t.get(b"T000000009"), Some(10));
        t.prefetch(b"T000000011");
        for i in 40_000..80_000u32 {
            t.insert(format!("T{i:09}").as_bytes(), i + 1);
        }
        assert_eq!(t.get(b"T000000011"), Some(12));
        // Keys too long for the memo are hashed each time.
        let long = [b'x'; 40];
        t.insert(&long, 7);
        t.prefetch(&long);
        assert_eq!((t.get(&long), t.get(&[b'x'; 39])), (Some(7), None));
        // Before any prefetch, the empty memo matches no key, not even a 255-byte one.
        let mut fresh = ExactIndex::default();
        for i in 0..40_000u32 {
            let mut k = [b'k'; 255];
            k[..4].copy_from_slice(&i.to_le_bytes());
            fresh.insert(&k, i + 1);
        }
        assert!(fresh.is_large());
        let mut k = [b'k'; 255];
        k[..4].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(fresh.get(&k), Some(6));
        // A removed key, though just prefetched, is gone.
        t.prefetch(b"T000000011");
        assert_eq!(t.remove(b"T000000011"), Some(12));
        assert_eq!(t.get(b"T000000011"), None);
    }

    #[test]
    fn a_new_value_for_a_key_never_grows_the_table() {
        let mut t = ExactIndex::default();
        // 13 keys fill 16 slots to the limit; the 14th would grow them.
        for i in 0..13u32 {
            t.insert(&i.to_le_bytes(), 1);
        }
        assert_eq!(t.slots.len(), 16);
        for i in 0..13u32 {
            t.insert(&i.to_le_bytes(), 2);
        }
        assert_eq!((t.slots.len(), t.len()), (16, 13));
        t.insert(&13u32.to_le_bytes(), 1);
        assert_eq!((t.slots.len(), t.len(), t.get(&0u32.to_le_bytes())), (32, 14, Some(2)));
    }

    #[test]
    fn a_mostly_emptied_index_shrinks() {
        let mut t = ExactIndex::default();
        for i in 0..10_000u32 {
            t.insert(&i.to_le_bytes(), i + 1);
        }
        let full = t.slots.len();
        for i in 100..10_000u32 {
            assert_eq!(t.remove(&i.to_le_bytes()), Some(i + 1));
        }
        assert!(t.slots.len() * 16 <= full, "{} slots of {full} kept for 100 keys", t.slots.len());
        for i in 0..10_000u32 {
            assert_eq!(t.get(&i.to_le_bytes()), (i < 100).then_some(i + 1));
        }
    }

    #[test]
    fn emptied_index_gives_its_memory_back() {
        let mut t = ExactIndex::default();
        for i in 0..1000u32 {
            t.insert(&i.to_le_bytes(), i + 1);
        }
        assert!(t.slots.len() >= 1600);
        for i in 0..1000u32 {
            assert_eq!(t.remove(&i.to_le_bytes()), Some(i + 1));
        }
        assert_eq!((t.len(), t.slots.len()), (0, 0));
    }
}
