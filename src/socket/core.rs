//! A socket's core as its pattern sees it: the options and the pipes, found by id, with
//! the reads and writes every pattern uses (pipes found dead on the way are collected in
//! `dead` and removed by the socket after the operation).

use super::pipe_table::PipeTable;
use crate::msg::Msg;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId};

/// The parts of a socket its pattern works on.
pub struct Core {
    pub options: Options,
    pub(super) pipes: PipeTable,
    /// Pipes found dead during a pattern operation, removed right after it.
    pub(super) dead: Vec<PipeId>,
    /// During a receive whose frame is copied out and dropped (zmq_recv): `read_into`
    /// leaves the connection's metadata off (see `Pipe::read_bare`).
    pub(super) bare_reads: bool,
}

impl Core {
    pub fn pipe(&self, id: PipeId) -> Option<&Pipe> {
        self.pipes.get(id)
    }

    /// Read a frame from a pipe. None when empty (the pipe is then asleep) or gone.
    #[inline]
    pub fn read(&mut self, id: PipeId) -> Option<Msg> {
        let pipe = self.pipes.get_mut(id)?;
        let m = pipe.read();
        if m.is_none() && pipe.peer_gone() {
            self.dead.push(id);
        }
        m
    }

    /// [`read`](Self::read) into `out` (replaced only when a frame is there; see
    /// `Pipe::read_over`): false when empty or gone.
    #[inline]
    pub fn read_into(&mut self, id: PipeId, out: &mut Msg) -> bool {
        let Some(pipe) = self.pipes.get_mut(id) else { return false };
        if pipe.read_over(out, !self.bare_reads) {
            return true;
        }
        if pipe.peer_gone() {
            self.dead.push(id);
        }
        false
    }

    /// The first frame of pipe `id`'s next message, if at hand (see `Pipe::peek_message`).
    #[inline]
    pub fn peek_message(&self, id: PipeId) -> Option<&[u8]> {
        self.pipes.get(id)?.peek_message()
    }

    pub fn check_read(&mut self, id: PipeId) -> bool {
        match self.pipes.get_mut(id) {
            Some(p) => {
                let ok = p.check_read();
                if !ok && p.peer_gone() {
                    self.dead.push(id);
                }
                ok
            }
            None => false,
        }
    }

    /// Whether a new message may be written to a pipe now.
    #[inline]
    pub fn check_write(&mut self, id: PipeId) -> bool {
        match self.pipes.get_mut(id) {
            Some(p) => {
                let ok = p.check_write();
                // A closed peer may still have left messages for us: the pipe dies once
                // they are read too.
                if !ok && p.peer_gone() {
                    self.dead.push(id);
                }
                ok
            }
            None => false,
        }
    }

    /// `check_write` then `write` with one lookup of the pipe: false (frame dropped) if
    /// the pipe has no room or is gone.
    #[inline]
    pub fn write_if_room(&mut self, id: PipeId, msg: Msg) -> bool {
        match self.write_if_room_unflushed_at(id, msg) {
            Some(at) => {
                self.flush_at(at);
                true
            }
            None => false,
        }
    }

    /// `write_if_room`, but the reader sees the frame only after `flush_at`, given the
    /// pipe's position returned here (valid for the rest of this operation: pipes are
    /// added and removed only between operations). A fan-out writes every subscriber's
    /// pipe first and flushes them after: each flush is a full barrier, which would
    /// otherwise wait for that one pipe's slot write (a cold cache line when hundreds of
    /// pipes are fed) before the next write could start; and the position spares the
    /// flush a second lookup by id.
    #[inline]
    pub fn write_if_room_unflushed_at(&mut self, id: PipeId, msg: Msg) -> Option<usize> {
        let at = self.pipes.position(id)?;
        let p = self.pipes.at_mut(at);
        if p.check_write() && p.write_unflushed(msg).is_ok() {
            return Some(at);
        }
        if p.peer_gone() {
            self.dead.push(id);
        }
        None
    }

    /// Flush the pipe at a position `write_if_room_unflushed_at` gave in this operation.
    #[inline]
    pub fn flush_at(&mut self, at: usize) {
        self.pipes.at_mut(at).flush();
    }

    /// Make what was written to the pipe visible to its reader.
    #[inline]
    pub fn flush(&mut self, id: PipeId) {
        if let Some(p) = self.pipes.get_mut(id) {
            p.flush();
        }
    }

    /// Write a frame. Gives it back if the pipe is gone.
    #[inline(always)]
    pub fn write(&mut self, id: PipeId, msg: Msg) -> std::result::Result<(), Msg> {
        match self.pipes.get_mut(id) {
            Some(p) => p.write(msg).inspect_err(|_| {
                if p.peer_gone() {
                    self.dead.push(id)
                }
            }),
            None => Err(msg),
        }
    }

    pub fn rollback(&mut self, id: PipeId) {
        if let Some(p) = self.pipes.get_mut(id) {
            p.rollback();
        }
    }

    /// Close a pipe from the pattern's side (e.g. PAIR rejecting a second peer).
    pub fn close_pipe(&mut self, id: PipeId) {
        if let Some(p) = self.pipes.get_mut(id) {
            p.close();
            self.dead.push(id);
        }
    }

    pub fn pipe_ids(&self) -> Vec<PipeId> {
        self.pipes.ids().collect()
    }
}
