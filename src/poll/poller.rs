//! zmq_poller: a set of sockets and plain fds registered once and waited on many times,
//! level-triggered, each with the caller's `user_data` handed back with its events.
//!
//! A wait is zmq_poll's (`wait.rs`) over the registered objects that have events enabled.
//! Thread-safe sockets (SERVER, CLIENT...) are polled like any socket, through the same
//! SharedSocket and mailbox eventfd; as other threads may use them meanwhile, a wait on
//! one looks again every THREAD_SAFE_SLICE at most. Registering one also gives the
//! poller its descriptor (zmq_poller_fd, `readiness.rs`), as libzmq does.
//!
//! Errors are libzmq's: EINVAL for bad events or a socket/fd added twice or not
//! registered, EBADF for the retired fd -1, EAGAIN when a wait times out, EFAULT for a
//! wait that could never end, ETERM from a socket whose context is terminating.

use super::readiness::ReadinessFd;
use super::wait::{fd_poll_events, fd_revents, look_and_wait, socket_revents};
use crate::constants::*;
use crate::ctx::mailbox::Mailbox;
use crate::error::{Error, Result};
use crate::socket::shared::SharedSocket;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

/// How long a wait that involves a thread-safe socket sleeps at most before looking again
/// (a wake-up taken by another thread's call is then noticed this late at worst).
const THREAD_SAFE_SLICE: Duration = Duration::from_millis(10);

/// The events a registration may ask for.
const VALID_EVENTS: i16 = ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI;

/// zmq.h's retired_fd: never a valid registration.
const RETIRED_FD: RawFd = -1;

enum Target<'s> {
    Socket {
        socket: &'s SharedSocket,
        /// Keeps the eventfd open (and its number ours) while registered.
        mailbox: Arc<Mailbox>,
        thread_safe: bool,
    },
    Fd(RawFd),
}

struct Item<'s, U> {
    target: Target<'s>,
    user_data: U,
    events: i16,
}

/// One ready object, as zmq_poller_wait reports it.
#[derive(Clone, Copy)]
pub struct Event<'s, U> {
    /// None for a plain fd.
    pub socket: Option<&'s SharedSocket>,
    /// The plain fd, or -1 for a socket.
    pub fd: RawFd,
    pub user_data: U,
    pub events: i16,
}

/// A poller over sockets that outlive it (`'s`); `U` is the caller's per-object data.
pub struct Poller<'s, U> {
    items: Vec<Item<'s, U>>,
    /// Created when the first thread-safe socket is registered, kept from then on.
    readiness: Option<ReadinessFd>,
}

impl<U> Default for Poller<'_, U> {
    fn default() -> Self {
        Poller { items: Vec::new(), readiness: None }
    }
}

fn check_events(events: i16) -> Result<()> {
    if events & !VALID_EVENTS != 0 {
        return Err(Error::INVAL);
    }
    Ok(())
}

fn check_fd(fd: RawFd) -> Result<()> {
    if fd == RETIRED_FD {
        return Err(Error::BADF);
    }
    Ok(())
}

impl<'s, U: Copy> Poller<'s, U> {
    pub fn new() -> Self {
        Self::default()
    }

