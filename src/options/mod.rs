//! The socket option table: every zmq_setsockopt / zmq_getsockopt option of libzmq 4.3.4
//! (stable and draft), with libzmq's exact validation, sizes and errnos.
//!
//! `Options::set` is libzmq's whole setsockopt chain: first the socket type's own
//! options (libzmq's per-pattern `xsetsockopt`: ROUTER_MANDATORY, XPUB_VERBOSE, …),
//! then the generic table, each failing with EINVAL when it does not know the option.
//! Pattern options are stored here too (the `router_*`, `xpub_*`, `req_*` fields…) so
//! socket patterns just read them. The one thing the table cannot do is act on
//! ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE: `set` returns [`Applied::Subscribe`] /
//! [`Applied::Unsubscribe`] and the pattern does the work (see [`Applied`]).
//!
//! `Options::get` answers every option except the three that need live socket state,
//! ZMQ_RCVMORE, ZMQ_FD and ZMQ_EVENTS (see [`SOCKET_LEVEL`]); the socket layer answers
//! those with [`write_int`]. ZMQ_LAST_ENDPOINT is answered from [`Options::last_endpoint`],
//! which the socket layer keeps up to date.
//!
//! Size rules (libzmq's, including its inconsistencies):
//! - int options: set needs exactly 4 bytes; get needs a buffer of exactly 4 bytes
//!   (8 for ZMQ_AFFINITY and ZMQ_MAXMSGSIZE) and leaves the size at 4 (8).
//! - RCVMORE, FD, EVENTS, THREAD_SAFE: get accepts any buffer of at least 4 bytes, writes
//!   4, zeroes the rest and reports 4.
//! - strings (LAST_ENDPOINT, ZAP_DOMAIN, PLAIN_*, SOCKS_*, BINDTODEVICE, GSSAPI_*):
//!   get needs room for the text and its NUL, zeroes the rest, reports len + 1.
//! - ZMQ_ROUTING_ID: binary, same as strings without the NUL.
//! - CURVE keys: get with exactly 32 bytes gives the binary key, with exactly 41 the
//!   Z85 text and NUL; any other size is EINVAL; the size is left unchanged.
//!
//! Files: this one has the `Options` record and its defaults; `set.rs` the setsockopt
//! table and value rules, `get.rs` the getsockopt answers, `context.rs` the context
//! options (zmq_ctx_set/get), `tests.rs` their unit tests.

use crate::constants::*;
use crate::error::{Error, Result};
use crate::options::context::CtxOptions;
use crate::transport::endpoint::TcpAddressMask;
use std::collections::{BTreeMap, BTreeSet};

/// Build flavour, matching the libzmq 4.3.4 we replace (Debian's libzmq5: no draft API,
/// CURVE and GSSAPI compiled in, no VMCI, no WSS). Options guarded by a flavour that is
/// off answer EINVAL, as in such a libzmq build. Keep these in step with zmq_has().
pub const DRAFT_API: bool = cfg!(feature = "draft");
pub const HAVE_CURVE: bool = true;
pub const HAVE_GSSAPI: bool = true;
pub const HAVE_VMCI: bool = false;
pub const HAVE_WSS: bool = cfg!(feature = "draft");

/// libzmq's default ZMQ_IN_BATCH_SIZE and ZMQ_OUT_BATCH_SIZE (draft), in bytes.
pub const BATCH_SIZE_DFLT: i32 = 8192;

// Option numbers and values are zmq.h's, from crate::constants (ZMQ_*).

/// Options that `Options::get` does not answer because they need live socket state;
/// the socket layer handles them before calling it (with [`write_int`]). libzmq also
/// answers ZMQ_FD with EINVAL on thread-safe sockets.
pub const SOCKET_LEVEL: [i32; 3] = [ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS];

/// Socket types, from zmq.h (12 and up are draft, but libzmq creates them in any build).
pub mod socket_type {
    use crate::constants::*;

    /// zmq_socket answers EINVAL for anything else.
    pub fn is_valid(t: i32) -> bool {
        (ZMQ_PAIR..=ZMQ_CHANNEL).contains(&t)
    }

