//! zmq_poller_fd: one descriptor that polls readable when any of a poller's objects may
//! have events. It is an epoll instance (level-triggered) watching the sockets' mailbox
//! eventfds and the plain fds with their events: the kernel reports an epoll fd readable
//! while one of its watched fds is ready, and nobody ever calls epoll_wait on it, so it
//! is exactly "something may be ready, call zmq_poller_wait". Like ZMQ_FD, a socket's
//! part of it clears when the socket's commands are taken (zmq_poller_wait does that).

use crate::error::Result;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub(super) struct ReadinessFd {
    epoll: OwnedFd,
    /// What the epoll set was last told to watch: fd -> epoll events.
    watched: HashMap<RawFd, u32>,
}

impl ReadinessFd {
    pub(super) fn new() -> Result<ReadinessFd> {
        // SAFETY: plain syscall; the fd is owned by OwnedFd below.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(ReadinessFd { epoll: unsafe { OwnedFd::from_raw_fd(fd) }, watched: HashMap::new() })
    }

    pub(super) fn fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    /// Makes the set watch exactly `wanted` (fd, poll(2) events; an fd listed twice
    /// watches the union). A plain fd the caller already closed, or an invalid one, is
    /// simply not watched: zmq_poller_wait still reports it (POLLNVAL as ZMQ_POLLERR).
    pub(super) fn watch_exactly(&mut self, wanted: impl Iterator<Item = (RawFd, i16)>) {
        let mut now: HashMap<RawFd, u32> = HashMap::new();
        for (fd, ev) in wanted {
            *now.entry(fd).or_default() |= ev as u16 as u32;
        }
        for (&fd, _) in self.watched.iter().filter(|(fd, _)| !now.contains_key(fd)) {
            self.ctl(libc::EPOLL_CTL_DEL, fd, 0);
        }
        // ADD, or MOD when it is there already: a closed fd leaves epoll sets by itself,
        // and its number may have come back as another file since.
        for (&fd, &ev) in &now {
            if !self.ctl(libc::EPOLL_CTL_ADD, fd, ev) && std::io::Error::last_os_error().raw_os_error() == Some(libc::EEXIST) {
                self.ctl(libc::EPOLL_CTL_MOD, fd, ev);
            }
        }
        self.watched = now;
    }

    /// One epoll_ctl call; false if it failed (errno tells why).
    fn ctl(&self, op: i32, fd: RawFd, events: u32) -> bool {
        let mut ev = libc::epoll_event { events, u64: fd as u64 };
        // SAFETY: epoll is our epoll fd; ev is a valid epoll_event for the call's duration.
        unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev) == 0 }
    }
}
