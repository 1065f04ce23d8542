//! The poller over real sockets (inproc) and pipes: registration rules, errors, mixed
//! sockets and fds, user data, timeouts, ETERM; the readiness descriptor.

use super::readiness::ReadinessFd;
use super::Poller;
use crate::constants::*;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::socket::shared::SharedSocket;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pair(ctx: &Arc<Ctx>, name: &str) -> (SharedSocket, SharedSocket) {
    let mut a = ctx.socket(ZMQ_PAIR).unwrap();
    let mut b = ctx.socket(ZMQ_PAIR).unwrap();
    a.bind(name).unwrap();
    b.connect(name).unwrap();
    (SharedSocket::new(a), SharedSocket::new(b))
}

fn send(s: &SharedSocket, data: &[u8]) {
    s.send(&mut Msg::from_slice(data), 0).unwrap();
}

/// A pipe: (read end, write end).
fn os_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints; both fds are then owned below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn write_byte(fd: &OwnedFd) {
    // SAFETY: writing one byte from a valid buffer to an open fd.
    assert_eq!(unsafe { libc::write(fd.as_raw_fd(), b"x".as_ptr() as *const _, 1) }, 1);
}

fn readable(fd: RawFd) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 0) == 1 }
}

#[test]
fn registration_rules_and_errnos() {
    let ctx = Ctx::new();
    let (a, b) = pair(&ctx, "inproc://poller-rules");
    let (r, _w) = os_pipe();
    let mut p: Poller<'_, u32> = Poller::new();
    assert_eq!(p.len(), 0);
    p.add(&a, 1, ZMQ_POLLIN).unwrap();
    assert_eq!(p.add(&a, 1, ZMQ_POLLIN), Err(Error::INVAL), "added twice");
    assert_eq!(p.modify(&b, ZMQ_POLLIN), Err(Error::INVAL), "not registered");
    assert_eq!(p.remove(&b), Err(Error::INVAL));
    assert_eq!(p.add(&b, 2, i16::MAX), Err(Error::INVAL), "unknown event bits");
    p.add(&b, 2, 0).unwrap();
    assert_eq!(p.modify(&b, i16::MAX), Err(Error::INVAL));
    p.modify(&b, ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI).unwrap();
    assert_eq!(p.add_fd(-1, 3, ZMQ_POLLIN), Err(Error::BADF), "retired fd");
    assert_eq!(p.modify_fd(-1, ZMQ_POLLIN), Err(Error::BADF));
    assert_eq!(p.remove_fd(-1), Err(Error::BADF));
    assert_eq!(p.add_fd(r.as_raw_fd(), 3, i16::MAX), Err(Error::INVAL));
    assert_eq!(p.modify_fd(r.as_raw_fd(), ZMQ_POLLIN), Err(Error::INVAL), "fd not registered");
    assert_eq!(p.remove_fd(r.as_raw_fd()), Err(Error::INVAL));
    p.add_fd(r.as_raw_fd(), 3, ZMQ_POLLIN).unwrap();
    assert_eq!(p.add_fd(r.as_raw_fd(), 3, ZMQ_POLLIN), Err(Error::INVAL), "fd added twice");
    assert_eq!(p.len(), 3);
    p.modify(&a, 0).unwrap();
    assert_eq!(p.len(), 3, "events do not change the size");
    p.remove(&a).unwrap();
    p.remove_fd(r.as_raw_fd()).unwrap();
    assert_eq!(p.len(), 1);
    // Only thread-safe sockets give a poller its descriptor.
    assert_eq!(p.fd(), Err(Error::INVAL));
}

#[test]
fn waits_that_find_nothing() {
    let ctx = Ctx::new();
    let (a, _b) = pair(&ctx, "inproc://poller-nothing");
    let mut out = Vec::new();
    let mut p: Poller<'_, ()> = Poller::new();
    assert_eq!(p.wait(&mut out, 1, 0), Err(Error::AGAIN));
    assert_eq!(p.wait(&mut out, 1, -1), Err(Error::FAULT), "nothing could end it");
    let t = Instant::now();
    assert_eq!(p.wait(&mut out, 1, 30), Err(Error::AGAIN));
    assert!(t.elapsed() >= Duration::from_millis(30), "an empty poller still waits its timeout");
    p.add(&a, (), 0).unwrap();
    assert_eq!(p.wait(&mut out, 1, 0), Err(Error::AGAIN));
    assert_eq!(p.wait(&mut out, 1, -1), Err(Error::FAULT), "all events disabled");
    p.modify(&a, ZMQ_POLLIN).unwrap();
    let t = Instant::now();
    assert_eq!(p.wait(&mut out, 1, 50), Err(Error::AGAIN));
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(50) && waited < Duration::from_secs(2), "{waited:?}");
    assert!(out.is_empty());
}

