//! Security mechanisms (RFC 23 §"Authentication and Confidentiality"): the handshake that
//! follows a ZMTP 3.x greeting: NULL, PLAIN (RFC 24), CURVE (RFC 26). The engine only
//! moves command bodies in and out and asks for the status; it never looks inside a
//! mechanism's commands. A server-side mechanism that must ask the ZAP handler (RFC 27)
//! hands out a `ZapRequest` and waits for `zap_reply` (or `zap_bypassed`). A mechanism
//! that `wraps_messages` (CURVE) also has every later frame, commands included, pass
//! through its encode/decode.

pub mod curve;
pub mod null;
pub mod plain;

use crate::msg::Msg;

use super::commands;
use super::failure::Failure;
use super::socket_type;

/// ZMQ_MECHANISM and its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MechanismConfig {
    #[default]
    Null,
    /// RFC 24. The server side (ZMQ_PLAIN_SERVER) ignores the credentials.
    Plain { username: Vec<u8>, password: Vec<u8> },
    /// RFC 26. The client needs the server's long-term public key; the server only its
    /// own key pair.
    Curve { public_key: [u8; 32], secret_key: [u8; 32], server_key: [u8; 32] },
}

impl MechanismConfig {
    /// The name in the greeting (zero-padded to 20 bytes on the wire).
    pub fn wire_name(&self) -> &'static [u8] {
        match self {
            MechanismConfig::Null => b"NULL",
            MechanismConfig::Plain { .. } => b"PLAIN",
            MechanismConfig::Curve { .. } => b"CURVE",
        }
    }

    pub(crate) fn start(&self, local: LocalInfo) -> Box<dyn Mechanism> {
        match self {
            MechanismConfig::Null => Box::new(null::NullMechanism::new(local)),
            MechanismConfig::Plain { username, password } => {
                Box::new(plain::PlainMechanism::new(local, username.clone(), password.clone()))
            }
            MechanismConfig::Curve { public_key, secret_key, server_key } => {
                if local.as_server {
                    Box::new(curve::Curve::server(local, *secret_key))
                } else {
                    Box::new(curve::Curve::client(local, *public_key, *secret_key, *server_key))
                }
            }
        }
    }
}

/// What every mechanism announces about our socket.
#[derive(Debug, Clone, Default)]
pub struct LocalInfo {
    pub socket_type: i32,
    pub routing_id: Vec<u8>,
    /// ZMQ_METADATA properties ("X-..."), sent in READY/INITIATE.
    pub app_metadata: Vec<(String, Vec<u8>)>,
    /// ZMQ_PLAIN_SERVER / ZMQ_CURVE_SERVER: we are the side that authenticates.
    pub as_server: bool,
}

/// A question for the ZAP handler (RFC 27) that a server-side mechanism must have
/// answered before its handshake can go on. The mechanism gives what only it knows; the
/// I/O layer adds version, request id, domain, address and routing id, and either sends
/// it to the handler bound at inproc://zeromq.zap.01 or answers it itself when there is
/// none (libzmq's rules: no handler means accept, unless ZMQ_ZAP_ENFORCE_DOMAIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    /// "NULL", "PLAIN" or "CURVE".
    pub mechanism: &'static [u8],
    /// PLAIN: username, password; CURVE: the client's long-term public key; NULL: none.
    pub credentials: Vec<Vec<u8>>,
}

/// The handler's answer (its status code "200" means authenticated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZapReply {
    pub status_code: Vec<u8>,
    pub status_text: Vec<u8>,
    pub user_id: Vec<u8>,
    /// ZMTP-encoded properties that become metadata of the peer's messages.
    pub metadata: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    Ready,
    Error,
}

/// What the handshake learnt about the peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerInfo {
    /// From "Socket-Type" (checked against ours), if the peer sent one.
    pub socket_type: Option<i32>,
    /// From "Identity"; empty when absent.
    pub routing_id: Vec<u8>,
    /// Every property in the order received, names as sent (libzmq matches names
    /// case-sensitively). A repeated name keeps its first value when made into metadata.
    pub properties: Vec<(String, Vec<u8>)>,
    /// The ZAP User-Id, once a ZAP handler authenticated the peer.
    pub user_id: Option<Vec<u8>>,
}

pub trait Mechanism: Send {
    /// The next handshake command body to send, if there is one now.
    fn next_handshake_command(&mut self) -> Option<Vec<u8>>;

    /// Handles one handshake command body from the peer.
    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure>;

    fn status(&self) -> Status;

    fn peer(&self) -> &PeerInfo;

    /// Whether application frames must pass through encode/decode (CURVE wraps them in
    /// MESSAGE commands); NULL and PLAIN send them as they are.
    fn wraps_messages(&self) -> bool {
        false
    }

