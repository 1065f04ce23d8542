//! The turn-taking that fair queuing (`fq.rs`) and load balancing (`lb.rs`) share: the
//! pipes that may be ready (with messages to read, or room to write) and whose turn it is.
//! A pipe found not ready leaves the rotation until its pipe event brings it back.

use crate::pipe::PipeId;

#[derive(Default)]
pub struct Rotation {
    pipes: Vec<PipeId>,
    current: usize,
}

impl Rotation {
    /// A new pipe joins (at the back).
    pub fn add(&mut self, id: PipeId) {
        self.pipes.push(id);
    }

    /// A pipe that left may be ready again.
    pub fn activate(&mut self, id: PipeId) {
        if !self.pipes.contains(&id) {
            self.pipes.push(id);
        }
    }

    /// Removes `id` if present; returns whether it was the one whose turn it was.
    pub fn remove(&mut self, id: PipeId) -> bool {
        match self.pipes.iter().position(|&p| p == id) {
            Some(i) => {
                let was_current = i == self.current;
                self.remove_at(i);
                was_current
            }
            None => false,
        }
    }

    /// The pipe whose turn it is, None if none may be ready.
    #[inline]
    pub fn current(&mut self) -> Option<PipeId> {
        if self.current >= self.pipes.len() {
            self.current = 0;
        }
        self.pipes.get(self.current).copied()
    }

    /// The current pipe was not ready: it leaves the rotation.
    #[inline]
    pub fn drop_current(&mut self) {
        self.remove_at(self.current);
    }

    /// The current pipe had its turn (a whole message): the next one's.
    #[inline]
    pub fn advance(&mut self) {
        // No division on the per-message path.
        self.current = if self.current + 1 >= self.pipes.len() { 0 } else { self.current + 1 };
    }

    /// The first pipe from the current one on for which `ready` holds, dropping those
    /// for which it does not.
    #[inline]
    pub fn find_ready(&mut self, mut ready: impl FnMut(PipeId) -> bool) -> Option<PipeId> {
        while let Some(id) = self.current() {
            if ready(id) {
                return Some(id);
            }
            self.drop_current();
        }
        None
    }

    fn remove_at(&mut self, i: usize) {
        self.pipes.remove(i);
        if i < self.current {
            self.current -= 1;
        }
        if self.current >= self.pipes.len() {
            self.current = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u64) -> Vec<PipeId> {
        (1..=n).collect()
    }

    #[test]
    fn takes_turns_and_drops_pipes_not_ready() {
        let p = ids(3);
        let mut r = Rotation::default();
        p.iter().for_each(|&id| r.add(id));
        let mut order = Vec::new();
        for _ in 0..4 {
            order.push(r.current().unwrap());
            r.advance();
        }
        assert_eq!(order, vec![p[0], p[1], p[2], p[0]]);
        // Now at p[1]: it is not ready, p[2] is.
        assert_eq!(r.find_ready(|id| id == p[2]), Some(p[2]));
        // p[1] comes back once, at the back: [p0, p2, p1].
        r.activate(p[1]);
        r.activate(p[1]);
        r.advance();
        assert_eq!(r.current(), Some(p[1]));
        r.advance();
        assert_eq!(r.current(), Some(p[0]));
        assert!(!r.remove(p[1]));
        assert!(r.remove(p[0]));
        assert!(!r.remove(p[0]));
        assert_eq!(r.current(), Some(p[2]));
        assert_eq!(r.find_ready(|_| false), None);
        assert_eq!(r.current(), None);
    }
}
