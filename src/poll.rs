//! zmq_poll over sockets and plain file descriptors.
//!
//! A socket is polled through its mailbox eventfd, which becomes readable whenever its
//! events may have changed; its real events come from `Socket::events`, which also
//! re-arms the eventfd. So: check every socket, and only if nothing is ready, sleep in
//! poll(2) on the eventfds and plain fds, then check again.

use crate::constants::*;
use crate::error::Result;
use crate::socket::shared::SharedSocket;

use std::time::{Duration, Instant};

pub struct PollItem {
    /// Index into the `sockets` slice, or None for a plain fd.
    pub socket: Option<usize>,
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

/// Returns how many items have events. `timeout_ms` < 0 waits forever.
/// Each socket appears once in `sockets`; several items may name the same one.
/// Each socket is locked only while its events are read: other threads may use it meanwhile.
pub fn poll(sockets: &[&SharedSocket], items: &mut [PollItem], timeout_ms: i64) -> Result<usize> {
    let deadline = (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    // Kept alive while poll(2) watches their eventfds.
    let mailboxes = sockets.iter().map(|s| s.mailbox()).collect::<Result<Vec<_>>>()?;
    let mut fds: Vec<libc::pollfd> = items
        .iter()
        .map(|it| match it.socket {
            Some(i) => libc::pollfd { fd: mailboxes[i].fd(), events: libc::POLLIN, revents: 0 },
            None => {
                let mut ev = 0;
                if it.events & ZMQ_POLLIN != 0 {
                    ev |= libc::POLLIN;
                }
                if it.events & ZMQ_POLLOUT != 0 {
                    ev |= libc::POLLOUT;
                }
                if it.events & ZMQ_POLLPRI != 0 {
                    ev |= libc::POLLPRI;
                }
                libc::pollfd { fd: it.fd, events: ev, revents: 0 }
            }
        })
        .collect();
    let mut first = true;
    loop {
        // Sleep only after a first look found nothing.
        let wait_ms: i32 = if first {
            0
        } else {
            match deadline {
                None => -1,
                Some(d) => {
                    let now = Instant::now();
                    if d <= now {
                        0
                    } else {
                        (d - now).as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
                    }
                }
            }
        };
        if !fds.is_empty() || wait_ms != 0 {
            // Other threads blocked on these sockets must know we sleep on their eventfds.
            let _sleeping: Vec<_> = match wait_ms {
                0 => Vec::new(),
                _ => sockets.iter().map(|s| s.sleeping_guard()).collect(),
            };
            // SAFETY: fds is a valid array of pollfd of the given length.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if rc < 0 {
                let e = std::io::Error::last_os_error();
                return Err(e.into());
            }
        }
        let mut ready = 0;
        for (it, pfd) in items.iter_mut().zip(fds.iter()) {
            it.revents = 0;
            match it.socket {
                Some(i) => {
                    let ev = sockets[i].events()? as i16;
                    it.revents = ev & it.events & (ZMQ_POLLIN | ZMQ_POLLOUT);
                }
                None => {
                    if pfd.revents & libc::POLLIN != 0 {
                        it.revents |= ZMQ_POLLIN;
                    }
                    if pfd.revents & libc::POLLOUT != 0 {
                        it.revents |= ZMQ_POLLOUT;
                    }
                    if pfd.revents & libc::POLLPRI != 0 {
                        it.revents |= ZMQ_POLLPRI;
                    }
                    if pfd.revents & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
                        it.revents |= ZMQ_POLLERR;
                    }
                    it.revents &= it.events | ZMQ_POLLERR;
                }
            }
            if it.revents != 0 {
                ready += 1;
            }
        }
        if ready > 0 || timeout_ms == 0 {
            return Ok(ready);
        }
        if let Some(d) = deadline {
            if Instant::now() >= d && !first {
                return Ok(0);
            }
        }
        // Nothing to wait for, forever: poll(2) on no fds sleeps until a signal handler
        // runs (EINTR), as libzmq's long usleep does.
        first = false;
    }
}
