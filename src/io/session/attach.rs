//! The session's pipe to its socket: made at connect time, or once the handshake has
//! named the peer.

// Imports: `use super::*` takes the session's own (session/mod.rs), so they are listed once.
use crate::constants::*;
use super::*;

impl Session {
    pub(super) fn attach_new_pipe(&mut self, io: &IoCtx, peer_socket_type: i32, peer_routing_id: Vec<u8>) -> bool {
        let o = &self.setup.options;
        // Limits as seen from the socket: SNDHWM outgoing, RCVHWM incoming.
        let (mut sock_end, sess_end) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
        if o.conflates() {
            sock_end.set_conflate();
        }
        // ZMQ_PROBE_ROUTER: the socket attaches this pipe only when its thread next
        // processes commands, so send the probe (an empty message) from here, first.
        let probed = o.probe_router && matches!(o.socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_DEALER | ZMQ_REQ);
        if probed {
            if let Some(e) = self.engine.as_mut() {
                let _ = e.send(&Msg::new());
            }
        }
        sock_end.peer = PeerInfo {
            routing_id: peer_routing_id,
            socket_type: peer_socket_type,
            meta: self.meta.clone(),
            endpoint: self.setup.endpoint.clone(),
            local_addr: self.local_addr.clone(),
            remote_addr: self.remote_addr.clone(),
            inproc_hwms: None,
            probed,
        };
        sess_end.set_owner(Arc::new(SessionNotify { io: io.shared.clone(), token: self.token }));
        self.pipe = Some(sess_end);
        self.setup.mailbox.send(Command::Attach(Box::new(sock_end)));
        true
    }
}

/// Sockets whose pipes carry the peer's routing id.
pub(super) fn needs_identity(socket_type: i32) -> bool {
    matches!(socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_STREAM)
}

/// Whether connect() makes the socket's pipe right away (messages queue before the
/// connection exists). Sockets that route by identity need the peer's routing id first,
/// unless ZMQ_CONNECT_ROUTING_ID names the peer in advance.
pub(crate) fn pipe_at_connect(options: &Options) -> bool {
    let named = !options.connect_routing_id.is_empty() && matches!(options.socket_type, ZMQ_ROUTER | ZMQ_REP);
    // Raw sockets name their peers themselves.
    !options.immediate && (!needs_identity(options.socket_type) || named || options.raw_socket)
}
