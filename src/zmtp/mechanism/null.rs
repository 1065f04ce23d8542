//! The NULL mechanism (RFC 23 §"The NULL Security Mechanism"): each side sends READY
//! with its metadata; the handshake is done once ours is sent and theirs received. A peer
//! may send ERROR instead (a ZAP handler refused it).
//!
//! ZAP for NULL (`with_zap`, when ZMQ_ZAP_DOMAIN is set): our READY waits for the ZAP
//! handler's verdict; a refusal sends ERROR with the status code instead (nothing for
//! 300). The I/O layer bypasses the request when no handler is bound (unless
//! ZMQ_ZAP_ENFORCE_DOMAIN), as libzmq does.

use crate::constants::*;
use super::super::commands::{self, Command, Malformed};
use super::super::failure::Failure;
use super::{apply_peer_metadata, basic_properties, error_received, judge_zap_reply, LocalInfo, Mechanism, PeerInfo, Status, ZapReply, ZapRequest};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Zap {
    /// No ZAP domain: READY at once.
    Off,
    /// The request is still to be taken.
    ToAsk,
    Asked,
    Accepted,
    /// The reason for our ERROR; none for a 300 (temporary failure).
    Refused(Option<Vec<u8>>),
}

pub struct NullMechanism {
    local: LocalInfo,
    zap: Zap,
    ready_sent: bool,
    error_sent: bool,
    ready_received: bool,
    error_received: bool,
    peer: PeerInfo,
}

impl NullMechanism {
    pub fn new(local: LocalInfo) -> NullMechanism {
        NullMechanism {
            local,
            zap: Zap::Off,
            ready_sent: false,
            error_sent: false,
            ready_received: false,
            error_received: false,
            peer: PeerInfo::default(),
        }
    }

    /// A NULL handshake that asks the ZAP handler first (ZMQ_ZAP_DOMAIN is set).
    pub fn with_zap(local: LocalInfo) -> NullMechanism {
        NullMechanism { zap: Zap::ToAsk, ..NullMechanism::new(local) }
    }
}

