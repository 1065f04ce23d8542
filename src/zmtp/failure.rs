//! Why an engine gave up on a connection, in terms the socket layer needs: the errno,
//! whether it was a protocol violation or a timeout (libzmq's `error_reason_t`, which
//! decides reconnect behaviour), and which monitor event libzmq would emit for it.

use crate::error::Error;

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
