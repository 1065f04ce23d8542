//! Why an engine gave up on a connection, in terms the socket layer needs: the errno,
//! whether it was a protocol violation or a timeout (libzmq's `error_reason_t`, which
//! decides reconnect behaviour), and which monitor event libzmq would emit for it.

use crate::error::Error;

/// ZMQ_PROTOCOL_ERROR_* values carried by ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL.
pub mod protocol_error {
    pub const ZMTP_UNSPECIFIED: i32 = 0x1000_0000;
    pub const ZMTP_UNEXPECTED_COMMAND: i32 = 0x1000_0001;
    pub const ZMTP_INVALID_SEQUENCE: i32 = 0x1000_0002;
    pub const ZMTP_KEY_EXCHANGE: i32 = 0x1000_0003;
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: i32 = 0x1000_0011;
    pub const ZMTP_MALFORMED_COMMAND_MESSAGE: i32 = 0x1000_0012;
    pub const ZMTP_MALFORMED_COMMAND_HELLO: i32 = 0x1000_0013;
    pub const ZMTP_MALFORMED_COMMAND_INITIATE: i32 = 0x1000_0014;
    pub const ZMTP_MALFORMED_COMMAND_ERROR: i32 = 0x1000_0015;
    pub const ZMTP_MALFORMED_COMMAND_READY: i32 = 0x1000_0016;
    pub const ZMTP_MALFORMED_COMMAND_WELCOME: i32 = 0x1000_0017;
    pub const ZMTP_INVALID_METADATA: i32 = 0x1000_0018;
    pub const ZMTP_CRYPTOGRAPHIC: i32 = 0x1100_0001;
    pub const ZMTP_MECHANISM_MISMATCH: i32 = 0x1100_0002;
    pub const ZAP_UNSPECIFIED: i32 = 0x2000_0000;
    pub const ZAP_MALFORMED_REPLY: i32 = 0x2000_0001;
    pub const ZAP_BAD_REQUEST_ID: i32 = 0x2000_0002;
    pub const ZAP_BAD_VERSION: i32 = 0x2000_0003;
    pub const ZAP_INVALID_STATUS_CODE: i32 = 0x2000_0004;
    pub const ZAP_INVALID_METADATA: i32 = 0x2000_0005;
}

/// libzmq's error_reason_t, minus connection errors (those belong to the I/O layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The peer broke the protocol (or an allocation for its data failed).
    Protocol,
    /// Heartbeat timeout or the peer's heartbeat TTL ran out.
    Timeout,
}

/// The monitor event libzmq emits at the point of failure (besides DISCONNECTED, which
/// the socket layer emits for every closed connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorEvent {
    /// ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL with a ZMQ_PROTOCOL_ERROR_* value.
    HandshakeFailedProtocol(i32),
    /// ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with a ZAP status code (300, 400, 500).
    HandshakeFailedAuth(i32),
    /// ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL with an errno (EFAULT: no ZAP handler where
    /// one is required).
    HandshakeFailedNoDetail(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// EPROTO for protocol violations, EMSGSIZE for frames over max_msg_size, ENOMEM when a
    /// frame could not be allocated, ETIMEDOUT for heartbeat timeouts.
    pub errno: Error,
    /// The event to emit now, if libzmq emits one for this failure.
    pub event: Option<MonitorEvent>,
    /// Human-readable detail for logs.
    pub detail: &'static str,
}

impl Failure {
    pub fn protocol(detail: &'static str) -> Failure {
        Failure { kind: FailureKind::Protocol, errno: Error(libc::EPROTO), event: None, detail }
    }

    /// A protocol failure that libzmq reports with HANDSHAKE_FAILED_PROTOCOL(code).
    pub fn handshake(code: i32, detail: &'static str) -> Failure {
        Failure { event: Some(MonitorEvent::HandshakeFailedProtocol(code)), ..Failure::protocol(detail) }
    }

    /// The peer failed authentication: ZAP status 300, 400 or 500.
    pub fn auth(status: i32, detail: &'static str) -> Failure {
        Failure { event: Some(MonitorEvent::HandshakeFailedAuth(status)), ..Failure::protocol(detail) }
    }

    pub fn with_errno(self, errno: i32) -> Failure {
        Failure { errno: Error(errno), ..self }
    }

    pub fn timeout(detail: &'static str) -> Failure {
        Failure { kind: FailureKind::Timeout, errno: Error(libc::ETIMEDOUT), event: None, detail }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.detail, self.errno)
    }
}
