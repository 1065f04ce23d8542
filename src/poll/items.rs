//! zmq_poll: one wait over an array of items, each a socket or a plain fd.

use super::wait::{fd_poll_events, fd_revents, look_and_wait, socket_revents};
use crate::error::Result;
use crate::socket::shared::SharedSocket;

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
    // Kept alive while poll(2) watches their eventfds.
    let mailboxes = sockets.iter().map(|s| s.mailbox()).collect::<Result<Vec<_>>>()?;
    let mut fds: Vec<libc::pollfd> = items
        .iter()
        .map(|it| match it.socket {
            Some(i) => libc::pollfd { fd: mailboxes[i].fd(), events: libc::POLLIN, revents: 0 },
            None => libc::pollfd { fd: it.fd, events: fd_poll_events(it.events), revents: 0 },
        })
        .collect();
    look_and_wait(sockets, &mut fds, timeout_ms, None, |fds| {
        let mut ready = 0;
        for (it, pfd) in items.iter_mut().zip(fds) {
            it.revents = match it.socket {
                Some(i) => socket_revents(sockets[i], it.events)?,
                None => fd_revents(pfd.revents, it.events),
            };
            if it.revents != 0 {
                ready += 1;
            }
        }
        Ok(ready)
    })
}
