//! What zmq_poll and zmq_poller share: the look-then-sleep loop, and how a plain fd's
//! events translate between ZMQ_POLL* and poll(2).
//!
//! A socket is watched through its mailbox eventfd, which becomes readable whenever its
//! events may have changed; its real events come from `Socket::events`, which also
//! re-arms the eventfd. So: look at every item, and only if nothing is ready, sleep in
//! poll(2) on the eventfds and plain fds, then look again.

use crate::constants::*;
use crate::error::Result;
use crate::socket::shared::SharedSocket;
use std::time::{Duration, Instant};

/// ZMQ_POLLIN/OUT/PRI of a plain fd as poll(2) events.
pub(super) fn fd_poll_events(events: i16) -> i16 {
    let mut ev = 0;
    if events & ZMQ_POLLIN != 0 {
        ev |= libc::POLLIN;
    }
    if events & ZMQ_POLLOUT != 0 {
        ev |= libc::POLLOUT;
    }
    if events & ZMQ_POLLPRI != 0 {
        ev |= libc::POLLPRI;
    }
    ev
}

/// A plain fd's poll(2) `revents` as ZMQ_POLL* flags, limited to what was asked for;
/// anything beyond IN/OUT/PRI (POLLERR, POLLHUP, POLLNVAL) is ZMQ_POLLERR, always reported.
pub(super) fn fd_revents(revents: i16, wanted: i16) -> i16 {
    let mut ev = 0;
    if revents & libc::POLLIN != 0 {
        ev |= ZMQ_POLLIN;
    }
    if revents & libc::POLLOUT != 0 {
        ev |= ZMQ_POLLOUT;
    }
    if revents & libc::POLLPRI != 0 {
        ev |= ZMQ_POLLPRI;
    }
    if revents & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        ev |= ZMQ_POLLERR;
    }
    ev & (wanted | ZMQ_POLLERR)
}

/// A socket's ZMQ_EVENTS, limited to the IN/OUT asked for (ERR and PRI mean nothing for
/// sockets).
pub(super) fn socket_revents(socket: &SharedSocket, wanted: i16) -> Result<i16> {
    Ok(socket.events()? as i16 & wanted & (ZMQ_POLLIN | ZMQ_POLLOUT))
}

/// Looks (`look` returns how many items are ready, reading `fds`' revents for plain
/// fds; `looked`: the caller has just looked and found nothing), and while nothing is
/// ready sleeps in poll(2) on `fds` until `timeout_ms`
/// (< 0: forever) has passed. Returns the last look's count, 0 on timeout.
///
/// `sockets` are those whose eventfds are in `fds`: they are told we sleep on them, so
/// another thread that takes their commands wakes us. `slice` caps each sleep, for
/// sockets other threads use at the same time (a wake-up can be missed between our look
/// and our sleep; see socket/shared.rs).
///
/// A signal handler that runs meanwhile ends the wait with EINTR, as in libzmq.
pub(super) fn look_and_wait(
    sockets: &[&SharedSocket],
    fds: &mut [libc::pollfd],
    timeout_ms: i64,
    slice: Option<Duration>,
    looked: bool,
    mut look: impl FnMut(&[libc::pollfd]) -> Result<usize>,
) -> Result<usize> {
    let deadline = (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    let mut first = !looked;
    loop {
        // Sleep only after a first look found nothing.
        let wait_ms: i32 = if first {
            0
        } else {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match (left, slice) {
                (None, None) => -1,
                (Some(l), None) | (None, Some(l)) => ms_rounded_up(l),
                (Some(l), Some(s)) => ms_rounded_up(l.min(s)),
            }
        };
        // The first look needs poll(2) only for plain fds' revents: a socket's readiness
        // comes from its events, not its eventfd. Each socket has at least one fd, so
        // no more fds than sockets means no plain fd (a socket named by several items
        // only makes this take the syscall when it need not).
        let plain_fds = fds.len() > sockets.len();
        if (if first { plain_fds } else { !fds.is_empty() }) || wait_ms != 0 {
            // Other threads blocked on these sockets must know we sleep on their eventfds.
            let _sleeping: Vec<_> = match wait_ms {
                0 => Vec::new(),
                _ => sockets.iter().map(|s| s.sleeping_guard()).collect(),
            };
            // SAFETY: fds is a valid array of pollfd of the given length. With no fds,
            // poll(2) just sleeps (until a signal handler runs: EINTR).
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if rc < 0 {
                return Err(std::io::Error::last_os_error().into());
            }
        }
        let ready = look(fds)?;
        if ready > 0 || timeout_ms == 0 {
            return Ok(ready);
        }
        if let Some(d) = deadline {
            if Instant::now() >= d && !first {
                return Ok(0);
            }
        }
        first = false;
    }
}

fn ms_rounded_up(d: Duration) -> i32 {
    d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}
