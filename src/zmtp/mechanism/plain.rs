//! The PLAIN mechanism (RFC 24): username and password in clear text.
//!
//! ```text
//! client                         server
//! HELLO(username, password) -->
//!                                 (asks the ZAP handler; 200 goes on, else ERROR or silence)
//!                           <--  WELCOME
//! INITIATE(metadata)        -->
//!                           <--  READY(metadata)
//! ```
//!
//! The server always consults ZAP, as libzmq does: with no handler bound the I/O layer
//! fails the connection (HANDSHAKE_FAILED_NO_DETAIL, EFAULT). Monitor event codes follow
//! libzmq's plain_client/plain_server.

use crate::constants::*;
use super::super::commands::{self, Command};
use super::super::failure::Failure;
use super::{apply_peer_metadata, basic_properties, error_received, judge_zap_reply, LocalInfo, Mechanism, PeerInfo, Status, ZapReply, ZapRefusal, ZapRequest};

/// How libzmq 4.3.4's PLAIN names its ERROR command: its source writes the prefix as the C
/// string "\x05ERROR", where the hex escape swallows the 'E' (0x5E, '^'), so the command
/// goes out as "^RROR", reason length, reason; and its client recognises only that form
/// (an RFC 24 "\x05ERROR" is an unexpected command to it). We speak libzmq's form both ways,
/// so a refusal reaches a libzmq client as HANDSHAKE_FAILED_AUTH, and a libzmq server's
/// refusal reaches ours the same way (NULL and CURVE spell ERROR correctly).
const LIBZMQ_ERROR: &[u8] = b"^RROR";

fn libzmq_error(reason: &[u8]) -> Vec<u8> {
    let reason = &reason[..reason.len().min(255)];
    [LIBZMQ_ERROR, &[reason.len() as u8], reason].concat()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    // client
    SendingHello,
    WaitingForWelcome,
    SendingInitiate,
    WaitingForReady,
    ErrorReceived,
    // server
    WaitingForHello,
    WaitingForZapReply,
    SendingWelcome,
    WaitingForInitiate,
    SendingReady,
    SendingError,
    ErrorSent,
    // both
    Ready,
}

pub struct PlainMechanism {
    local: LocalInfo,
    username: Vec<u8>,
    password: Vec<u8>,
    state: State,
    zap_request: Option<ZapRequest>,
    /// The ZAP status code to send in ERROR.
    error_status: Vec<u8>,
    peer: PeerInfo,
}

impl PlainMechanism {
    pub fn new(local: LocalInfo, username: Vec<u8>, password: Vec<u8>) -> PlainMechanism {
        let state = if local.as_server { State::WaitingForHello } else { State::SendingHello };
        PlainMechanism { local, username, password, state, zap_request: None, error_status: Vec::new(), peer: PeerInfo::default() }
    }

    fn hello(&self) -> Vec<u8> {
        // Longer credentials are refused by setsockopt (255 bytes at most).
        let (user, pass) = (&self.username[..self.username.len().min(255)], &self.password[..self.password.len().min(255)]);
        let mut data = Vec::with_capacity(2 + user.len() + pass.len());
        data.push(user.len() as u8);
        data.extend_from_slice(user);
        data.push(pass.len() as u8);
        data.extend_from_slice(pass);
        commands::build(b"HELLO", &data)
    }

