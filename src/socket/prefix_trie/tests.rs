//! The trie against a plain model: random operations, deep tries, label splits and merges.

use super::*;
use std::collections::BTreeMap;

fn count_at(t: &PrefixTrie, k: &[u8]) -> u32 {
    t.get(k)
}

/// The sum of the values of the prefixes of `data`, checking that the hash lookups
/// and the trie walk agree (whichever `for_each_prefix` would use).
fn prefixes(t: &PrefixTrie, data: &[u8]) -> u32 {
    let (mut by_lookup, mut by_walk) = (Vec::new(), Vec::new());
    t.lookup_prefixes(data, |v| {
        by_lookup.push(v);
        false
    });
    t.trie_prefixes(data, |v| {
        by_walk.push(v);
        false
    });
    assert_eq!(by_lookup, by_walk, "lookup and walk disagree on {data:?}");
    by_walk.iter().sum()
}

#[test]
fn split_merge_and_prune() {
    let mut t = PrefixTrie::default();
    t.entry(b"abcd", |v| *v += 1).unwrap();
    t.entry(b"ab", |v| *v += 1).unwrap(); // splits "abcd"
    t.entry(b"abxy", |v| *v += 1).unwrap();
    t.entry(b"", |v| *v += 1).unwrap(); // the root itself
    assert_eq!(t.keys(), vec![b"".to_vec(), b"ab".to_vec(), b"abcd".to_vec(), b"abxy".to_vec()]);
    assert_eq!(prefixes(&t, b"abcdef"), 3);
    assert_eq!(prefixes(&t, b"abc"), 2);
    assert_eq!(prefixes(&t, b"a"), 1);
    assert_eq!(count_at(&t, b"abc"), 0);
    t.update(b"ab", |v| *v -= 1);
    assert_eq!(prefixes(&t, b"abxyz"), 2);
    t.update(b"abcd", |v| *v -= 1);
    t.update(b"abxy", |v| *v -= 1);
    t.update(b"", |v| *v -= 1);
    assert!(t.keys().is_empty());
    assert_eq!(t.node_count(), 1, "everything pruned back to the root");
}

#[test]
fn binary_keys_and_keys_that_prefix_each_other() {
    let mut t = PrefixTrie::default();
    let keys: [&[u8]; 5] = [b"\0", b"\0\0", b"\xff\0\xff", b"\xff", b"\0\xff"];
    for k in keys {
        t.entry(k, |v| *v += 1).unwrap();
    }
    assert_eq!(prefixes(&t, b"\0\0\0"), 2);
    assert_eq!(prefixes(&t, b"\xff\0\xff\x01"), 2);
    assert_eq!(prefixes(&t, b"\x01"), 0);
    for k in keys {
        assert_eq!(count_at(&t, k), 1);
        t.update(k, |v| *v -= 1);
    }
    assert_eq!(t.node_count(), 1);
}

#[test]
fn deep_trie_is_walked_without_recursion() {
    let mut t = PrefixTrie::default();
    let long = vec![b'a'; 100_000];
    for n in (1..=long.len()).step_by(7) {
        t.entry(&long[..n], |v| *v += 1).unwrap();
    }
    assert_eq!(prefixes(&t, &long) as usize, long.len().div_ceil(7));
    t.visit_mut(|_, v| *v = 0);
    assert_eq!(t.node_count(), 1);
}

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn key(&mut self) -> Vec<u8> {
        // Short keys over a 3-letter alphabet: many shared prefixes and exact repeats;
        // half of them behind a long common prefix (labels kept in the byte arena).
        let len = (self.next() % 6) as usize;
        let mut k: Vec<u8> = if self.next() % 2 == 0 { b"a-long/shared\0prefix/".to_vec() } else { Vec::new() };
        k.extend((0..len).map(|_| b"ab\0"[(self.next() % 3) as usize]));
        k
    }
}

/// The exact index holds the model's keys and counts, one map per length that has keys,
/// sorted by length (a length whose last key left has no map).
fn assert_exact_index_is(t: &PrefixTrie, model: &BTreeMap<Vec<u8>, u32>) {
    let lengths: Vec<usize> = t.exact.iter().map(|(len, _)| *len).collect();
    let mut want: Vec<usize> = model.keys().map(|k| k.len()).collect();
    want.sort();
    want.dedup();
    assert_eq!(lengths, want);
    for (len, map) in &t.exact {
        assert_eq!(map.len(), model.keys().filter(|k| k.len() == *len).count());
        for (k, v) in model.iter().filter(|(k, _)| k.len() == *len) {
            assert_eq!(map.get(&k[..]), Some(*v), "key {k:?}");
        }
    }
}

/// Random adds, removes and matches against a map of counts with a linear scan.
#[test]
fn matches_a_simple_model() {
    for seed in 1..40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut t = PrefixTrie::default();
        let mut model = BTreeMap::<Vec<u8>, u32>::new();
        for _ in 0..400 {
            let k = rng.key();
            match rng.next() % 4 {
                0 | 1 => {
                    t.entry(&k, |v| *v += 1).unwrap();
                    *model.entry(k).or_default() += 1;
                }
                2 => {
                    let had = model.get(&k).copied().unwrap_or(0);
                    let r = t.update(&k, |v| {
                        if *v > 0 {
                            *v -= 1
                        }
                    });
                    if had > 0 {
                        assert!(r.is_some());
                        *model.get_mut(&k).unwrap() -= 1;
                        if model[&k] == 0 {
                            model.remove(&k);
                        }
                    }
                }
                _ => {
                    let want: u32 = model.iter().filter(|(m, _)| k.starts_with(m)).map(|(_, c)| c).sum();
                    assert_eq!(prefixes(&t, &k), want, "seed {seed} data {k:?}");
                }
            }
            assert_eq!(t.keys(), model.keys().cloned().collect::<Vec<_>>(), "seed {seed}");
            assert_exact_index_is(&t, &model);
        }
        // Only nodes that hold a value or branch survive pruning.
        let mut branching = 0;
        t.visit_mut(|_, _| {});
        for n in &t.nodes {
            if n.parent != NONE && n.value == 0 {
                assert!(n.children.len() >= 2, "seed {seed}: an empty node with < 2 children survived");
                branching += 1;
            }
        }
        assert!(t.node_count() <= 1 + model.len() + branching);
        assert!(t.bytes.len() <= 2 * t.live_bytes + 4096, "seed {seed}: arena not compacted");
        t.visit_mut(|_, v| *v = 0);
        assert_eq!(t.node_count(), 1, "seed {seed}");
    }
}