impl Mechanism for NullMechanism {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        if self.ready_sent || self.error_sent {
            return None;
        }
        match &self.zap {
            Zap::ToAsk | Zap::Asked => None,
            Zap::Refused(reason) => {
                self.error_sent = true;
                reason.as_deref().map(commands::error)
            }
            Zap::Off | Zap::Accepted => {
                self.ready_sent = true;
                Some(commands::build(b"READY", &basic_properties(&self.local)))
            }
        }
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let unexpected = || Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "unexpected command");
        if self.ready_received || self.error_received {
            return Err(unexpected());
        }
        match commands::parse(body) {
            Ok(Command::Ready(props)) => {
                self.ready_received = true;
                apply_peer_metadata(self.local.socket_type, props, &mut self.peer)
            }
            Ok(Command::Error(reason)) => {
                self.error_received = true;
                Err(error_received(reason))
            }
            Err(Malformed::ErrorReason) => {
                Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR, "malformed ERROR"))
            }
            _ => Err(unexpected()),
        }
    }

    fn status(&self) -> Status {
        if self.ready_sent && self.ready_received {
            Status::Ready
        } else if self.error_received || self.error_sent {
            Status::Error
        } else {
            Status::Handshaking
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        if self.zap != Zap::ToAsk {
            return None;
        }
        self.zap = Zap::Asked;
        Some(ZapRequest { mechanism: b"NULL", credentials: Vec::new() })
    }

    fn zap_reply(&mut self, reply: &ZapReply) -> Result<(), Failure> {
        if self.zap != Zap::Asked {
            return Err(Failure::protocol("ZAP reply without a request"));
        }
        let judged = judge_zap_reply(reply, &mut self.peer);
        self.zap = match &judged {
            Ok(()) => Zap::Accepted,
            Err(refusal) => Zap::Refused(refusal.error_reason.clone()),
        };
        judged.map_err(|refusal| refusal.failure)
    }

    fn zap_bypassed(&mut self) -> Result<(), Failure> {
        // Only an outstanding request may be bypassed, as PLAIN and CURVE check too.
        if self.zap != Zap::Asked {
            return Err(Failure::protocol("ZAP bypass without a request"));
        }
        self.zap = Zap::Accepted;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::failure::MonitorEvent;
    use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_ROUTER};
    use super::*;

    fn ready(props: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut data = Vec::new();
        for (n, v) in props {
            commands::write_property(&mut data, n, v);
        }
        commands::build(b"READY", &data)
    }

    fn dealer() -> NullMechanism {
        NullMechanism::new(LocalInfo { socket_type: ZMQ_DEALER, routing_id: b"me".to_vec(), app_metadata: vec![], as_server: false })
    }

    #[test]
    fn our_ready() {
        let mut m = dealer();
        let cmd = m.next_handshake_command().unwrap();
        assert_eq!(cmd, ready(&[(b"Socket-Type", b"DEALER"), (b"Identity", b"me")]));
        assert_eq!(m.next_handshake_command(), None);
        let mut p = NullMechanism::new(LocalInfo { socket_type: ZMQ_PUB, routing_id: b"x".to_vec(), app_metadata: vec![("X-A".into(), b"1".to_vec())], as_server: false });
        assert_eq!(p.next_handshake_command().unwrap(), ready(&[(b"Socket-Type", b"PUB"), (b"X-A", b"1")]));
    }

    #[test]
    fn handshake() {
        let mut m = dealer();
        m.next_handshake_command();
        assert_eq!(m.status(), Status::Handshaking);
        m.process_handshake_command(&ready(&[(b"Socket-Type", b"ROUTER"), (b"Identity", b"r1"), (b"X-Y", b"z")])).unwrap();
        assert_eq!(m.status(), Status::Ready);
        assert_eq!(m.peer().socket_type, Some(ZMQ_ROUTER));
        assert_eq!(m.peer().routing_id, b"r1");
        assert_eq!(m.peer().properties.len(), 3);
        // A second READY is a protocol error.
        let err = m.process_handshake_command(&ready(&[])).unwrap_err();
        assert_eq!(err.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)));
    }

    #[test]
    fn rejects() {
        let check = |body: Vec<u8>| {
            let mut m = dealer();
            m.next_handshake_command();
            m.process_handshake_command(&body).unwrap_err()
        };
        assert_eq!(check(ready(&[(b"Socket-Type", b"PUB")])).event, None);
        assert_eq!(check(ready(&[(b"Socket-Type", b"dealer")])).event, None);
        assert!(check(vec![5, b'R', b'E', b'A', b'D', b'Y', 1]).event.is_none());
        assert_eq!(check(commands::error(b"400")).event, Some(MonitorEvent::HandshakeFailedAuth(400)));
        assert_eq!(check(commands::error(b"nope")).event, None);
        assert_eq!(
            check(b"\x05ERROR\x09x".to_vec()).event,
            Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR))
        );
        assert_eq!(
            check(commands::ping(0, b"")).event,
            Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND))
        );
    }

    #[test]
    fn zap() {
        let reply = |code: &[u8]| ZapReply { status_code: code.to_vec(), user_id: b"u".to_vec(), ..ZapReply::default() };
        // Accepted: READY only after the reply.
        let mut m = NullMechanism::with_zap(dealer().local);
        assert_eq!(m.next_handshake_command(), None);
        assert_eq!(m.take_zap_request(), Some(ZapRequest { mechanism: b"NULL", credentials: vec![] }));
        assert_eq!(m.take_zap_request(), None);
        m.process_handshake_command(&ready(&[])).unwrap();
        assert_eq!(m.status(), Status::Handshaking);
        m.zap_reply(&reply(b"200")).unwrap();
        assert!(m.next_handshake_command().unwrap().starts_with(b"\x05READY"));
        assert_eq!(m.status(), Status::Ready);
        assert_eq!(m.peer().user_id.as_deref(), Some(&b"u"[..]));
        // Refused: ERROR with the status, except for 300.
        for (code, error) in [(&b"400"[..], true), (b"300", false)] {
            let mut m = NullMechanism::with_zap(dealer().local);
            m.take_zap_request().unwrap();
            let f = m.zap_reply(&reply(code)).unwrap_err();
            assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedAuth((code[0] - b'0') as i32 * 100)));
            assert_eq!(m.next_handshake_command(), error.then(|| commands::error(code)));
            assert_eq!(m.status(), Status::Error);
        }
        // No handler: READY without a User-Id.
        let mut m = NullMechanism::with_zap(dealer().local);
        m.take_zap_request().unwrap();
        m.zap_bypassed().unwrap();
        assert!(m.next_handshake_command().is_some());
        assert_eq!(m.peer().user_id, None);
    }
}