    fn client_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let unexpected = || Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "unexpected command");
        if let Some(data) = body.strip_prefix(LIBZMQ_ERROR) {
            if !matches!(self.state, State::WaitingForWelcome | State::WaitingForReady) {
                return Err(unexpected());
            }
            let malformed = || Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR, "malformed ERROR");
            let (&len, reason) = data.split_first().ok_or_else(malformed)?;
            let reason = reason.get(..len as usize).ok_or_else(malformed)?;
            self.state = State::ErrorReceived;
            return Err(error_received(reason));
        }
        match commands::parse(body) {
            Ok(Command::Other { name: b"WELCOME", data }) => {
                if self.state != State::WaitingForWelcome {
                    return Err(unexpected());
                }
                if !data.is_empty() {
                    return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME, "malformed WELCOME"));
                }
                self.state = State::SendingInitiate;
                Ok(())
            }
            Ok(Command::Ready(props)) => {
                if self.state != State::WaitingForReady {
                    return Err(unexpected());
                }
                apply_peer_metadata(self.local.socket_type, props, &mut self.peer)
                    .map_err(|_| Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "invalid metadata in READY"))?;
                self.state = State::Ready;
                Ok(())
            }
            // An RFC-shaped ERROR ("\x05ERROR") is not one to libzmq's PLAIN client.
            _ => Err(unexpected()),
        }
    }

    fn server_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        match self.state {
            State::WaitingForHello => self.process_hello(body),
            State::WaitingForInitiate => match commands::parse(body) {
                Ok(Command::Other { name: b"INITIATE", data }) => {
                    // libzmq reports bad INITIATE metadata with no event.
                    apply_peer_metadata(self.local.socket_type, data, &mut self.peer)?;
                    self.state = State::SendingReady;
                    Ok(())
                }
                _ => Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "unexpected command")),
            },
            _ => Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "command while not expecting one")),
        }
    }

    fn process_hello(&mut self, body: &[u8]) -> Result<(), Failure> {
        // A body that is only a name (or less) is malformed before it is unexpected.
        if body.len() <= 1 || body.len() <= body[0] as usize {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "malformed command"));
        }
        let Some(data) = body.strip_prefix(b"\x05HELLO") else {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "expected HELLO"));
        };
        let malformed = || Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO, "malformed HELLO");
        let (&user_len, rest) = data.split_first().ok_or_else(malformed)?;
        let user = rest.get(..user_len as usize).ok_or_else(malformed)?;
        let (&pass_len, pass) = rest[user_len as usize..].split_first().ok_or_else(malformed)?;
        if pass.len() != pass_len as usize {
            return Err(malformed());
        }
        self.zap_request = Some(ZapRequest { mechanism: b"PLAIN", credentials: vec![user.to_vec(), pass.to_vec()] });
        self.state = State::WaitingForZapReply;
        Ok(())
    }
}

