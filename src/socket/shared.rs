//! A socket as the C API hands it out: any thread may call into it at any time (libzmq's
//! sockets are not thread-safe, and misuse corrupts their heap; ours must stay
//! memory-safe). Each call takes the socket's lock for the duration of its work: an
//! uncontended lock is one atomic exchange in and a plain store out (`socket_lock`), so
//! single-threaded use pays almost nothing. A call that must block releases the lock
//! while it sleeps, so a recv blocked in one thread never stalls a send, a setsockopt
//! or a close in another.
//!
//! Waking: blocked calls sleep on the socket's mailbox eventfd. A call that handles
//! commands while another thread sleeps wakes the sleepers (the commands may be theirs:
//! a pipe became readable or writable). But any call clears the eventfd when it takes
//! the commands, so a sleeper can miss a wake-up meant for it. So once a socket has been
//! used by a thread while another slept on it (it is "shared"), its sleepers look again
//! every SHARED_SLICE at most; before that, every UNSHARED_SLICE (a wake-up missed at
//! the moment the socket becomes shared costs at most that, once). Single-threaded use
//! never misses a wake-up and pays one extra look per second of blocking. The same
//! mechanism can serve libzmq's thread-safe socket types (SERVER, CLIENT, RADIO,
//! DISH...), which are meant to be used from several threads at once.

use super::{wait_and_retry, Socket};
use crate::constants::*;
use crate::ctx::mailbox::deadline_after;
use crate::ctx::mailbox::{Mailbox, Wake};
use crate::error::{Error, Result};
use crate::msg::Msg;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use super::socket_lock::{Guard, SocketLock};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a blocked call sleeps at most before looking again (see the module doc).
const SHARED_SLICE: Duration = Duration::from_millis(10);
const UNSHARED_SLICE: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct SharedSocket {
    /// None once closed: calls then fail with ENOTSOCK.
    socket: SocketLock<Option<Socket>>,
    /// Calls sleeping with the lock released.
    sleeping: AtomicUsize,
    /// A call ran while another slept: sleepers look again every SHARED_SLICE.
    shared: AtomicBool,
}

impl SharedSocket {
    pub fn new(socket: Socket) -> SharedSocket {
        SharedSocket { socket: SocketLock::new(Some(socket)), sleeping: AtomicUsize::new(0), shared: AtomicBool::new(false) }
    }

    /// Puts a new socket in a closed slot (handles are reused, see ffi::socket).
    pub fn reopen(&self, socket: Socket) {
        *self.lock() = Some(socket);
    }

