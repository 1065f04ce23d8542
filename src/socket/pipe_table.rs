//! A socket's pipes, by id. Each message looks its pipe up once or twice, and most
//! sockets have one or a few pipes: up to `SCAN_MAX` of them are found by scanning a short
//! array of ids (a compare or two, no hashing). Beyond that an index by id takes over, so
//! a ROUTER or PUB with thousands of peers still finds a pipe in constant time.

use crate::pipe::{Pipe, PipeId, PipeMap};

/// Up to this many pipes, a lookup scans the ids instead of hashing.
const SCAN_MAX: usize = 8;

#[derive(Default)]
pub struct PipeTable {
    /// `ids[i]` is `pipes[i].id()`, kept apart so a scan reads one short array.
    ids: Vec<PipeId>,
    pipes: Vec<Pipe>,
    /// Position of each id in `pipes`; empty while there are at most SCAN_MAX pipes.
    index: PipeMap<usize>,
}

impl PipeTable {
    /// Where the pipe sits, until the next insert or remove.
    #[inline]
    pub fn position(&self, id: PipeId) -> Option<usize> {
        if self.index.is_empty() {
            self.ids.iter().position(|&x| x == id)
        } else {
            self.index.get(&id).copied()
        }
    }

    #[inline]
    pub fn get(&self, id: PipeId) -> Option<&Pipe> {
        self.position(id).map(|i| &self.pipes[i])
    }

    #[inline]
    pub fn get_mut(&mut self, id: PipeId) -> Option<&mut Pipe> {
        self.position(id).map(|i| &mut self.pipes[i])
    }

    /// The pipe at a position `position` gave (no insert or remove since).
    #[inline]
    pub fn at_mut(&mut self, at: usize) -> &mut Pipe {
        &mut self.pipes[at]
    }

    pub fn contains(&self, id: PipeId) -> bool {
        self.position(id).is_some()
    }

    /// Add a pipe (ids are unique: a pipe is attached once).
    pub fn insert(&mut self, pipe: Pipe) {
        debug_assert!(!self.contains(pipe.id()));
        self.ids.push(pipe.id());
        self.pipes.push(pipe);
        if self.pipes.len() > SCAN_MAX {
            if self.index.is_empty() {
                self.index = self.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
            } else {
                self.index.insert(self.ids[self.ids.len() - 1], self.ids.len() - 1);
            }
        }
    }

    pub fn remove(&mut self, id: PipeId) -> Option<Pipe> {
        let i = self.position(id)?;
        self.ids.swap_remove(i);
        let pipe = self.pipes.swap_remove(i);
        if self.pipes.len() <= SCAN_MAX {
            self.index.clear();
        } else {
            self.index.remove(&id);
            if let Some(&moved) = self.ids.get(i) {
                self.index.insert(moved, i);
            }
        }
        Some(pipe)
    }

    pub fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = PipeId> + '_ {
        self.ids.iter().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pipe> {
        self.pipes.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Pipe> {
        self.pipes.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Adds and removes pipes in an order that crosses SCAN_MAX both ways many times,
    /// checking every lookup against a plain set of what should be there.
    #[test]
    fn lookups_match_a_model_across_the_scan_limit() {
        let mut table = PipeTable::default();
        let mut model = BTreeSet::new();
        let mut kept = Vec::new(); // the peer ends, so the pipes stay open
        let mut seed = 12345u64;
        for step in 0..3000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let grow = (step / 200) % 2 == 0; // phases of mostly adding, mostly removing
            if model.is_empty() || (seed >> 33) % 10 < if grow { 7 } else { 3 } {
                let (a, b) = crate::pipe::pair(0, 0);
                model.insert(a.id());
                table.insert(a);
                kept.push(b);
            } else {
                let victims: Vec<_> = model.iter().copied().collect();
                let id = victims[(seed >> 40) as usize % victims.len()];
                assert_eq!(table.remove(id).map(|p| p.id()), Some(id));
                model.remove(&id);
                assert!(table.remove(id).is_none());
            }
            for &id in &model {
                assert_eq!(table.get(id).map(|p| p.id()), Some(id));
            }
            assert!(table.get(u64::MAX).is_none());
            assert_eq!(table.ids().collect::<BTreeSet<_>>(), model);
            assert_eq!(table.iter().count(), model.len());
            assert_eq!(table.index.is_empty(), model.len() <= SCAN_MAX);
        }
    }
}
