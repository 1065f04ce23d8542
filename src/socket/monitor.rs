//! zmq_socket_monitor: socket events (connected, accepted, disconnected, ...) published
//! as two-frame messages on an inproc PAIR socket: [u16 event, u32 value] (native byte
//! order, 6 bytes), then the endpoint. Events happen in I/O threads as well as in the
//! socket's own thread, so the PAIR socket sits behind a mutex shared with the sessions.

use super::{kind, Socket, DONTWAIT, SNDMORE};
use crate::msg::Msg;
use std::sync::{Arc, Mutex};

pub mod event {
    pub const CONNECTED: u16 = 0x0001;
    pub const CONNECT_DELAYED: u16 = 0x0002;
    pub const CONNECT_RETRIED: u16 = 0x0004;
    pub const LISTENING: u16 = 0x0008;
    pub const BIND_FAILED: u16 = 0x0010;
    pub const ACCEPTED: u16 = 0x0020;
    pub const ACCEPT_FAILED: u16 = 0x0040;
    pub const CLOSED: u16 = 0x0080;
    pub const CLOSE_FAILED: u16 = 0x0100;
    pub const DISCONNECTED: u16 = 0x0200;
    pub const MONITOR_STOPPED: u16 = 0x0400;
    pub const HANDSHAKE_FAILED_NO_DETAIL: u16 = 0x0800;
    pub const HANDSHAKE_SUCCEEDED: u16 = 0x1000;
    pub const HANDSHAKE_FAILED_PROTOCOL: u16 = 0x2000;
    pub const HANDSHAKE_FAILED_AUTH: u16 = 0x4000;
}

pub struct Monitor {
    socket: Socket,
    events: i32,
}

/// Where a socket's monitor lives; shared with its sessions in the I/O threads.
#[derive(Clone, Default)]
pub struct MonitorSlot(Arc<Mutex<Option<Monitor>>>);

impl MonitorSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Monitor>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publish an event, if a monitor wants it. Never blocks: a monitor nobody reads
    /// drops events (as libzmq's).
    pub fn emit(&self, ev: u16, value: u32, endpoint: &str) {
        let mut slot = self.lock();
        let Some(m) = slot.as_mut() else { return };
        if m.events & ev as i32 == 0 {
            return;
        }
        Self::send(&mut m.socket, ev, value, endpoint);
    }

    fn send(s: &mut Socket, ev: u16, value: u32, endpoint: &str) {
        let mut head = [0u8; 6];
        head[..2].copy_from_slice(&ev.to_ne_bytes());
        head[2..].copy_from_slice(&value.to_ne_bytes());
        if s.send(&mut Msg::from_slice(&head), SNDMORE | DONTWAIT).is_ok() {
            let _ = s.send(&mut Msg::from_slice(endpoint.as_bytes()), DONTWAIT);
        }
    }

    pub fn is_active(&self) -> bool {
        self.lock().is_some()
    }

    /// Start monitoring into a new PAIR socket bound at `addr` (replacing any monitor),
    /// or stop with None.
    pub fn start(&self, owner: &Socket, addr: Option<&str>, events: i32) -> crate::error::Result<()> {
        let new = match addr {
            None => None,
            Some(addr) => {
                if !addr.starts_with("inproc://") {
                    crate::transport::endpoint::parse(addr)?;
                    return Err(crate::error::Error::PROTONOSUPPORT);
                }
                let mut s = owner.ctx().socket(kind::PAIR)?;
                s.set_option(crate::options::LINGER, Some(&0i32.to_ne_bytes()))?;
                s.bind(addr)?;
                Some(Monitor { socket: s, events })
            }
        };
        let old = std::mem::replace(&mut *self.lock(), new);
        if let Some(mut m) = old {
            if m.events & event::MONITOR_STOPPED as i32 != 0 {
                Self::send(&mut m.socket, event::MONITOR_STOPPED, 0, "");
            }
        }
        Ok(())
    }

    /// The monitored socket closed: say so and close the monitor socket.
    pub fn stop(&self) {
        let old = self.lock().take();
        if let Some(mut m) = old {
            if m.events & event::MONITOR_STOPPED as i32 != 0 {
                Self::send(&mut m.socket, event::MONITOR_STOPPED, 0, "");
            }
        }
    }
}
