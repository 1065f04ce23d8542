//! DRAFT options that speak for a connection when it comes and goes (libzmq does these
//! in its stream engine, so they hold for tcp and ipc): ZMQ_HELLO_MSG goes to the peer
//! once the handshake is done; ZMQ_ROUTER_NOTIFY puts an empty message from the peer in
//! front of a ROUTER (as [routing id, ""]) on connect and disconnect; ZMQ_DISCONNECT_MSG
//! is received as from the peer when it goes. The options only take values in the draft
//! build, so this is all idle in the default one. inproc has HELLO_MSG and DISCONNECT_MSG
//! too, without an engine: the context writes them into the pipes (`ctx::greet`);
//! ROUTER_NOTIFY is the engine's alone, as in libzmq.

use crate::constants::*;
use crate::msg::Msg;
use crate::options::Options;
use crate::zmtp::Engine;
use std::collections::VecDeque;

use super::Session;

/// The handshake just finished: greet the peer, and queue the connect notification
/// (delivered to the socket once the pipe is attached).
pub(super) fn peer_greeted(o: &Options, engine: &mut Engine, to_socket: &mut VecDeque<Msg>) {
    if o.can_send_hello_msg && !o.hello_msg.is_empty() {
        let _ = engine.send(&Msg::from_slice(&o.hello_msg));
    }
    if o.socket_type == ZMQ_ROUTER && o.router_notify & ZMQ_NOTIFY_CONNECT != 0 {
        to_socket.push_back(Msg::new());
    }
}

impl Session {
    /// The connection is going: if it had been greeted, tell the socket (before the
    /// pipe of a routing socket is closed). Called before the engine is dropped.
    pub(super) fn peer_gone(&mut self) {
        // `meta` is set when the handshake ends, and kept if the engine fails after it
        // (a frame over ZMQ_MAXMSGSIZE); raw connections (no engine) have no notices.
        if self.engine.is_none() || self.meta.is_none() {
            return;
        }
        let o = &self.setup.options;
        let mut notices = Vec::new();
        if o.socket_type == ZMQ_ROUTER && o.router_notify & ZMQ_NOTIFY_DISCONNECT != 0 {
            notices.push(Msg::new());
        }
        if o.can_recv_disconnect_msg && !o.disconnect_msg.is_empty() {
            notices.push(Msg::from_slice(&o.disconnect_msg));
        }
        let Some(pipe) = self.pipe.as_mut() else { return };
        if notices.is_empty() {
            return;
        }
        // A message cut off by the disconnect is dropped: the notices are messages of
        // their own, never the end of a half-delivered one.
        pipe.rollback();
        for m in notices {
            let _ = pipe.write_unflushed(m);
        }
        pipe.flush();
    }
}