    /// The thread-safe (draft) types: no ZMQ_FD, ZMQ_THREAD_SAFE reads 1.
    pub fn is_thread_safe(t: i32) -> bool {
        matches!(t, ZMQ_SERVER | ZMQ_CLIENT | ZMQ_RADIO | ZMQ_DISH | ZMQ_GATHER | ZMQ_SCATTER | ZMQ_PEER | ZMQ_CHANNEL)
    }
}
use socket_type as st;

/// What `Options::set` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The value is in the table. If the option was SNDHWM or RCVHWM, libzmq also
    /// pushes the new limits to the socket's existing pipes (update_pipe_options).
    Stored,
    /// ZMQ_SUBSCRIBE was accepted and the pattern must act on the value bytes:
    /// SUB sends the subscription upstream; XPUB in manual mode adds it to its trie for
    /// the last pipe it received a subscription from (and ignores it if there is none).
    Subscribe,
    /// ZMQ_UNSUBSCRIBE, likewise.
    Unsubscribe,
}

/// One socket's options. Field defaults are libzmq's (see `Options::with_ctx`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// ZMQ_TYPE.
    pub socket_type: i32,

    // Queues and messages.
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub affinity: u64,
    /// ZMQ_ROUTING_ID: 0..=255 bytes (empty until set).
    pub routing_id: Vec<u8>,
    pub maxmsgsize: i64,
    pub conflate: bool,
    pub linger: i32,
    pub rcvtimeo: i32,
    pub sndtimeo: i32,
    pub immediate: bool,
    pub invert_matching: bool,

    // Connection management.
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    /// ZMQ_RECONNECT_STOP bits (any int is accepted).
    pub reconnect_stop: i32,
    pub connect_timeout: i32,
    pub handshake_ivl: i32,
    pub heartbeat_ivl: i32,
    /// ZMQ_HEARTBEAT_TTL in deciseconds, as carried in PING (get multiplies by 100).
    pub heartbeat_ttl: u16,
    pub heartbeat_timeout: i32,
    /// The last endpoint bound or connected, maintained by the socket layer.
    pub last_endpoint: String,

    // TCP and IPC.
    pub ipv6: bool,
    pub backlog: i32,
    pub sndbuf: i32,
    pub rcvbuf: i32,
    pub tos: i32,
    /// SO_PRIORITY (draft).
    pub priority: i32,
    pub tcp_keepalive: i32,
    pub tcp_keepalive_cnt: i32,
    pub tcp_keepalive_idle: i32,
    pub tcp_keepalive_intvl: i32,
    pub tcp_maxrt: i32,
    pub tcp_accept_filters: Vec<TcpAddressMask>,
    pub ipc_uid_accept_filters: BTreeSet<u32>,
    pub ipc_gid_accept_filters: BTreeSet<u32>,
    pub ipc_pid_accept_filters: BTreeSet<i32>,
    pub use_fd: i32,
    /// SO_BINDTODEVICE interface name (empty: none).
    pub bindtodevice: Vec<u8>,
    pub loopback_fastpath: bool,
    pub socks_proxy: Vec<u8>,
    pub socks_username: Vec<u8>,
    pub socks_password: Vec<u8>,

    // Multicast (pgm/norm/udp; stored only).
    pub rate: i32,
    pub recovery_ivl: i32,
    pub multicast_hops: i32,
    pub multicast_maxtpdu: i32,
    pub multicast_loop: bool,

    // Security.
    /// ZMQ_MECHANISM: set as a side effect of the PLAIN/CURVE/GSSAPI options.
    pub mechanism: i32,
    pub as_server: bool,
    pub zap_domain: Vec<u8>,
    pub zap_enforce_domain: bool,
    pub plain_username: Vec<u8>,
    pub plain_password: Vec<u8>,
    pub curve_public_key: [u8; 32],
    pub curve_secret_key: [u8; 32],
    pub curve_server_key: [u8; 32],
    pub gss_principal: Vec<u8>,
    pub gss_service_principal: Vec<u8>,
    pub gss_plaintext: bool,
    pub gss_principal_nt: i32,
    pub gss_service_principal_nt: i32,
    /// ZMQ_METADATA "X-key:value" pairs; a key set twice keeps its first value (libzmq).
    pub metadata: BTreeMap<Vec<u8>, Vec<u8>>,

    // Draft buffers and messages.
    pub in_batch_size: i32,
    pub out_batch_size: i32,
    pub hello_msg: Vec<u8>,
    pub disconnect_msg: Vec<u8>,

    // Transports we don't build (kept so the table is complete).
    pub vmci_buffer_size: u64,
    pub vmci_buffer_min_size: u64,
    pub vmci_buffer_max_size: u64,
    pub vmci_connect_timeout: i32,
    pub wss_key_pem: Vec<u8>,
    pub wss_cert_pem: Vec<u8>,
    pub wss_trust_pem: Vec<u8>,
    pub wss_hostname: Vec<u8>,
    pub wss_trust_system: bool,

    // Pattern options (libzmq keeps these in the socket classes; never readable).
    pub router_mandatory: bool,
    pub router_handover: bool,
    /// ZMQ_ROUTER_RAW as set (turning it on also sets `raw_socket` and clears
    /// `recv_routing_id`; turning it off does not undo that, as in libzmq).
    pub router_raw: bool,
    /// ZMQ_ROUTER_NOTIFY bits (draft).
    pub router_notify: i32,
    pub probe_router: bool,
    pub req_correlate: bool,
    pub req_relaxed: bool,
    pub xpub_verbose_subs: bool,
    pub xpub_verbose_unsubs: bool,
    /// ZMQ_XPUB_NODROP (also RADIO's): block/EAGAIN at HWM instead of dropping.
    pub xpub_nodrop: bool,
    pub xpub_manual: bool,
    /// ZMQ_XPUB_MANUAL_LAST_VALUE: send only to the last subscribing pipe.
    pub xpub_send_last_pipe: bool,
    pub xpub_welcome_msg: Vec<u8>,
    /// ZMQ_ONLY_FIRST_SUBSCRIBE (XPUB, PUB, XSUB).
    pub only_first_subscribe: bool,
    /// ZMQ_CONNECT_ROUTING_ID, consumed (taken) by the next connect (ROUTER, REP, STREAM).
    pub connect_routing_id: Vec<u8>,

    // Internal flags libzmq derives from the socket type.
    /// The socket receives its peers' routing ids (ROUTER, REP).
    pub recv_routing_id: bool,
    /// Raw TCP, no ZMTP (STREAM, DGRAM, ROUTER with ROUTER_RAW).
    pub raw_socket: bool,
    /// STREAM_NOTIFY: deliver connect/disconnect notifications (default true).
    pub raw_notify: bool,
    /// Subscription filtering (SUB).
    pub filter: bool,
    pub can_send_hello_msg: bool,
    pub can_recv_disconnect_msg: bool,
    pub zero_copy: bool,
}