#[test]
fn sockets_and_fds_mixed_with_user_data() {
    let ctx = Ctx::new();
    let (a, b) = pair(&ctx, "inproc://poller-mixed");
    let (r, w) = os_pipe();
    let mut p: Poller<'_, &str> = Poller::new();
    p.add(&b, "socket b", ZMQ_POLLIN).unwrap();
    p.add_fd(r.as_raw_fd(), "pipe", ZMQ_POLLIN).unwrap();
    let mut out = Vec::new();
    assert_eq!(p.wait(&mut out, 2, 0), Err(Error::AGAIN));

    send(&a, b"hello");
    p.wait(&mut out, 2, -1).unwrap();
    assert_eq!(out.len(), 1);
    let ev = out[0];
    assert!(std::ptr::eq(ev.socket.unwrap(), &b));
    assert_eq!((ev.fd, ev.user_data, ev.events), (-1, "socket b", ZMQ_POLLIN));

    write_byte(&w);
    p.wait(&mut out, 2, 0).unwrap();
    let got: Vec<_> = out.iter().map(|e| (e.user_data, e.fd, e.events, e.socket.is_some())).collect();
    assert_eq!(got, [("socket b", -1, ZMQ_POLLIN, true), ("pipe", r.as_raw_fd(), ZMQ_POLLIN, false)], "registration order");
    // Level-triggered: still there; `max` caps what is returned.
    p.wait(&mut out, 1, 0).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].user_data, "socket b");

    // Once the message is read, only the pipe is ready.
    assert_eq!(b.recv(0).unwrap().data(), b"hello");
    p.wait(&mut out, 2, 0).unwrap();
    assert_eq!(out.iter().map(|e| e.user_data).collect::<Vec<_>>(), ["pipe"]);

    // POLLOUT: only what was asked for is reported.
    p.modify(&b, ZMQ_POLLIN | ZMQ_POLLOUT).unwrap();
    p.modify_fd(r.as_raw_fd(), 0).unwrap();
    p.wait(&mut out, 2, 0).unwrap();
    assert_eq!(out.iter().map(|e| (e.user_data, e.events)).collect::<Vec<_>>(), [("socket b", ZMQ_POLLOUT)]);
}

/// A wait for POLLIN on `b` while another thread runs `meanwhile` 50 ms in: its result,
/// how many events it returned and how long it took.
fn wait_while(b: &SharedSocket, timeout_ms: i64, meanwhile: impl FnOnce() + Send) -> (Result<()>, usize, Duration) {
    let mut p: Poller<'_, ()> = Poller::new();
    p.add(b, (), ZMQ_POLLIN).unwrap();
    let mut out = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            meanwhile();
        });
        let t = Instant::now();
        let r = p.wait(&mut out, 1, timeout_ms);
        (r, out.len(), t.elapsed())
    })
}

#[test]
fn a_wait_ends_when_a_message_arrives() {
    let ctx = Ctx::new();
    let (a, b) = pair(&ctx, "inproc://poller-wakes");
    let (r, n, took) = wait_while(&b, 5000, || send(&a, b"late"));
    assert_eq!((r, n), (Ok(()), 1));
    assert!(took < Duration::from_secs(4), "woken by the message, not the timeout");
}

#[test]
fn a_terminating_context_ends_the_wait_with_eterm() {
    let ctx = Ctx::new();
    let (_a, b) = pair(&ctx, "inproc://poller-term");
    let (r, n, _) = wait_while(&b, -1, || ctx.shutdown());
    assert_eq!((r, n), (Err(Error::TERM), 0));
}

#[test]
fn a_closed_socket_fails_the_wait() {
    let ctx = Ctx::new();
    let (_a, b) = pair(&ctx, "inproc://poller-closed");
    let mut p: Poller<'_, ()> = Poller::new();
    p.add(&b, (), ZMQ_POLLIN).unwrap();
    b.close().unwrap();
    assert_eq!(p.wait(&mut Vec::new(), 1, 0), Err(Error::NOTSOCK));
}

#[test]
fn readiness_fd_follows_what_it_watches() {
    let (r1, w1) = os_pipe();
    let (r2, w2) = os_pipe();
    let mut rf = ReadinessFd::new().unwrap();
    rf.watch_exactly([(r1.as_raw_fd(), libc::POLLIN), (r2.as_raw_fd(), libc::POLLIN)].into_iter());
    assert!(!readable(rf.fd()));
    write_byte(&w2);
    assert!(readable(rf.fd()), "one watched fd is ready");
    rf.watch_exactly([(r1.as_raw_fd(), libc::POLLIN)].into_iter());
    assert!(!readable(rf.fd()), "r2 is no longer watched");
    write_byte(&w1);
    assert!(readable(rf.fd()));
    // The same fd twice (e.g. a socket's ZMQ_FD also added as an fd) is watched once.
    rf.watch_exactly([(r1.as_raw_fd(), libc::POLLIN), (r1.as_raw_fd(), libc::POLLOUT)].into_iter());
    assert!(readable(rf.fd()));
    rf.watch_exactly(std::iter::empty());
    assert!(!readable(rf.fd()));
}

extern "C" fn ignore_signal(_: libc::c_int) {}

#[test]
fn a_signal_handler_ends_the_wait_with_eintr() {
    let ctx = Ctx::new();
    let (_a, b) = pair(&ctx, "inproc://poller-eintr");
    // SAFETY: installs a handler that does nothing, without SA_RESTART, for SIGUSR2 (which
    // nothing else in the tests uses); the signal is then sent to this thread only.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as usize;
        assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
    }
    // SAFETY: plain calls; `me` is this thread, alive until wait_while returns.
    let me = unsafe { libc::pthread_self() };
    let (r, n, took) = wait_while(&b, 5000, || unsafe {
        libc::pthread_kill(me, libc::SIGUSR2);
    });
    assert_eq!((r, n), (Err(Error::INTR), 0));
    assert!(took < Duration::from_secs(4));
}