impl Mechanism for PlainMechanism {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        let (cmd, next) = match self.state {
            State::SendingHello => (self.hello(), State::WaitingForWelcome),
            State::SendingInitiate => (commands::build(b"INITIATE", &basic_properties(&self.local)), State::WaitingForReady),
            State::SendingWelcome => (commands::build(b"WELCOME", &[]), State::WaitingForInitiate),
            State::SendingReady => (commands::build(b"READY", &basic_properties(&self.local)), State::Ready),
            State::SendingError => (libzmq_error(&self.error_status), State::ErrorSent),
            _ => return None,
        };
        self.state = next;
        Some(cmd)
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        if self.local.as_server {
            self.server_command(body)
        } else {
            self.client_command(body)
        }
    }

    fn status(&self) -> Status {
        match self.state {
            State::Ready => Status::Ready,
            State::ErrorReceived | State::ErrorSent => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.zap_request.take()
    }

    fn zap_reply(&mut self, reply: &ZapReply) -> Result<(), Failure> {
        if self.state != State::WaitingForZapReply {
            return Err(Failure::protocol("ZAP reply without a request"));
        }
        let judged = judge_zap_reply(reply, &mut self.peer);
        self.state = match &judged {
            Ok(()) => State::SendingWelcome,
            Err(ZapRefusal { error_reason: Some(reason), .. }) => {
                self.error_status = reason.clone();
                State::SendingError
            }
            Err(ZapRefusal { error_reason: None, .. }) => State::ErrorSent,
        };
        judged.map_err(|refusal| refusal.failure)
    }

    fn zap_bypassed(&mut self) -> Result<(), Failure> {
        // PLAIN never goes on without a handler; the I/O layer fails the connection.
        Err(Failure::protocol("PLAIN needs a ZAP handler"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::failure::MonitorEvent;
    use crate::constants::{ZMQ_DEALER, ZMQ_ROUTER};
    use super::*;

    fn client() -> PlainMechanism {
        let local = LocalInfo { socket_type: ZMQ_DEALER, routing_id: b"c".to_vec(), ..LocalInfo::default() };
        PlainMechanism::new(local, b"admin".to_vec(), b"secret".to_vec())
    }

    fn server() -> PlainMechanism {
        let local = LocalInfo { socket_type: ZMQ_ROUTER, as_server: true, ..LocalInfo::default() };
        PlainMechanism::new(local, Vec::new(), Vec::new())
    }

    fn reply(status: &[u8], user: &[u8]) -> ZapReply {
        ZapReply { status_code: status.to_vec(), status_text: b"x".to_vec(), user_id: user.to_vec(), metadata: Vec::new() }
    }

    fn event(f: Failure) -> Option<MonitorEvent> {
        f.event
    }

    /// Runs client and server against each other, answering ZAP with `zap`.
    #[test]
    fn full_handshake() {
        let (mut c, mut s) = (client(), server());
        let hello = c.next_handshake_command().unwrap();
        assert_eq!(hello, b"\x05HELLO\x05admin\x06secret");
        assert_eq!(c.next_handshake_command(), None);
        s.process_handshake_command(&hello).unwrap();
        assert_eq!(s.next_handshake_command(), None, "nothing before the ZAP reply");
        let req = s.take_zap_request().unwrap();
        assert_eq!(req, ZapRequest { mechanism: b"PLAIN", credentials: vec![b"admin".to_vec(), b"secret".to_vec()] });
        assert_eq!(s.take_zap_request(), None);
        s.zap_reply(&reply(b"200", b"alice")).unwrap();
        let welcome = s.next_handshake_command().unwrap();
        assert_eq!(welcome, b"\x07WELCOME");
        c.process_handshake_command(&welcome).unwrap();
        let initiate = c.next_handshake_command().unwrap();
        assert!(initiate.starts_with(b"\x08INITIATE"));
        s.process_handshake_command(&initiate).unwrap();
        let ready = s.next_handshake_command().unwrap();
        assert_eq!(s.status(), Status::Ready);
        assert_eq!(s.peer().socket_type, Some(ZMQ_DEALER));
        assert_eq!(s.peer().routing_id, b"c");
        assert_eq!(s.peer().user_id.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.status(), Status::Handshaking);
        c.process_handshake_command(&ready).unwrap();
        assert_eq!(c.status(), Status::Ready);
        assert_eq!(c.peer().socket_type, Some(ZMQ_ROUTER));
    }

    #[test]
    fn refused() {
        for (status, sends_error) in [(&b"400"[..], true), (b"500", true), (b"300", false)] {
            let (mut c, mut s) = (client(), server());
            s.process_handshake_command(&c.next_handshake_command().unwrap()).unwrap();
            s.take_zap_request().unwrap();
            let code = (status[0] - b'0') as i32 * 100;
            assert_eq!(event(s.zap_reply(&reply(status, b"")).unwrap_err()), Some(MonitorEvent::HandshakeFailedAuth(code)));
            let error = s.next_handshake_command();
            assert_eq!(error.is_some(), sends_error);
            assert_eq!(s.status(), Status::Error);
            if let Some(error) = error {
                assert_eq!(error, [&b"^RROR\x03"[..], status].concat());
                let f = c.process_handshake_command(&error).unwrap_err();
                assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedAuth(code)));
                assert_eq!(c.status(), Status::Error);
            }
        }
    }

    #[test]
    fn malformed_hello() {
        let check = |body: &[u8]| {
            let mut s = server();
            let f = s.process_handshake_command(body).unwrap_err();
            assert_eq!(s.take_zap_request(), None);
            match f.event {
                Some(MonitorEvent::HandshakeFailedProtocol(code)) => code,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(check(b"\x05HEL"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
        assert_eq!(check(b"\x05HELLO"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        assert_eq!(check(b"\x05HELLO\x03ab"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        assert_eq!(check(b"\x05HELLO\x02ab"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        assert_eq!(check(b"\x05HELLO\x02ab\x02c"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        assert_eq!(check(b"\x05HELLO\x02ab\x01cd"), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        assert_eq!(check(b"\x05READY\x00\x00"), ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        // Empty credentials are fine.
        let mut s = server();
        s.process_handshake_command(b"\x05HELLO\x00\x00").unwrap();
        assert_eq!(s.take_zap_request().unwrap().credentials, vec![Vec::<u8>::new(), Vec::new()]);
        // Anything while waiting for ZAP is out of turn.
        let f = s.process_handshake_command(b"\x08INITIATE").unwrap_err();
        assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED)));
    }

    #[test]
    fn client_rejects() {
        let code = |f: Failure| match f.event {
            Some(MonitorEvent::HandshakeFailedProtocol(c)) => c,
            other => panic!("{other:?}"),
        };
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(code(c.process_handshake_command(b"\x07WELCOMEx").unwrap_err()), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME);
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(code(c.process_handshake_command(b"\x05READY").unwrap_err()), ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(code(c.process_handshake_command(b"^RROR\x05ab").unwrap_err()), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR);
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(code(c.process_handshake_command(b"\x05ERROR\x03400").unwrap_err()), ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        let mut c = client();
        c.next_handshake_command();
        c.process_handshake_command(b"\x07WELCOME").unwrap();
        c.next_handshake_command().unwrap();
        let mut bad = b"\x05READY".to_vec();
        commands::write_property(&mut bad, b"Socket-Type", b"PUB");
        assert_eq!(code(c.process_handshake_command(&bad).unwrap_err()), ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
        // An ERROR that is not a ZAP status code gives no event.
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(c.process_handshake_command(&libzmq_error(b"nope")).unwrap_err().event, None);
    }
}
