//! zmq_socket_monitor: socket events (connected, accepted, disconnected, ...) published
//! as two-frame messages on an inproc PAIR socket: [u16 event, u32 value] (native byte
//! order, 6 bytes), then the endpoint. The socket and its sessions in the I/O threads
//! share the PAIR socket through a [`MonitorSlot`] (`ctx/monitor.rs`).

use super::Socket;
use crate::constants::*;
use crate::ctx::monitor::{MonitorSink, MonitorSlot};
use crate::error::{Error, Result};
use crate::msg::Msg;

impl MonitorSink for Socket {
    fn publish(&mut self, event: i32, value: u32, endpoint: &str) {
        let mut head = [0u8; 6];
        // Version 1 events are 16 bits on the wire (all of them fit).
        head[..2].copy_from_slice(&(event as u16).to_ne_bytes());
        head[2..].copy_from_slice(&value.to_ne_bytes());
        if self.send(&mut Msg::from_slice(&head), ZMQ_SNDMORE | ZMQ_DONTWAIT).is_ok() {
            let _ = self.send(&mut Msg::from_slice(endpoint.as_bytes()), ZMQ_DONTWAIT);
        }
    }
}

/// Start monitoring `owner` into a new PAIR socket bound at `addr` (replacing any
/// monitor), or stop with None. Only inproc addresses can carry events.
pub fn start(slot: &MonitorSlot, owner: &Socket, addr: Option<&str>, events: i32) -> Result<()> {
    let sink: Option<(Box<dyn MonitorSink>, i32)> = match addr {
        None => None,
        Some(addr) => {
            if !addr.starts_with("inproc://") {
                crate::transport::endpoint::parse(addr)?;
                return Err(Error::PROTONOSUPPORT);
            }
            let mut s = owner.ctx().socket(ZMQ_PAIR)?;
            s.set_option(ZMQ_LINGER, Some(&0i32.to_ne_bytes()))?;
            s.bind(addr)?;
            Some((Box::new(s), events))
        }
    };
    slot.replace(sink);
    Ok(())
}
