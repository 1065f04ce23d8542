//! zmq_socket_monitor and zmq_socket_monitor_versioned: socket events (connected,
//! accepted, disconnected, ...) published as multipart messages on an inproc socket the
//! monitor binds. The socket and its sessions in the I/O threads share it through a
//! [`MonitorSlot`] (`ctx/monitor.rs`). Two formats, native byte order:
//!
//! - version 1: [u16 event, u32 value] (6 bytes), then the endpoint;
//! - version 2: u64 event, u64 count of values, one u64 frame per value, then the local
//!   and the remote address (so on a PUB monitor the event number is the topic).
//!
//! zmq_socket_monitor_pipes_stats: one ZMQ_EVENT_PIPES_STATS per pipe, with the messages
//! queued out and in as the writer of each direction counts them.

use super::Socket;
use crate::constants::*;
use crate::ctx::monitor::{Event, EventAddrs, MonitorSink, MonitorSlot};
use crate::error::{Error, Result};
use crate::msg::Msg;

/// The socket events are published on, and the format they take.
struct MonitorSocket {
    socket: Socket,
    version: i32,
}

impl MonitorSocket {
    /// Send the frames as one message, or nothing if the first does not go (no peer, or
    /// the peer's queue is full): the monitored socket never waits for its monitor.
    fn send_all(&mut self, frames: &[&[u8]]) {
        for (i, frame) in frames.iter().enumerate() {
            let more = if i + 1 < frames.len() { ZMQ_SNDMORE } else { 0 };
            if self.socket.send(&mut Msg::from_slice(frame), more | ZMQ_DONTWAIT).is_err() {
                return;
            }
        }
    }
}

impl MonitorSink for MonitorSocket {
    fn publish(&mut self, e: &Event) {
        let value = e.values.first().copied().unwrap_or(0);
        match self.version {
            1 => {
                // Version 1 events and values fit 16 and 32 bits (the mask allows no more).
                let mut head = [0u8; 6];
                head[..2].copy_from_slice(&(e.number as u16).to_ne_bytes());
                head[2..].copy_from_slice(&(value as u32).to_ne_bytes());
                self.send_all(&[&head, e.addrs.endpoint.as_bytes()]);
            }
            2 => {
                let numbers: Vec<[u8; 8]> = [e.number, e.values.len() as u64]
                    .into_iter()
                    .chain(e.values.iter().copied())
                    .map(u64::to_ne_bytes)
                    .collect();
                let mut frames: Vec<&[u8]> = numbers.iter().map(|n| n.as_slice()).collect();
                frames.push(e.addrs.local.as_bytes());
                frames.push(e.addrs.remote.as_bytes());
                self.send_all(&frames);
            }
            // libzmq takes any version and publishes nothing for unknown ones.
            _ => {}
        }
    }
}

/// What zmq_socket_monitor_versioned asks for.
pub struct MonitorRequest<'a> {
    /// The inproc endpoint to bind; None stops monitoring.
    pub addr: Option<&'a str>,
    pub events: u64,
    pub version: i32,
    /// ZMQ_PAIR, ZMQ_PUB or ZMQ_PUSH.
    pub socket_type: i32,
}

/// Start monitoring `owner` into a new socket bound at `req.addr` (replacing any
/// monitor), or stop. The checks come in libzmq's order: a version 1 mask beyond 16 bits,
/// the endpoint (only inproc can carry events), then the old monitor stops, then the
/// socket type.
pub fn start(slot: &MonitorSlot, owner: &Socket, req: &MonitorRequest) -> Result<()> {
    if req.version == 1 && req.events >> 16 != 0 {
        return Err(Error::INVAL);
    }
    let Some(addr) = req.addr else {
        slot.stop();
        return Ok(());
    };
    if !addr.starts_with("inproc://") {
        crate::transport::endpoint::parse(addr)?;
        return Err(Error::PROTONOSUPPORT);
    }
    slot.stop();
    if !matches!(req.socket_type, ZMQ_PAIR | ZMQ_PUB | ZMQ_PUSH) {
        return Err(Error::INVAL);
    }
    let mut socket = owner.ctx().socket(req.socket_type)?;
    socket.set_option(ZMQ_LINGER, Some(&0i32.to_ne_bytes()))?;
    socket.bind(addr)?;
    slot.replace(Some((Box::new(MonitorSocket { socket, version: req.version }), req.events)));
    Ok(())
}

impl Socket {
    /// zmq_socket_monitor: version 1 on a PAIR. The int mask widens as C's cast does, so
    /// a negative one asks for more than 16 bits (EINVAL, as in libzmq).
    pub fn monitor(&mut self, addr: Option<&str>, events: i32) -> Result<()> {
        self.monitor_versioned(&MonitorRequest { addr, events: events as i64 as u64, version: 1, socket_type: ZMQ_PAIR })
    }

    /// zmq_socket_monitor_versioned.
    pub fn monitor_versioned(&mut self, req: &MonitorRequest) -> Result<()> {
        self.process_commands()?;
        let slot = self.monitor.clone();
        start(&slot, self, req)
    }

    /// zmq_socket_monitor_pipes_stats: EINVAL unless the monitor asked for
    /// ZMQ_EVENT_PIPES_STATS, EAGAIN without pipes. Pipes are reported oldest first.
    pub fn monitor_pipes_stats(&mut self) -> Result<()> {
        if !self.monitor.wants(ZMQ_EVENT_PIPES_STATS) {
            return Err(Error::INVAL);
        }
        // Pipes that arrived count too. libzmq answers while the context terminates, so
        // ETERM is not this call's error.
        let _ = self.process_commands();
        if self.core.pipes.is_empty() {
            return Err(Error::AGAIN);
        }
        let mut ids = self.core.pipe_ids();
        ids.sort_unstable();
        for id in ids {
            if let Some(p) = self.core.pipe(id) {
                let at = EventAddrs { endpoint: &p.peer.endpoint, local: &p.peer.local_addr, remote: &p.peer.remote_addr };
                self.monitor.emit_values(ZMQ_EVENT_PIPES_STATS, &[p.unread(), p.queued_in()], at);
            }
        }
        Ok(())
    }
}