impl Options {
    /// Whether pipes keep only the last message: ZMQ_CONFLATE applies to these socket
    /// types only (as in libzmq).
    pub fn conflates(&self) -> bool {
        self.conflate && matches!(self.socket_type, ZMQ_DEALER | ZMQ_PULL | ZMQ_PUSH | ZMQ_PUB | ZMQ_SUB)
    }

    /// Defaults for a socket of `socket_type` in a context with default options.
    pub fn new(socket_type: i32) -> Options {
        Options::with_ctx(socket_type, &CtxOptions::default())
    }

    /// Defaults for a socket created in a context with `ctx` options: ZMQ_IPV6 comes from
    /// the context, ZMQ_LINGER is -1 if the context is blocky else 0 (and always 0 for
    /// SUB, XSUB and DISH).
    pub fn with_ctx(socket_type: i32, ctx: &CtxOptions) -> Options {
        let linger = if matches!(socket_type, ZMQ_SUB | ZMQ_XSUB | ZMQ_DISH) || !ctx.blocky { 0 } else { -1 };
        Options {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            affinity: 0,
            routing_id: Vec::new(),
            maxmsgsize: -1,
            conflate: false,
            linger,
            rcvtimeo: -1,
            sndtimeo: -1,
            immediate: false,
            invert_matching: false,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            reconnect_stop: 0,
            connect_timeout: 0,
            handshake_ivl: 30_000,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            last_endpoint: String::new(),
            ipv6: ctx.ipv6,
            backlog: 100,
            sndbuf: -1,
            rcvbuf: -1,
            tos: 0,
            priority: 0,
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_maxrt: 0,
            tcp_accept_filters: Vec::new(),
            ipc_uid_accept_filters: BTreeSet::new(),
            ipc_gid_accept_filters: BTreeSet::new(),
            ipc_pid_accept_filters: BTreeSet::new(),
            use_fd: -1,
            bindtodevice: Vec::new(),
            loopback_fastpath: false,
            socks_proxy: Vec::new(),
            socks_username: Vec::new(),
            socks_password: Vec::new(),
            rate: 100,
            recovery_ivl: 10_000,
            multicast_hops: 1,
            multicast_maxtpdu: 1500,
            multicast_loop: true,
            mechanism: ZMQ_NULL,
            as_server: false,
            zap_domain: Vec::new(),
            zap_enforce_domain: false,
            plain_username: Vec::new(),
            plain_password: Vec::new(),
            curve_public_key: [0; 32],
            curve_secret_key: [0; 32],
            curve_server_key: [0; 32],
            gss_principal: Vec::new(),
            gss_service_principal: Vec::new(),
            gss_plaintext: false,
            gss_principal_nt: ZMQ_GSSAPI_NT_HOSTBASED,
            gss_service_principal_nt: ZMQ_GSSAPI_NT_HOSTBASED,
            metadata: BTreeMap::new(),
            in_batch_size: BATCH_SIZE_DFLT,
            out_batch_size: BATCH_SIZE_DFLT,
            hello_msg: Vec::new(),
            disconnect_msg: Vec::new(),
            vmci_buffer_size: 0,
            vmci_buffer_min_size: 0,
            vmci_buffer_max_size: 0,
            vmci_connect_timeout: -1,
            wss_key_pem: Vec::new(),
            wss_cert_pem: Vec::new(),
            wss_trust_pem: Vec::new(),
            wss_hostname: Vec::new(),
            wss_trust_system: false,
            router_mandatory: false,
            router_handover: false,
            router_raw: false,
            router_notify: 0,
            probe_router: false,
            req_correlate: false,
            req_relaxed: false,
            xpub_verbose_subs: false,
            xpub_verbose_unsubs: false,
            xpub_nodrop: false,
            xpub_manual: false,
            xpub_send_last_pipe: false,
            xpub_welcome_msg: Vec::new(),
            only_first_subscribe: false,
            connect_routing_id: Vec::new(),
            recv_routing_id: matches!(socket_type, ZMQ_ROUTER | ZMQ_REP),
            raw_socket: matches!(socket_type, ZMQ_STREAM | ZMQ_DGRAM),
            raw_notify: true,
            filter: socket_type == ZMQ_SUB,
            can_send_hello_msg: matches!(socket_type, ZMQ_DEALER | ZMQ_ROUTER | ZMQ_REQ | ZMQ_REP | ZMQ_CLIENT | ZMQ_SERVER | ZMQ_PEER),
            can_recv_disconnect_msg: matches!(socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_SERVER | ZMQ_PEER),
            zero_copy: ctx.zero_copy,
        }
    }

