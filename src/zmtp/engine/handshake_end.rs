//! How the engine's handshake ends: the ZAP handler's answer, the mechanism's last
//! step, a ZMTP 1.0/2.0 peer's identity frame, and the switch to the active phase.

use super::*;

impl Engine {
    /// The ZAP handler's answer to the last Event::ZapRequest. Queues the resulting
    /// events (HandshakeDone, or Error for a refusal, after queueing the ERROR command
    /// that tells the peer, if the mechanism sends one).
    pub fn zap_reply(&mut self, reply: &ZapReply) -> Result<()> {
        self.zap_properties = zap::reply_properties(reply);
        self.zap_answered(|m| m.zap_reply(reply))
    }

    /// The last Event::ZapRequest goes unasked (no handler bound, and libzmq's rules say
    /// go on without one).
    pub fn zap_bypassed(&mut self) -> Result<()> {
        self.zap_answered(|m| m.zap_bypassed())
    }

    fn zap_answered(&mut self, answer: impl FnOnce(&mut dyn Mechanism) -> std::result::Result<(), Failure>) -> Result<()> {
        if let Phase::Failed(f) = &self.phase {
            return Err(f.errno);
        }
        let Some(mechanism) = self.mechanism.as_mut().filter(|_| matches!(self.phase, Phase::Handshake)) else {
            return Err(Error::FSM);
        };
        let answered = answer(mechanism.as_mut());
        match self.handshake_step(answered) {
            Ok(()) => Ok(()),
            Err(f) => Err(self.fail(f)),
        }
    }

    /// After the mechanism took a step (`stepped`): send what it has to send (even when
    /// the step failed: an ERROR command tells the peer why), then act on its status.
    pub(super) fn handshake_step(&mut self, stepped: std::result::Result<(), Failure>) -> std::result::Result<(), Failure> {
        self.send_handshake_commands();
        stepped?;
        let mechanism = self.mechanism.as_ref().expect("3.x handshake has a mechanism");
        match mechanism.status() {
            Status::Handshaking => Ok(()),
            Status::Error => Err(Failure::protocol("security handshake failed")),
            Status::Ready => {
                let peer = mechanism.peer().clone();
                let metadata = self.build_metadata(peer.user_id.as_deref(), &peer.properties);
                self.finish_handshake(Handshake {
                    protocol: self.protocol.expect("greeting done"),
                    peer_socket_type: peer.socket_type,
                    peer_routing_id: peer.routing_id,
                    metadata,
                });
                self.heartbeat.start();
                Ok(())
            }
        }
    }

    /// ZMTP 1.0/2.0: the peer's first frame is its identity.
    pub(super) fn on_identity(&mut self, frame: Msg) {
        let metadata = self.build_metadata(None, &[]);
        self.finish_handshake(Handshake {
            protocol: self.protocol.expect("greeting done"),
            peer_socket_type: self.peer_greeting_type,
            peer_routing_id: frame.data().to_vec(),
            metadata,
        });
        // A 1.0 peer never sends subscriptions: make PUB/XPUB send it everything.
        if self.protocol == Some(Protocol::V1Unversioned) && socket_type::wants_phantom_subscription(self.cfg.socket_type) {
            self.events.push_back(Event::Subscribe(Vec::new()));
        }
    }

    fn finish_handshake(&mut self, handshake: Handshake) {
        if let Some(d) = self.decoder.as_mut() {
            d.set_handshake(false);
        }
        self.metadata = Some(handshake.metadata.clone());
        self.events.push_back(Event::HandshakeDone(handshake));
        self.phase = Phase::Active;
        let protocol = self.protocol.expect("greeting done");
        let wraps = self.mechanism.as_ref().is_some_and(|m| m.wraps_messages());
        self.plain_frames = (protocol.framing() == codec::Framing::V2 && !wraps).then_some(protocol.is_v3());
    }
}
