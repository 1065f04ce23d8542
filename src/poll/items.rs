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
    // With sockets only, a first look needs neither their eventfds nor poll(2): the
    // mailboxes are fetched only when it finds nothing and the call is to wait.
    let sockets_only = items.iter().all(|it| it.socket.is_some());
    if sockets_only {
        let ready = look(sockets, items, &[])?;
        if ready > 0 || timeout_ms == 0 {
            return Ok(ready);
        }
    }
    // Kept alive while poll(2) watches their eventfds.
    let mailboxes = sockets.iter().map(|s| s.mailbox()).collect::<Result<Vec<_>>>()?;
    let mut fds: Vec<libc::pollfd> = items
        .iter()
        .map(|it| match it.socket {
            Some(i) => libc::pollfd { fd: mailboxes[i].fd(), events: libc::POLLIN, revents: 0 },
            None => libc::pollfd { fd: it.fd, events: fd_poll_events(it.events), revents: 0 },
        })
        .collect();
    look_and_wait(sockets, &mut fds, timeout_ms, None, sockets_only, |fds| look(sockets, items, fds))
}

/// Sets each item's revents; returns how many have some. `fds[i]` is item i's pollfd
/// (read for plain fds only).
fn look(sockets: &[&SharedSocket], items: &mut [PollItem], fds: &[libc::pollfd]) -> Result<usize> {
    let mut ready = 0;
    for (i, it) in items.iter_mut().enumerate() {
        it.revents = match it.socket {
            Some(s) => socket_revents(sockets[s], it.events)?,
            None => fd_revents(fds[i].revents, it.events),
        };
        if it.revents != 0 {
            ready += 1;
        }
    }
    Ok(ready)
}
