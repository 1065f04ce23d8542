//! What the engine needs to know from the socket's options.

use crate::constants::*;
use std::time::Duration;

use super::mechanism::MechanismConfig;

/// Everything the engine needs from the socket's options.
#[derive(Debug, Clone)]
pub struct Config {
    /// ZMQ_PAIR (0) ..= ZMQ_CHANNEL (20). STREAM sockets do not speak ZMTP.
    pub socket_type: i32,
    /// ZMQ_ROUTING_ID; announced in READY by REQ/DEALER/ROUTER, and as the identity frame
    /// to ZMTP 1.0/2.0 peers.
    pub routing_id: Vec<u8>,
    /// ZMQ_PLAIN_SERVER/ZMQ_CURVE_SERVER; the greeting's as-server (always 0 for NULL).
    pub as_server: bool,
    pub mechanism: MechanismConfig,
    /// ZMQ_ZAP_DOMAIN. Set (or a mechanism other than NULL) means ZAP is enabled, which
    /// makes ZMTP 1.0/2.0 peers unacceptable, as in libzmq.
    pub zap_domain: Vec<u8>,
    /// ZMQ_HEARTBEAT_IVL; zero = no PINGs.
    pub heartbeat_ivl: Duration,
    /// ZMQ_HEARTBEAT_TTL, sent in our PINGs (in whole deciseconds, at most 6553.5 s).
    pub heartbeat_ttl: Duration,
    /// ZMQ_HEARTBEAT_TIMEOUT: how long after a PING of ours silence means death; zero =
    /// never. Resolve libzmq's default (-1) to heartbeat_ivl before.
    pub heartbeat_timeout: Duration,
    /// ZMQ_MAXMSGSIZE: largest frame accepted; negative = no limit. Applies to every frame,
    /// handshake commands included, as in libzmq (so 0 admits only empty frames).
    pub max_msg_size: i64,
    /// ZMQ_METADATA: extra properties for our READY ("X-..." names).
    pub app_metadata: Vec<(String, Vec<u8>)>,
    /// Properties the I/O layer knows about the connection ("Peer-Address", "__fd"). They
    /// come first in the metadata of received messages and cannot be overridden by the
    /// peer's READY.
    pub connection_properties: Vec<(String, Vec<u8>)>,
    /// Send subscriptions to ZMTP 3.1 peers as SUBSCRIBE/CANCEL commands, as libzmq 4.3.3+
    /// does; false sends the 3.0 form (a message starting with 1 or 0) to everyone.
    pub subscribe_commands: bool,
    /// Speak ZMTP 2.0 (greeting revision 1, no mechanism) like libzmq 3.x / JeroMQ 0.3.
    /// For tests and interoperability experiments only.
    pub emulate_zmtp2: bool,
    /// Attach the connection's metadata to every received message. An I/O session turns
    /// it off and lets its pipe attach it (once per change, see pipe/metadata.rs).
    pub metadata_on_messages: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            socket_type: ZMQ_PAIR,
            routing_id: Vec::new(),
            as_server: false,
            mechanism: MechanismConfig::Null,
            zap_domain: Vec::new(),
            heartbeat_ivl: Duration::ZERO,
            heartbeat_ttl: Duration::ZERO,
            heartbeat_timeout: Duration::ZERO,
            max_msg_size: -1,
            app_metadata: Vec::new(),
            connection_properties: Vec::new(),
            subscribe_commands: true,
            emulate_zmtp2: false,
            metadata_on_messages: true,
        }
    }
}
