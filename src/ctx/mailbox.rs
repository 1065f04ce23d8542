//! A socket's command mailbox: a lock-free queue plus an eventfd. The eventfd is what the
//! C API exposes as ZMQ_FD: it becomes readable when a command arrives, meaning "the
//! socket's events may have changed". It is edge-like: reading commands clears it.

use crate::error::Result;
use crate::pipe::{Notify, PipeEvent};
use crossbeam_queue::SegQueue;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What other threads tell a socket.
pub enum Command {
    /// A pipe event (readable, writable, closed, or a new pipe attached).
    Pipe(PipeEvent),
    /// A new pipe for this socket (inproc peer, or a tcp/ipc connection that finished
    /// its handshake).
    Attach(Box<crate::pipe::Pipe>),
    /// The context is terminating: blocked and future calls return ETERM.
    Stop,
    /// Something else changed (e.g. a monitor event): just wake up and re-check.
    Wake,
}

/// Why [`Mailbox::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A command may be waiting.
    Ready,
    TimedOut,
    /// A signal handler ran.
    Interrupted,
}

pub struct Mailbox {
    queue: SegQueue<Command>,
    efd: OwnedFd,
    /// True while a wake-up is pending on the eventfd; avoids a syscall per command.
    signaled: AtomicBool,
    /// The socket is gone: commands are dropped (a pipe inside one closes, so its peer
    /// does not wait for a socket that will never read).
    closed: AtomicBool,
}

impl Mailbox {
    pub fn new() -> Result<Mailbox> {
        // SAFETY: plain syscall; the fd is owned by OwnedFd below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: fd is a fresh descriptor we own.
        let efd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Mailbox { queue: SegQueue::new(), efd, signaled: AtomicBool::new(false), closed: AtomicBool::new(false) })
    }

    pub fn fd(&self) -> RawFd {
        self.efd.as_raw_fd()
    }

    pub fn send(&self, cmd: Command) {
        self.queue.push(cmd);
        if self.closed.load(Ordering::SeqCst) {
            // Raced with close(): whichever of us looks last drops what is queued.
            while self.queue.pop().is_some() {}
            return;
        }
        if !self.signaled.swap(true, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writing 8 bytes from a valid u64 to our eventfd.
            unsafe { libc::write(self.efd.as_raw_fd(), &one as *const u64 as *const _, 8) };
        }
    }

    /// Wakes whoever sleeps on the eventfd (even after close), with no command: they look
    /// at their socket again.
    pub fn wake(&self) {
        self.signaled.store(true, Ordering::SeqCst);
        let one: u64 = 1;
        // SAFETY: writing 8 bytes from a valid u64 to our eventfd.
        unsafe { libc::write(self.efd.as_raw_fd(), &one as *const u64 as *const _, 8) };
    }

    /// The owner is gone: drop every queued and future command.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        while self.queue.pop().is_some() {}
    }

    /// Whether commands may be waiting (cheap: no syscall).
    #[inline]
    pub fn pending(&self) -> bool {
        self.signaled.load(Ordering::SeqCst) || !self.queue.is_empty()
    }

    /// Take every waiting command. Clears the eventfd first, then the flag, so a command
    /// sent concurrently either is in this batch or re-signals the fd.
    pub fn drain(&self, mut f: impl FnMut(Command)) {
        if self.signaled.load(Ordering::SeqCst) {
            let mut buf: u64 = 0;
            // SAFETY: reading 8 bytes into a valid u64 from our non-blocking eventfd.
            unsafe { libc::read(self.efd.as_raw_fd(), &mut buf as *mut u64 as *mut _, 8) };
            self.signaled.store(false, Ordering::SeqCst);
        }
        while let Some(cmd) = self.queue.pop() {
            f(cmd);
        }
    }

    /// Block until a command may be waiting, the deadline passes, or a signal handler runs
    /// (poll(2) fails with EINTR: the caller returns EINTR, as libzmq's blocking calls do,
    /// which is how Ctrl-C reaches a program blocked in recv).
    pub fn wait(&self, deadline: Option<Instant>) -> Wake {
        loop {
            if self.pending() {
                return Wake::Ready;
            }
            let timeout = match deadline {
                None => -1,
                Some(d) => {
                    let now = Instant::now();
                    if d <= now {
                        return Wake::TimedOut;
                    }
                    // Round up so we never wake before the deadline.
                    let left = d - now;
                    (left.as_micros().div_ceil(1000)).min(i32::MAX as u128) as i32
                }
            };
            let mut pfd = libc::pollfd { fd: self.efd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, timeout) };
            if rc > 0 {
                return Wake::Ready;
            }
            if rc < 0 {
                return match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => Wake::Interrupted,
                    // Cannot happen with one valid pollfd; look at the mailbox again.
                    _ => Wake::Ready,
                };
            }
        }
    }
}

impl Notify for Mailbox {
    fn notify(&self, ev: PipeEvent) {
        self.send(Command::Pipe(ev));
    }
}

/// Converts a ms timeout option (-1 = forever) into a deadline.
pub fn deadline_after(ms: i32) -> Option<Instant> {
    if ms < 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_millis(ms as u64))
    }
}