    /// ZMQ_THREAD_SAFE.
    pub fn thread_safe(&self) -> bool {
        st::is_thread_safe(self.socket_type)
    }

    /// zmq_setsockopt. `value` is None for a NULL `optval` (with `optvallen` 0): a few
    /// string options treat (NULL, 0) as "clear" but refuse an empty non-NULL value.
    /// (libzmq crashes on NULL with a non-zero length; the FFI should answer EINVAL.)
    ///
    /// EINVAL for unknown options, wrong sizes and out-of-range values.
    pub fn set(&mut self, option: i32, value: Option<&[u8]>) -> Result<Applied> {
        // Like libzmq: the socket type's own options first; EINVAL from there means
        // "not mine", so the generic table gets its turn.
        match self.set_pattern(option, value) {
            Err(e) if e == Error::INVAL => {}
            done => return done,
        }
        self.set_generic(option, value).map(|()| Applied::Stored)
    }
}

/// libzmq's getsockopt for socket-level ints (RCVMORE, FD, EVENTS, THREAD_SAFE): any
/// buffer of at least 4 bytes; writes the int, zeroes the rest, returns 4.
pub fn write_int(out: &mut [u8], value: i32) -> Result<usize> {
    if out.len() < 4 {
        return Err(Error::INVAL);
    }
    out[..4].copy_from_slice(&value.to_ne_bytes());
    out[4..].fill(0);
    Ok(4)
}

pub mod context;
mod get;
mod set;
#[cfg(test)]
mod tests;