    /// zmq_poller_size: registered sockets and fds, with events or not.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn socket_at(&self, socket: &SharedSocket) -> Result<usize> {
        self.items
            .iter()
            .position(|it| matches!(it.target, Target::Socket { socket: s, .. } if std::ptr::eq(s, socket)))
            .ok_or(Error::INVAL)
    }

    fn fd_at(&self, fd: RawFd) -> Result<usize> {
        self.items.iter().position(|it| matches!(it.target, Target::Fd(f) if f == fd)).ok_or(Error::INVAL)
    }

    pub fn add(&mut self, socket: &'s SharedSocket, user_data: U, events: i16) -> Result<()> {
        check_events(events)?;
        if self.socket_at(socket).is_ok() {
            return Err(Error::INVAL);
        }
        let (mailbox, thread_safe) = socket.with(|s| Ok((s.mailbox().clone(), s.options().thread_safe())))?;
        if thread_safe && self.readiness.is_none() {
            self.readiness = Some(ReadinessFd::new()?);
        }
        self.items.push(Item { target: Target::Socket { socket, mailbox, thread_safe }, user_data, events });
        self.update_readiness();
        Ok(())
    }

    pub fn modify(&mut self, socket: &SharedSocket, events: i16) -> Result<()> {
        check_events(events)?;
        let i = self.socket_at(socket)?;
        self.items[i].events = events;
        self.update_readiness();
        Ok(())
    }

    pub fn remove(&mut self, socket: &SharedSocket) -> Result<()> {
        let i = self.socket_at(socket)?;
        self.items.remove(i);
        self.update_readiness();
        Ok(())
    }

    pub fn add_fd(&mut self, fd: RawFd, user_data: U, events: i16) -> Result<()> {
        check_fd(fd)?;
        check_events(events)?;
        if self.fd_at(fd).is_ok() {
            return Err(Error::INVAL);
        }
        self.items.push(Item { target: Target::Fd(fd), user_data, events });
        self.update_readiness();
        Ok(())
    }

    pub fn modify_fd(&mut self, fd: RawFd, events: i16) -> Result<()> {
        check_fd(fd)?;
        check_events(events)?;
        let i = self.fd_at(fd)?;
        self.items[i].events = events;
        self.update_readiness();
        Ok(())
    }

    pub fn remove_fd(&mut self, fd: RawFd) -> Result<()> {
        check_fd(fd)?;
        let i = self.fd_at(fd)?;
        self.items.remove(i);
        self.update_readiness();
        Ok(())
    }

    /// zmq_poller_fd: EINVAL until a thread-safe socket has been registered.
    pub fn fd(&self) -> Result<RawFd> {
        self.readiness.as_ref().map(|r| r.fd()).ok_or(Error::INVAL)
    }

    /// The registrations with events enabled, as poll(2) watches them.
    fn active(&self) -> impl Iterator<Item = (&Item<'s, U>, libc::pollfd)> + '_ {
        self.items.iter().filter(|it| it.events != 0).map(|it| {
            let pfd = match &it.target {
                Target::Socket { mailbox, .. } => libc::pollfd { fd: mailbox.fd(), events: libc::POLLIN, revents: 0 },
                Target::Fd(fd) => libc::pollfd { fd: *fd, events: fd_poll_events(it.events), revents: 0 },
            };
            (it, pfd)
        })
    }

    fn update_readiness(&mut self) {
        if self.readiness.is_some() {
            let wanted: Vec<(RawFd, i16)> = self.active().map(|(_, pfd)| (pfd.fd, pfd.events)).collect();
            if let Some(r) = self.readiness.as_mut() {
                r.watch_exactly(wanted.into_iter());
            }
        }
    }

    /// zmq_poller_wait_all: fills `out` with up to `max` ready objects, in registration
    /// order, waiting up to `timeout_ms` (< 0: forever) for one; EAGAIN on timeout.
    pub fn wait(&self, out: &mut Vec<Event<'s, U>>, max: usize, timeout_ms: i64) -> Result<()> {
        out.clear();
        let (items, mut fds): (Vec<&Item<'s, U>>, Vec<libc::pollfd>) = self.active().unzip();
        if items.is_empty() && timeout_ms < 0 {
            // Nothing could ever end the wait.
            return Err(Error::FAULT);
        }
        let mut sockets = Vec::new();
        let mut thread_safe = false;
        for it in &items {
            if let Target::Socket { socket, thread_safe: ts, .. } = it.target {
                sockets.push(socket);
                thread_safe |= ts;
            }
        }
        let slice = thread_safe.then_some(THREAD_SAFE_SLICE);
        let found = look_and_wait(&sockets, &mut fds, timeout_ms, slice, false, |fds| {
            out.clear();
            for (it, pfd) in items.iter().zip(fds) {
                let (socket, fd, events) = match it.target {
                    Target::Socket { socket, .. } => (Some(socket), RETIRED_FD, socket_revents(socket, it.events)?),
                    Target::Fd(fd) => (None, fd, fd_revents(pfd.revents, it.events)),
                };
                if events != 0 && out.len() < max {
                    out.push(Event { socket, fd, user_data: it.user_data, events });
                }
            }
            Ok(out.len())
        })?;
        if found == 0 {
            return Err(Error::AGAIN);
        }
        Ok(())
    }
}
