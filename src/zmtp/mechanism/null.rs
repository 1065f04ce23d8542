//! The NULL mechanism (RFC 23 §"The NULL Security Mechanism"): each side sends READY
//! with its metadata; the handshake is done once ours is sent and theirs received. A peer
//! may send ERROR instead (a ZAP handler refused it).
//!
//! ZAP for NULL (a ZAP domain set): libzmq asks the handler only when one is bound to
//! inproc://zeromq.zap.01 and otherwise proceeds; that lookup lives in the socket layer
//! and is not wired in yet, so this always proceeds.

use super::super::commands::{self, Command, Malformed};
use super::super::failure::{protocol_error, Failure, MonitorEvent};
use super::{apply_peer_metadata, basic_properties, LocalInfo, Mechanism, PeerInfo, Status};

pub struct NullMechanism {
    local: LocalInfo,
    ready_sent: bool,
    ready_received: bool,
    error_received: bool,
    peer: PeerInfo,
}

impl NullMechanism {
    pub fn new(local: LocalInfo) -> NullMechanism {
        NullMechanism { local, ready_sent: false, ready_received: false, error_received: false, peer: PeerInfo::default() }
    }
}

impl Mechanism for NullMechanism {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        if self.ready_sent {
            return None;
        }
        self.ready_sent = true;
        Some(commands::build(b"READY", &basic_properties(&self.local)))
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let unexpected = || Failure::handshake(protocol_error::ZMTP_UNEXPECTED_COMMAND, "unexpected command");
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
                let mut failure = Failure::protocol("peer sent ERROR");
                failure.event = zap_status(reason).map(MonitorEvent::HandshakeFailedAuth);
                Err(failure)
            }
            Err(Malformed::ErrorReason) => {
                Err(Failure::handshake(protocol_error::ZMTP_MALFORMED_COMMAND_ERROR, "malformed ERROR"))
            }
            _ => Err(unexpected()),
        }
    }

    fn status(&self) -> Status {
        if self.ready_sent && self.ready_received {
            Status::Ready
        } else if self.error_received {
            Status::Error
        } else {
            Status::Handshaking
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }
}

/// An ERROR reason that is a ZAP status code ("300", "400" or "500"), which libzmq reports
/// as ZMQ_EVENT_HANDSHAKE_FAILED_AUTH.
fn zap_status(reason: &[u8]) -> Option<i32> {
    match reason {
        [d @ b'3'..=b'5', b'0', b'0'] => Some((d - b'0') as i32 * 100),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::socket_type::{DEALER, PUB, ROUTER};
    use super::*;

    fn ready(props: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut data = Vec::new();
        for (n, v) in props {
            commands::write_property(&mut data, n, v);
        }
        commands::build(b"READY", &data)
    }

    fn dealer() -> NullMechanism {
        NullMechanism::new(LocalInfo { socket_type: DEALER, routing_id: b"me".to_vec(), app_metadata: vec![], as_server: false })
    }

    #[test]
    fn our_ready() {
        let mut m = dealer();
        let cmd = m.next_handshake_command().unwrap();
        assert_eq!(cmd, ready(&[(b"Socket-Type", b"DEALER"), (b"Identity", b"me")]));
        assert_eq!(m.next_handshake_command(), None);
        let mut p = NullMechanism::new(LocalInfo { socket_type: PUB, routing_id: b"x".to_vec(), app_metadata: vec![("X-A".into(), b"1".to_vec())], as_server: false });
        assert_eq!(p.next_handshake_command().unwrap(), ready(&[(b"Socket-Type", b"PUB"), (b"X-A", b"1")]));
    }

    #[test]
    fn handshake() {
        let mut m = dealer();
        m.next_handshake_command();
        assert_eq!(m.status(), Status::Handshaking);
        m.process_handshake_command(&ready(&[(b"Socket-Type", b"ROUTER"), (b"Identity", b"r1"), (b"X-Y", b"z")])).unwrap();
        assert_eq!(m.status(), Status::Ready);
        assert_eq!(m.peer().socket_type, Some(ROUTER));
        assert_eq!(m.peer().routing_id, b"r1");
        assert_eq!(m.peer().properties.len(), 3);
        // A second READY is a protocol error.
        let err = m.process_handshake_command(&ready(&[])).unwrap_err();
        assert_eq!(err.event, Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_UNEXPECTED_COMMAND)));
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
            Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_MALFORMED_COMMAND_ERROR))
        );
        assert_eq!(
            check(commands::ping(0, b"")).event,
            Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_UNEXPECTED_COMMAND))
        );
    }
}