    /// The frame to put on the wire for an outgoing message (only if wraps_messages).
    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        Ok(msg.clone())
    }

    /// The message carried by an incoming frame (only if wraps_messages).
    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        Ok(frame)
    }

    /// A ZAP request waiting to be sent, taken once. While it is unanswered the
    /// mechanism stays in Status::Handshaking and sends nothing.
    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        None
    }

    /// The answer to the request taken by `take_zap_request`. A status other than 200
    /// makes the mechanism send an ERROR command (where its RFC has one) and fail.
    fn zap_reply(&mut self, _reply: &ZapReply) -> Result<(), Failure> {
        Ok(())
    }

    /// The request taken by `take_zap_request` will not be asked: no handler is bound and
    /// libzmq's rules say go on without one (NULL with a domain, CURVE, unless
    /// ZMQ_ZAP_ENFORCE_DOMAIN). The peer is accepted without a User-Id. The default
    /// treats it as a 200 reply; a mechanism that records User-Id should override it.
    fn zap_bypassed(&mut self) -> Result<(), Failure> {
        self.zap_reply(&ZapReply { status_code: b"200".to_vec(), ..ZapReply::default() })
    }
}

impl ZapReply {
    /// 200, 300, 400 or 500 (the reply parser admits nothing else); 0 if unparsable.
    pub fn status(&self) -> i32 {
        match self.status_code.as_slice() {
            [d @ b'2'..=b'5', b'0', b'0'] => (d - b'0') as i32 * 100,
            _ => 0,
        }
    }
}

/// A ZAP handler's refusal: the failure the handshake ends with (HANDSHAKE_FAILED_AUTH
/// with the status) and the reason for the ERROR to send back, if one is sent.
pub struct ZapRefusal {
    pub failure: Failure,
    pub error_reason: Option<Vec<u8>>,
}

/// A ZAP reply as every server-side mechanism takes it (libzmq's rules): the User-Id goes
/// into `peer`; status 200 accepts; any other refuses, with an ERROR carrying the status
/// code, except 300, a temporary failure, which RFC 27 answers by a silent disconnect.
pub fn judge_zap_reply(reply: &ZapReply, peer: &mut PeerInfo) -> Result<(), ZapRefusal> {
    peer.user_id = Some(reply.user_id.clone());
    match reply.status() {
        200 => Ok(()),
        status => Err(ZapRefusal {
            failure: Failure::auth(status, "ZAP handler refused the peer"),
            error_reason: (status != 300).then(|| reply.status_code.clone()),
        }),
    }
}

/// A peer's ERROR command, as libzmq reports it: a reason that is a ZAP status code ("300",
/// "400", "500") gives ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, anything else no event.
pub fn error_received(reason: &[u8]) -> Failure {
    let mut failure = Failure::protocol("peer sent ERROR");
    if let [d @ b'3'..=b'5', b'0', b'0'] = reason {
        failure.event = Some(super::failure::MonitorEvent::HandshakeFailedAuth((d - b'0') as i32 * 100));
    }
    failure
}

/// The properties libzmq 4.3 puts in READY (and INITIATE): Socket-Type; Identity for
/// REQ/DEALER/ROUTER, even if empty; then the application's metadata.
pub fn basic_properties(local: &LocalInfo) -> Vec<u8> {
    let mut out = Vec::new();
    let type_name = socket_type::name(local.socket_type).unwrap_or("");
    commands::write_property(&mut out, b"Socket-Type", type_name.as_bytes());
    if socket_type::announces_identity(local.socket_type) {
        commands::write_property(&mut out, b"Identity", &local.routing_id);
    }
    for (name, value) in &local.app_metadata {
        commands::write_property(&mut out, name.as_bytes(), value);
    }
    out
}

/// Takes in the peer's metadata properties as libzmq does: a malformed list or an
/// incompatible Socket-Type fails the handshake; a missing Socket-Type is accepted.
pub fn apply_peer_metadata(our_type: i32, data: &[u8], peer: &mut PeerInfo) -> Result<(), Failure> {
    let props = commands::parse_properties(data).ok_or(Failure::protocol("malformed metadata"))?;
    for (name, value) in props {
        match name {
            b"Socket-Type" => {
                let theirs = socket_type::from_name(value)
                    .filter(|&t| socket_type::compatible(our_type, t))
                    .ok_or(Failure::protocol("incompatible socket type"))?;
                peer.socket_type = Some(theirs);
            }
            b"Identity" => peer.routing_id = value.to_vec(),
            _ => {}
        }
        peer.properties.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
    }
    Ok(())
}