    #[inline]
    fn lock(&self) -> Guard<'_, Option<Socket>> {
        self.socket.lock()
    }

    /// Runs `f` on the socket, holding it for the duration.
    #[inline]
    pub fn with<T>(&self, f: impl FnOnce(&mut Socket) -> Result<T>) -> Result<T> {
        self.with_as(false, f)
    }

    /// [`with`](Self::with) for a call that is itself counted as sleeping (`sleeper`).
    #[inline]
    fn with_as<T>(&self, sleeper: bool, f: impl FnOnce(&mut Socket) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        let socket = guard.as_mut().ok_or(Error::NOTSOCK)?;
        let before = socket.commands_handled();
        let r = f(socket);
        let others_sleep = self.sleeping.load(Ordering::SeqCst) > sleeper as usize;
        if others_sleep && (socket.commands_handled() != before || !self.shared.swap(true, Ordering::SeqCst)) {
            socket.mailbox().wake();
        }
        r
    }

    /// Counts the caller as sleeping on this socket until the guard drops (zmq_poll does,
    /// while it waits on the socket's eventfd), so other sleepers stay awake to it.
    pub fn sleeping_guard(&self) -> impl Drop + '_ {
        Sleeping::new(&self.sleeping)
    }

    /// Calls currently sleeping in a blocking operation on this socket.
    pub fn sleeping(&self) -> usize {
        self.sleeping.load(Ordering::SeqCst)
    }

    /// zmq_close: the socket goes (its Drop does what zmq_close must); calls sleeping on
    /// it wake up and fail with ENOTSOCK.
    pub fn close(&self) -> Result<()> {
        let socket = self.lock().take().ok_or(Error::NOTSOCK)?;
        let mailbox = socket.mailbox().clone();
        drop(socket);
        mailbox.wake();
        Ok(())
    }

    pub fn send(&self, msg: &mut Msg, flags: i32) -> Result<()> {
        self.blocking(flags, |s| s.options().sndtimeo, |s| s.try_send(msg, flags))
    }

    pub fn recv(&self, flags: i32) -> Result<Msg> {
        let mut msg = Msg::new();
        self.recv_into(flags, &mut msg)?;
        Ok(msg)
    }

    /// `recv` into the caller's message, replaced only on success (zmq_msg_recv's
    /// contract): no 64-byte result is passed back through the lock and retry layers.
    #[inline]
    pub fn recv_into(&self, flags: i32, out: &mut Msg) -> Result<()> {
        self.blocking(flags, |s| s.options().rcvtimeo, |s| s.try_recv_into(out))
    }

    /// `recv_into` for zmq_recv, which copies the frame into the caller's buffer and
    /// drops it: the frame may come without its connection's metadata.
    #[inline]
    pub fn recv_bare(&self, flags: i32, out: &mut Msg) -> Result<()> {
        self.blocking(flags, |s| s.options().rcvtimeo, |s| s.try_recv_bare(out))
    }

    pub fn events(&self) -> Result<i32> {
        self.with(|s| s.events())
    }

    /// The socket's mailbox (its ZMQ_FD), for zmq_poll.
    pub fn mailbox(&self) -> Result<Arc<Mailbox>> {
        self.with(|s| Ok(s.mailbox().clone()))
    }

    /// An operation that may have to wait: tried under the lock, waited for without it.
    fn blocking<T>(
        &self,
        flags: i32,
        timeout_of: impl FnOnce(&Socket) -> i32,
        mut attempt: impl FnMut(&mut Socket) -> Result<T>,
    ) -> Result<T> {
        let dontwait = flags & ZMQ_DONTWAIT != 0;
        // The mailbox and timeout are fetched only when the call must wait (the hot path
        // stays one lock and the attempt).
        // `wait` is set aside rather than returned with the result: the result (often a
        // 64-byte message) then travels to the caller without being repacked.
        let mut wait = None;
        let r = self.with(|s| {
            let r = attempt(s);
            if !dontwait && matches!(r, Err(Error::AGAIN)) {
                wait = Some((s.mailbox().clone(), timeout_of(s)));
            }
            r
        });
        let Some((mailbox, timeout)) = wait.filter(|&(_, t)| t != 0) else {
            return r;
        };
        let _sleeping = Sleeping::new(&self.sleeping);
        let waiter = SlicedWait { mailbox: &mailbox, shared: &self.shared };
        wait_and_retry(&waiter, deadline_after(timeout), || self.with_as(true, &mut attempt))
    }
}

/// Counts a call as sleeping while it lives.
struct Sleeping<'a>(&'a AtomicUsize);

impl<'a> Sleeping<'a> {
    fn new(count: &'a AtomicUsize) -> Sleeping<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Sleeping(count)
    }
}

impl Drop for Sleeping<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The mailbox wait, cut into slices (see the module doc).
pub(crate) struct SlicedWait<'a> {
    mailbox: &'a Mailbox,
    shared: &'a AtomicBool,
}

impl super::Waiter for SlicedWait<'_> {
    fn wait(&self, deadline: Option<Instant>) -> Wake {
        let slice = if self.shared.load(Ordering::SeqCst) { SHARED_SLICE } else { UNSHARED_SLICE };
        let slice_end = Instant::now() + slice;
        match self.mailbox.wait(Some(deadline.map_or(slice_end, |d| d.min(slice_end)))) {
            Wake::TimedOut if deadline.map_or(true, |d| slice_end < d) => Wake::Ready,
            other => other,
        }
    }
}
