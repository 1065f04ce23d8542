//! zmq_proxy and zmq_proxy_steerable: shuttle whole messages between two sockets,
//! optionally copying them to a capture socket, optionally controlled by PAUSE, RESUME,
//! TERMINATE and STATISTICS commands on a control socket.

use crate::constants::*;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::poll::{poll, PollItem};
use crate::socket::shared::SharedSocket;


/// Move one whole message from `from` to `to` (`None`: back to `from`), with a copy to
/// `capture`. `stats` counts messages and bytes.
fn forward(from: &SharedSocket, to: Option<&SharedSocket>, capture: Option<&SharedSocket>, stats: &mut [u64; 2]) -> Result<()> {
    loop {
        let mut msg = from.recv(ZMQ_DONTWAIT)?;
        let more = msg.more();
        stats[1] += msg.len() as u64;
        if let Some(c) = capture {
            let mut copy = msg.clone();
            c.send(&mut copy, if more { ZMQ_SNDMORE } else { 0 })?;
        }
        let flags = if more { ZMQ_SNDMORE } else { 0 };
        to.unwrap_or(from).send(&mut msg, flags)?;
        if !more {
            // Messages count whole (all their frames), bytes count every frame.
            stats[0] += 1;
            return Ok(());
        }
    }
}

/// Runs until a socket fails (ETERM when the context ends) or TERMINATE arrives.
/// `backend` None means the frontend is its own backend (libzmq allows the same socket).
pub fn proxy(
    frontend: &SharedSocket,
    backend: Option<&SharedSocket>,
    capture: Option<&SharedSocket>,
    control: Option<&SharedSocket>,
) -> Result<()> {
    let mut paused = false;
    let mut front_stats = [0u64; 2];
    let mut back_stats = [0u64; 2];
    let same = backend.is_none();
    let has_control = control.is_some();
    loop {
        // Read a side only when the other side can take the message; otherwise wait for
        // it to become writable (a PUSH backend with no peer must not block the proxy,
        // so TERMINATE still gets through).
        let front_ev = frontend.events()?;
        let back_ev = match backend {
            Some(b) => b.events()?,
            None => front_ev,
        };
        // A socket that is its own backend (a REP echo) becomes writable by reading.
        let front_can = same || back_ev & ZMQ_POLLOUT as i32 != 0;
        let back_can = front_ev & ZMQ_POLLOUT as i32 != 0;
        let (front_in, back_in, ctl_in) = {
            let want = |readable_ok: bool, other_blocked: bool| {
                (if readable_ok { ZMQ_POLLIN } else { 0 } | if other_blocked { ZMQ_POLLOUT } else { 0 })
            };
            let mut socks: Vec<&SharedSocket> = vec![frontend];
            let mut items = vec![PollItem { socket: Some(0), fd: -1, events: want(front_can, !back_can), revents: 0 }];
            if let Some(b) = backend {
                socks.push(b);
                items.push(PollItem { socket: Some(1), fd: -1, events: want(back_can, !front_can), revents: 0 });
            }
            if let Some(c) = control {
                socks.push(c);
                items.push(PollItem { socket: Some(socks.len() - 1), fd: -1, events: ZMQ_POLLIN, revents: 0 });
            }
            poll(&socks, &mut items, -1)?;
            let front_in = items[0].revents & ZMQ_POLLIN != 0;
            let back_in = !same && items[1].revents & ZMQ_POLLIN != 0;
            let ctl_in = has_control && items[items.len() - 1].revents != 0;
            (front_in, back_in, ctl_in)
        };
        if ctl_in {
            let ctl = control.ok_or(Error::FAULT)?;
            let cmd = ctl.recv(ZMQ_DONTWAIT)?;
            match cmd.data() {
                b"PAUSE" => paused = true,
                b"RESUME" => paused = false,
                b"TERMINATE" => return Ok(()),
                b"STATISTICS" => {
                    // Eight u64 frames: frontend msgs/bytes in, msgs/bytes out, then the
                    // backend's. What one side receives is what the other sends out.
                    let vals = [front_stats[0], front_stats[1], back_stats[0], back_stats[1], back_stats[0], back_stats[1], front_stats[0], front_stats[1]];
                    for (i, v) in vals.iter().enumerate() {
                        let mut m = Msg::from_slice(&v.to_ne_bytes());
                        ctl.send(&mut m, if i < 7 { ZMQ_SNDMORE } else { 0 })?;
                    }
                }
                _ => {}
            }
        }
        if paused {
            continue;
        }
        if front_in {
            forward(frontend, backend, capture, &mut front_stats).or_else(again_ok)?;
        }
        if let (true, Some(b)) = (back_in, backend) {
            forward(b, Some(frontend), capture, &mut back_stats).or_else(again_ok)?;
        }
    }
}

fn again_ok(e: Error) -> Result<()> {
    if e == Error::AGAIN {
        Ok(())
    } else {
        Err(e)
    }
}
