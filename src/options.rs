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
//! [`RCVMORE`], [`FD`] and [`EVENTS`] (see [`SOCKET_LEVEL`]); the socket layer answers
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

use std::collections::{BTreeMap, BTreeSet};

use crate::ctx_options::CtxOptions;
use crate::error::{Error, Result};
use crate::transport::endpoint::TcpAddressMask;
use crate::z85;

/// Build flavour, matching the libzmq 4.3.4 we replace (Debian's libzmq5: no draft API,
/// CURVE and GSSAPI compiled in, no VMCI, no WSS). Options guarded by a flavour that is
/// off answer EINVAL, as in such a libzmq build. Keep these in step with zmq_has().
pub const DRAFT_API: bool = false;
pub const HAVE_CURVE: bool = true;
pub const HAVE_GSSAPI: bool = true;
pub const HAVE_VMCI: bool = false;
pub const HAVE_WSS: bool = false;

// Option numbers, from zmq.h (draft ones marked).
pub const AFFINITY: i32 = 4;
pub const ROUTING_ID: i32 = 5;
pub const SUBSCRIBE: i32 = 6;
pub const UNSUBSCRIBE: i32 = 7;
pub const RATE: i32 = 8;
pub const RECOVERY_IVL: i32 = 9;
pub const SNDBUF: i32 = 11;
pub const RCVBUF: i32 = 12;
pub const RCVMORE: i32 = 13;
pub const FD: i32 = 14;
pub const EVENTS: i32 = 15;
pub const TYPE: i32 = 16;
pub const LINGER: i32 = 17;
pub const RECONNECT_IVL: i32 = 18;
pub const BACKLOG: i32 = 19;
pub const RECONNECT_IVL_MAX: i32 = 21;
pub const MAXMSGSIZE: i32 = 22;
pub const SNDHWM: i32 = 23;
pub const RCVHWM: i32 = 24;
pub const MULTICAST_HOPS: i32 = 25;
pub const RCVTIMEO: i32 = 27;
pub const SNDTIMEO: i32 = 28;
pub const IPV4ONLY: i32 = 31;
pub const LAST_ENDPOINT: i32 = 32;
pub const ROUTER_MANDATORY: i32 = 33;
pub const TCP_KEEPALIVE: i32 = 34;
pub const TCP_KEEPALIVE_CNT: i32 = 35;
pub const TCP_KEEPALIVE_IDLE: i32 = 36;
pub const TCP_KEEPALIVE_INTVL: i32 = 37;
pub const TCP_ACCEPT_FILTER: i32 = 38;
pub const IMMEDIATE: i32 = 39;
pub const XPUB_VERBOSE: i32 = 40;
pub const ROUTER_RAW: i32 = 41;
pub const IPV6: i32 = 42;
pub const MECHANISM: i32 = 43;
pub const PLAIN_SERVER: i32 = 44;
pub const PLAIN_USERNAME: i32 = 45;
pub const PLAIN_PASSWORD: i32 = 46;
pub const CURVE_SERVER: i32 = 47;
pub const CURVE_PUBLICKEY: i32 = 48;
pub const CURVE_SECRETKEY: i32 = 49;
pub const CURVE_SERVERKEY: i32 = 50;
pub const PROBE_ROUTER: i32 = 51;
pub const REQ_CORRELATE: i32 = 52;
pub const REQ_RELAXED: i32 = 53;
pub const CONFLATE: i32 = 54;
pub const ZAP_DOMAIN: i32 = 55;
pub const ROUTER_HANDOVER: i32 = 56;
pub const TOS: i32 = 57;
pub const IPC_FILTER_PID: i32 = 58;
pub const IPC_FILTER_UID: i32 = 59;
pub const IPC_FILTER_GID: i32 = 60;
pub const CONNECT_ROUTING_ID: i32 = 61;
pub const GSSAPI_SERVER: i32 = 62;
pub const GSSAPI_PRINCIPAL: i32 = 63;
pub const GSSAPI_SERVICE_PRINCIPAL: i32 = 64;
pub const GSSAPI_PLAINTEXT: i32 = 65;
pub const HANDSHAKE_IVL: i32 = 66;
pub const SOCKS_PROXY: i32 = 68;
pub const XPUB_NODROP: i32 = 69;
/// A context option; zmq_setsockopt/zmq_getsockopt refuse it (EINVAL).
pub const BLOCKY: i32 = 70;
pub const XPUB_MANUAL: i32 = 71;
pub const XPUB_WELCOME_MSG: i32 = 72;
pub const STREAM_NOTIFY: i32 = 73;
pub const INVERT_MATCHING: i32 = 74;
pub const HEARTBEAT_IVL: i32 = 75;
pub const HEARTBEAT_TTL: i32 = 76;
pub const HEARTBEAT_TIMEOUT: i32 = 77;
pub const XPUB_VERBOSER: i32 = 78;
pub const CONNECT_TIMEOUT: i32 = 79;
pub const TCP_MAXRT: i32 = 80;
pub const THREAD_SAFE: i32 = 81;
pub const MULTICAST_MAXTPDU: i32 = 84;
pub const VMCI_BUFFER_SIZE: i32 = 85;
pub const VMCI_BUFFER_MIN_SIZE: i32 = 86;
pub const VMCI_BUFFER_MAX_SIZE: i32 = 87;
pub const VMCI_CONNECT_TIMEOUT: i32 = 88;
pub const USE_FD: i32 = 89;
pub const GSSAPI_PRINCIPAL_NAMETYPE: i32 = 90;
pub const GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: i32 = 91;
pub const BINDTODEVICE: i32 = 92;
// Draft section of zmq.h. libzmq accepts several of them even in non-draft builds.
pub const ZAP_ENFORCE_DOMAIN: i32 = 93;
pub const LOOPBACK_FASTPATH: i32 = 94;
pub const METADATA: i32 = 95;
pub const MULTICAST_LOOP: i32 = 96;
pub const ROUTER_NOTIFY: i32 = 97;
pub const XPUB_MANUAL_LAST_VALUE: i32 = 98;
pub const SOCKS_USERNAME: i32 = 99;
pub const SOCKS_PASSWORD: i32 = 100;
pub const IN_BATCH_SIZE: i32 = 101;
pub const OUT_BATCH_SIZE: i32 = 102;
pub const WSS_KEY_PEM: i32 = 103;
pub const WSS_CERT_PEM: i32 = 104;
pub const WSS_TRUST_PEM: i32 = 105;
pub const WSS_HOSTNAME: i32 = 106;
pub const WSS_TRUST_SYSTEM: i32 = 107;
pub const ONLY_FIRST_SUBSCRIBE: i32 = 108;
pub const RECONNECT_STOP: i32 = 109;
pub const HELLO_MSG: i32 = 110;
pub const DISCONNECT_MSG: i32 = 111;
pub const PRIORITY: i32 = 112;

/// Options that `Options::get` does not answer because they need live socket state;
/// the socket layer handles them before calling it (with [`write_int`]). libzmq also
/// answers ZMQ_FD with EINVAL on thread-safe sockets.
pub const SOCKET_LEVEL: [i32; 3] = [RCVMORE, FD, EVENTS];

/// Security mechanisms (ZMQ_MECHANISM values).
pub const MECHANISM_NULL: i32 = 0;
pub const MECHANISM_PLAIN: i32 = 1;
pub const MECHANISM_CURVE: i32 = 2;
pub const MECHANISM_GSSAPI: i32 = 3;

/// GSSAPI name types.
pub const GSSAPI_NT_HOSTBASED: i32 = 0;
pub const GSSAPI_NT_USER_NAME: i32 = 1;
pub const GSSAPI_NT_KRB5_PRINCIPAL: i32 = 2;

/// ZMQ_ROUTER_NOTIFY bits.
pub const NOTIFY_CONNECT: i32 = 1;
pub const NOTIFY_DISCONNECT: i32 = 2;

/// ZMQ_RECONNECT_STOP bits.
pub const RECONNECT_STOP_CONN_REFUSED: i32 = 1;
pub const RECONNECT_STOP_HANDSHAKE_FAILED: i32 = 2;
pub const RECONNECT_STOP_AFTER_DISCONNECT: i32 = 3;

/// Socket types, from zmq.h (12 and up are draft, but libzmq creates them in any build).
pub mod socket_type {
    pub use crate::socket::kind::*;

    /// zmq_socket answers EINVAL for anything else.
    pub fn is_valid(t: i32) -> bool {
        (PAIR..=CHANNEL).contains(&t)
    }

    /// The thread-safe (draft) types: no ZMQ_FD, ZMQ_THREAD_SAFE reads 1.
    pub fn is_thread_safe(t: i32) -> bool {
        matches!(t, SERVER | CLIENT | RADIO | DISH | GATHER | SCATTER | PEER | CHANNEL)
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
    /// Defaults for a socket of `socket_type` in a context with default options.
    pub fn new(socket_type: i32) -> Options {
        Options::with_ctx(socket_type, &CtxOptions::default())
    }

    /// Defaults for a socket created in a context with `ctx` options: ZMQ_IPV6 comes from
    /// the context, ZMQ_LINGER is -1 if the context is blocky else 0 (and always 0 for
    /// SUB, XSUB and DISH).
    pub fn with_ctx(socket_type: i32, ctx: &CtxOptions) -> Options {
        let linger = if matches!(socket_type, st::SUB | st::XSUB | st::DISH) || !ctx.blocky { 0 } else { -1 };
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
            mechanism: MECHANISM_NULL,
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
            gss_principal_nt: GSSAPI_NT_HOSTBASED,
            gss_service_principal_nt: GSSAPI_NT_HOSTBASED,
            metadata: BTreeMap::new(),
            in_batch_size: 8192,
            out_batch_size: 8192,
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
            recv_routing_id: matches!(socket_type, st::ROUTER | st::REP),
            raw_socket: matches!(socket_type, st::STREAM | st::DGRAM),
            raw_notify: true,
            filter: socket_type == st::SUB,
            can_send_hello_msg: matches!(socket_type, st::DEALER | st::ROUTER | st::REQ | st::REP | st::CLIENT | st::SERVER | st::PEER),
            can_recv_disconnect_msg: matches!(socket_type, st::ROUTER | st::REP | st::SERVER | st::PEER),
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

    /// Options specific to socket types (libzmq's xsetsockopt overrides).
    fn set_pattern(&mut self, option: i32, value: Option<&[u8]>) -> Result<Applied> {
        let bytes = value.unwrap_or(&[]);
        // Most pattern flags are "an int >= 0, non-zero means on".
        let flag = || int_where(value, |v| v >= 0).map(|v| v != 0);
        match (self.socket_type, option) {
            (st::SUB, SUBSCRIBE) => return Ok(Applied::Subscribe),
            (st::SUB, UNSUBSCRIBE) => return Ok(Applied::Unsubscribe),

            (st::XPUB | st::PUB, XPUB_VERBOSE) => {
                self.xpub_verbose_subs = flag()?;
                self.xpub_verbose_unsubs = false;
            }
            (st::XPUB | st::PUB, XPUB_VERBOSER) => {
                self.xpub_verbose_subs = flag()?;
                self.xpub_verbose_unsubs = self.xpub_verbose_subs;
            }
            (st::XPUB | st::PUB, XPUB_MANUAL_LAST_VALUE) => {
                self.xpub_manual = flag()?;
                self.xpub_send_last_pipe = self.xpub_manual;
            }
            (st::XPUB | st::PUB | st::RADIO, XPUB_NODROP) => self.xpub_nodrop = flag()?,
            (st::XPUB | st::PUB, XPUB_MANUAL) => self.xpub_manual = flag()?,
            (st::XPUB | st::PUB | st::XSUB, ONLY_FIRST_SUBSCRIBE) => self.only_first_subscribe = flag()?,
            (st::XPUB | st::PUB, SUBSCRIBE) if self.xpub_manual => return Ok(Applied::Subscribe),
            (st::XPUB | st::PUB, UNSUBSCRIBE) if self.xpub_manual => return Ok(Applied::Unsubscribe),
            (st::XPUB | st::PUB, XPUB_WELCOME_MSG) => self.xpub_welcome_msg = bytes.to_vec(),

            (st::REQ, REQ_CORRELATE) => self.req_correlate = flag()?,
            (st::REQ, REQ_RELAXED) => self.req_relaxed = flag()?,
            (st::REQ | st::DEALER | st::ROUTER | st::REP, PROBE_ROUTER) => self.probe_router = flag()?,

            (st::ROUTER | st::REP, ROUTER_RAW) => {
                self.router_raw = flag()?;
                if self.router_raw {
                    self.recv_routing_id = false;
                    self.raw_socket = true;
                }
            }
            (st::ROUTER | st::REP, ROUTER_MANDATORY) => self.router_mandatory = flag()?,
            (st::ROUTER | st::REP, ROUTER_HANDOVER) => self.router_handover = flag()?,
            (st::ROUTER | st::REP, ROUTER_NOTIFY) if DRAFT_API => {
                self.router_notify = int_where(value, |v| (0..=NOTIFY_CONNECT | NOTIFY_DISCONNECT).contains(&v))?;
            }
            (st::STREAM, STREAM_NOTIFY) => self.raw_notify = strict_bool(value)?,
            (st::ROUTER | st::REP | st::STREAM, CONNECT_ROUTING_ID) if !bytes.is_empty() => {
                self.connect_routing_id = bytes.to_vec();
            }
            _ => return Err(Error::INVAL),
        }
        Ok(Applied::Stored)
    }

    /// The generic table (libzmq's options_t::setsockopt).
    fn set_generic(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        let bytes = value.unwrap_or(&[]);
        let non_negative = || int_where(value, |v| v >= 0);
        let positive = || int_where(value, |v| v > 0);
        let minus_one_or_more = || int_where(value, |v| v >= -1);
        match option {
            SNDHWM => self.sndhwm = non_negative()?,
            RCVHWM => self.rcvhwm = non_negative()?,
            AFFINITY => self.affinity = u64::from_ne_bytes(exact(bytes)?),
            ROUTING_ID if !bytes.is_empty() && bytes.len() <= 255 => self.routing_id = bytes.to_vec(),
            RATE => self.rate = positive()?,
            RECOVERY_IVL => self.recovery_ivl = non_negative()?,
            SNDBUF => self.sndbuf = minus_one_or_more()?,
            RCVBUF => self.rcvbuf = minus_one_or_more()?,
            TOS => self.tos = non_negative()?,
            LINGER => self.linger = minus_one_or_more()?,
            CONNECT_TIMEOUT => self.connect_timeout = non_negative()?,
            TCP_MAXRT => self.tcp_maxrt = non_negative()?,
            RECONNECT_STOP => self.reconnect_stop = int_where(value, |_| true)?,
            RECONNECT_IVL => self.reconnect_ivl = minus_one_or_more()?,
            RECONNECT_IVL_MAX => self.reconnect_ivl_max = non_negative()?,
            BACKLOG => self.backlog = non_negative()?,
            MAXMSGSIZE => self.maxmsgsize = i64::from_ne_bytes(exact(bytes)?),
            MULTICAST_HOPS => self.multicast_hops = positive()?,
            MULTICAST_MAXTPDU => self.multicast_maxtpdu = positive()?,
            RCVTIMEO => self.rcvtimeo = minus_one_or_more()?,
            SNDTIMEO => self.sndtimeo = minus_one_or_more()?,
            IPV4ONLY => self.ipv6 = !strict_bool(value)?,
            IPV6 => self.ipv6 = strict_bool(value)?,
            SOCKS_PROXY => self.socks_proxy = string_strict(value, usize::MAX)?,
            // Here an empty value of either kind clears.
            SOCKS_USERNAME => self.socks_username = if bytes.is_empty() { Vec::new() } else { string_strict(value, 255)? },
            SOCKS_PASSWORD => self.socks_password = if bytes.is_empty() { Vec::new() } else { string_strict(value, 255)? },
            TCP_KEEPALIVE => self.tcp_keepalive = int_where(value, |v| (-1..=1).contains(&v))?,
            TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt = minus_one_or_more()?,
            TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle = minus_one_or_more()?,
            TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl = minus_one_or_more()?,
            IMMEDIATE => self.immediate = strict_bool(value)?,
            TCP_ACCEPT_FILTER => {
                // (NULL, 0) clears the list; otherwise 1..=255 bytes of "addr[/bits]",
                // parsed as a C string (up to the first NUL) with the current ZMQ_IPV6.
                let text = string_strict(value, 255)?;
                if text.is_empty() {
                    self.tcp_accept_filters.clear();
                } else {
                    let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
                    let text = std::str::from_utf8(text).map_err(|_| Error::INVAL)?;
                    self.tcp_accept_filters.push(TcpAddressMask::resolve(text, self.ipv6)?);
                }
            }
            IPC_FILTER_UID => set_filter(&mut self.ipc_uid_accept_filters, value, u32::from_ne_bytes)?,
            IPC_FILTER_GID => set_filter(&mut self.ipc_gid_accept_filters, value, u32::from_ne_bytes)?,
            IPC_FILTER_PID => set_filter(&mut self.ipc_pid_accept_filters, value, i32::from_ne_bytes)?,
            PLAIN_SERVER => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { MECHANISM_PLAIN } else { MECHANISM_NULL };
            }
            PLAIN_USERNAME | PLAIN_PASSWORD => {
                // (NULL, 0) switches back to NULL security without clearing the text.
                if value.is_none() {
                    self.mechanism = MECHANISM_NULL;
                } else {
                    let text = string_strict(value, 255)?;
                    if option == PLAIN_USERNAME {
                        self.plain_username = text;
                    } else {
                        self.plain_password = text;
                    }
                    self.as_server = false;
                    self.mechanism = MECHANISM_PLAIN;
                }
            }
            ZAP_DOMAIN if !bytes.is_empty() && bytes.len() <= 255 => self.zap_domain = bytes.to_vec(),
            CURVE_SERVER if HAVE_CURVE => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { MECHANISM_CURVE } else { MECHANISM_NULL };
            }
            CURVE_PUBLICKEY if HAVE_CURVE => set_curve_key(&mut self.curve_public_key, bytes, &mut self.mechanism)?,
            CURVE_SECRETKEY if HAVE_CURVE => set_curve_key(&mut self.curve_secret_key, bytes, &mut self.mechanism)?,
            CURVE_SERVERKEY if HAVE_CURVE => {
                set_curve_key(&mut self.curve_server_key, bytes, &mut self.mechanism)?;
                self.as_server = false;
            }
            CONFLATE => self.conflate = strict_bool(value)?,
            GSSAPI_SERVER if HAVE_GSSAPI => {
                self.as_server = strict_bool(value)?;
                self.mechanism = MECHANISM_GSSAPI; // even when set to 0, as libzmq
            }
            GSSAPI_PRINCIPAL | GSSAPI_SERVICE_PRINCIPAL if HAVE_GSSAPI && !bytes.is_empty() && bytes.len() <= 255 => {
                if option == GSSAPI_PRINCIPAL {
                    self.gss_principal = bytes.to_vec();
                } else {
                    self.gss_service_principal = bytes.to_vec();
                    self.as_server = false;
                }
                self.mechanism = MECHANISM_GSSAPI;
            }
            GSSAPI_PLAINTEXT if HAVE_GSSAPI => self.gss_plaintext = strict_bool(value)?,
            GSSAPI_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => self.gss_principal_nt = gss_name_type(value)?,
            GSSAPI_SERVICE_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => self.gss_service_principal_nt = gss_name_type(value)?,
            HANDSHAKE_IVL => self.handshake_ivl = non_negative()?,
            INVERT_MATCHING => self.invert_matching = relaxed_bool(value)?,
            HEARTBEAT_IVL => self.heartbeat_ivl = non_negative()?,
            HEARTBEAT_TTL => {
                // Stored in deciseconds, truncating (C division): -99..=99 all mean 0.
                let ds = int_where(value, |v| (0..=u16::MAX as i32).contains(&(v / 100)))? / 100;
                self.heartbeat_ttl = ds as u16;
            }
            HEARTBEAT_TIMEOUT => self.heartbeat_timeout = non_negative()?,
            VMCI_BUFFER_SIZE if HAVE_VMCI => self.vmci_buffer_size = u64::from_ne_bytes(exact(bytes)?),
            VMCI_BUFFER_MIN_SIZE if HAVE_VMCI => self.vmci_buffer_min_size = u64::from_ne_bytes(exact(bytes)?),
            VMCI_BUFFER_MAX_SIZE if HAVE_VMCI => self.vmci_buffer_max_size = u64::from_ne_bytes(exact(bytes)?),
            VMCI_CONNECT_TIMEOUT if HAVE_VMCI => self.vmci_connect_timeout = int_where(value, |_| true)?,
            USE_FD => self.use_fd = minus_one_or_more()?,
            // IFNAMSIZ (16) including the NUL, but libzmq checks the length without it.
            BINDTODEVICE => self.bindtodevice = string_strict(value, 16)?,
            ZAP_ENFORCE_DOMAIN => self.zap_enforce_domain = relaxed_bool(value)?,
            LOOPBACK_FASTPATH => self.loopback_fastpath = relaxed_bool(value)?,
            METADATA => {
                // "X-key:value": any length but 4 (libzmq takes 4 bytes for an int), a
                // ':' neither first nor last, a key starting "X-" of at most 255 bytes.
                if bytes.is_empty() || bytes.len() == 4 {
                    return Err(Error::INVAL);
                }
                let pos = bytes.iter().position(|&b| b == b':').ok_or(Error::INVAL)?;
                let (key, val) = (&bytes[..pos], &bytes[pos + 1..]);
                if pos == 0 || val.is_empty() || !key.starts_with(b"X-") || key.len() > 255 {
                    return Err(Error::INVAL);
                }
                self.metadata.entry(key.to_vec()).or_insert_with(|| val.to_vec());
            }
            MULTICAST_LOOP => self.multicast_loop = relaxed_bool(value)?,
            IN_BATCH_SIZE if DRAFT_API => self.in_batch_size = positive()?,
            OUT_BATCH_SIZE if DRAFT_API => self.out_batch_size = positive()?,
            WSS_KEY_PEM if DRAFT_API && HAVE_WSS => self.wss_key_pem = bytes.to_vec(),
            WSS_CERT_PEM if DRAFT_API && HAVE_WSS => self.wss_cert_pem = bytes.to_vec(),
            WSS_TRUST_PEM if DRAFT_API && HAVE_WSS => self.wss_trust_pem = bytes.to_vec(),
            WSS_HOSTNAME if DRAFT_API && HAVE_WSS => self.wss_hostname = bytes.to_vec(),
            WSS_TRUST_SYSTEM if DRAFT_API && HAVE_WSS => self.wss_trust_system = strict_bool(value)?,
            HELLO_MSG if DRAFT_API => self.hello_msg = bytes.to_vec(),
            DISCONNECT_MSG if DRAFT_API => self.disconnect_msg = bytes.to_vec(),
            PRIORITY if DRAFT_API => self.priority = non_negative()?,
            _ => return Err(Error::INVAL),
        }
        Ok(())
    }

    /// zmq_getsockopt: writes the value into `out` (whose length is the caller's
    /// `*optvallen`) and returns the new `*optvallen`. EINVAL for unknown and
    /// write-only options and for buffers of the wrong size (see the module doc).
    /// RCVMORE, FD and EVENTS are the socket layer's (EINVAL here).
    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        use Value::*;
        let value = match option {
            SNDHWM => Int(self.sndhwm),
            RCVHWM => Int(self.rcvhwm),
            AFFINITY => Exact(self.affinity.to_ne_bytes()),
            ROUTING_ID => Bytes(&self.routing_id),
            RATE => Int(self.rate),
            RECOVERY_IVL => Int(self.recovery_ivl),
            SNDBUF => Int(self.sndbuf),
            RCVBUF => Int(self.rcvbuf),
            TOS => Int(self.tos),
            TYPE => Int(self.socket_type),
            LINGER => Int(self.linger),
            CONNECT_TIMEOUT => Int(self.connect_timeout),
            TCP_MAXRT => Int(self.tcp_maxrt),
            RECONNECT_STOP => Int(self.reconnect_stop),
            RECONNECT_IVL => Int(self.reconnect_ivl),
            RECONNECT_IVL_MAX => Int(self.reconnect_ivl_max),
            BACKLOG => Int(self.backlog),
            MAXMSGSIZE => Exact(self.maxmsgsize.to_ne_bytes()),
            MULTICAST_HOPS => Int(self.multicast_hops),
            MULTICAST_MAXTPDU => Int(self.multicast_maxtpdu),
            RCVTIMEO => Int(self.rcvtimeo),
            SNDTIMEO => Int(self.sndtimeo),
            IPV4ONLY => Int(!self.ipv6 as i32),
            IPV6 => Int(self.ipv6 as i32),
            IMMEDIATE => Int(self.immediate as i32),
            SOCKS_PROXY => Str(&self.socks_proxy),
            SOCKS_USERNAME => Str(&self.socks_username),
            SOCKS_PASSWORD => Str(&self.socks_password),
            TCP_KEEPALIVE => Int(self.tcp_keepalive),
            TCP_KEEPALIVE_CNT => Int(self.tcp_keepalive_cnt),
            TCP_KEEPALIVE_IDLE => Int(self.tcp_keepalive_idle),
            TCP_KEEPALIVE_INTVL => Int(self.tcp_keepalive_intvl),
            MECHANISM => Int(self.mechanism),
            PLAIN_SERVER => Int((self.as_server && self.mechanism == MECHANISM_PLAIN) as i32),
            PLAIN_USERNAME => Str(&self.plain_username),
            PLAIN_PASSWORD => Str(&self.plain_password),
            ZAP_DOMAIN => Str(&self.zap_domain),
            CURVE_SERVER if HAVE_CURVE => Int((self.as_server && self.mechanism == MECHANISM_CURVE) as i32),
            CURVE_PUBLICKEY if HAVE_CURVE => CurveKey(&self.curve_public_key),
            CURVE_SECRETKEY if HAVE_CURVE => CurveKey(&self.curve_secret_key),
            CURVE_SERVERKEY if HAVE_CURVE => CurveKey(&self.curve_server_key),
            CONFLATE => Int(self.conflate as i32),
            GSSAPI_SERVER if HAVE_GSSAPI => Int((self.as_server && self.mechanism == MECHANISM_GSSAPI) as i32),
            GSSAPI_PRINCIPAL if HAVE_GSSAPI => Str(&self.gss_principal),
            GSSAPI_SERVICE_PRINCIPAL if HAVE_GSSAPI => Str(&self.gss_service_principal),
            GSSAPI_PLAINTEXT if HAVE_GSSAPI => Int(self.gss_plaintext as i32),
            GSSAPI_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => Int(self.gss_principal_nt),
            GSSAPI_SERVICE_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => Int(self.gss_service_principal_nt),
            HANDSHAKE_IVL => Int(self.handshake_ivl),
            INVERT_MATCHING => Int(self.invert_matching as i32),
            HEARTBEAT_IVL => Int(self.heartbeat_ivl),
            HEARTBEAT_TTL => Int(self.heartbeat_ttl as i32 * 100),
            HEARTBEAT_TIMEOUT => Int(self.heartbeat_timeout),
            USE_FD => Int(self.use_fd),
            BINDTODEVICE => Str(&self.bindtodevice),
            ZAP_ENFORCE_DOMAIN => Int(self.zap_enforce_domain as i32),
            LOOPBACK_FASTPATH => Int(self.loopback_fastpath as i32),
            MULTICAST_LOOP => Int(self.multicast_loop as i32),
            ROUTER_NOTIFY if DRAFT_API => Int(self.router_notify),
            IN_BATCH_SIZE if DRAFT_API => Int(self.in_batch_size),
            OUT_BATCH_SIZE if DRAFT_API => Int(self.out_batch_size),
            PRIORITY if DRAFT_API => Int(self.priority),
            // Socket-level in libzmq, but plain values we can answer from here.
            LAST_ENDPOINT => Str(self.last_endpoint.as_bytes()),
            THREAD_SAFE => SocketInt(self.thread_safe() as i32),
            _ => return Err(Error::INVAL),
        };
        match value {
            Int(v) => get_exact(out, &v.to_ne_bytes()),
            Exact(bytes) => get_exact(out, &bytes),
            Bytes(bytes) => get_bytes(out, bytes),
            Str(text) => get_string(out, text),
            CurveKey(key) => get_curve_key(out, key),
            SocketInt(v) => write_int(out, v),
        }
    }
}

/// The shapes of option values, each with its own getsockopt size rule.
enum Value<'a> {
    /// Exactly 4 bytes.
    Int(i32),
    /// Exactly 8 bytes.
    Exact([u8; 8]),
    /// Binary, room needed, rest zeroed.
    Bytes(&'a [u8]),
    /// Text plus NUL, room needed, rest zeroed.
    Str(&'a [u8]),
    /// 32 (binary) or 41 (Z85 + NUL) bytes.
    CurveKey(&'a [u8; 32]),
    /// At least 4 bytes, rest zeroed.
    SocketInt(i32),
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

// ---------------------------------------------------------------------------------------
// Value decoding helpers, one per libzmq convention.

fn as_int(value: Option<&[u8]>) -> Option<i32> {
    Some(i32::from_ne_bytes(value?.try_into().ok()?))
}

/// An int (exactly 4 bytes) satisfying `ok`.
fn int_where(value: Option<&[u8]>, ok: impl Fn(i32) -> bool) -> Result<i32> {
    as_int(value).filter(|&v| ok(v)).ok_or(Error::INVAL)
}

/// libzmq's "int as bool, strict": only 0 or 1.
fn strict_bool(value: Option<&[u8]>) -> Result<bool> {
    int_where(value, |v| v == 0 || v == 1).map(|v| v != 0)
}

/// libzmq's "int as bool, relaxed": any int, non-zero is true.
fn relaxed_bool(value: Option<&[u8]>) -> Result<bool> {
    int_where(value, |_| true).map(|v| v != 0)
}

/// Exactly N bytes (64-bit options).
fn exact<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| Error::INVAL)
}

/// libzmq's "string, allow empty, strict": (NULL, 0) gives the empty string, a non-NULL
/// value needs 1..=max bytes (so an empty non-NULL value is EINVAL).
fn string_strict(value: Option<&[u8]>, max: usize) -> Result<Vec<u8>> {
    match value {
        None => Ok(Vec::new()),
        Some(b) if !b.is_empty() && b.len() <= max => Ok(b.to_vec()),
        Some(_) => Err(Error::INVAL),
    }
}

/// IPC peer filters: (NULL, 0) clears the set, a 4-byte id is added to it.
fn set_filter<T: Ord>(set: &mut BTreeSet<T>, value: Option<&[u8]>, from: fn([u8; 4]) -> T) -> Result<()> {
    match value {
        None => set.clear(),
        Some(b) => {
            set.insert(from(exact(b)?));
        }
    }
    Ok(())
}

fn gss_name_type(value: Option<&[u8]>) -> Result<i32> {
    int_where(value, |v| matches!(v, GSSAPI_NT_HOSTBASED | GSSAPI_NT_USER_NAME | GSSAPI_NT_KRB5_PRINCIPAL))
}

/// A CURVE key: 32 binary bytes, 40 Z85 characters, or 41 bytes of Z85 text (read up to
/// its first NUL, so shorter text that is a multiple of 5 decodes into the start of the
/// key). Success selects the CURVE mechanism. As in libzmq, the key is decoded in place,
/// so invalid text can leave it partly overwritten.
fn set_curve_key(key: &mut [u8; 32], bytes: &[u8], mechanism: &mut i32) -> Result<()> {
    let ok = match bytes.len() {
        32 => {
            key.copy_from_slice(bytes);
            true
        }
        40 | 41 => z85::decode_into(key, bytes).is_some(),
        _ => false,
    };
    if !ok {
        return Err(Error::INVAL);
    }
    *mechanism = MECHANISM_CURVE;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// getsockopt helpers.

fn get_exact(out: &mut [u8], value: &[u8]) -> Result<usize> {
    if out.len() != value.len() {
        return Err(Error::INVAL);
    }
    out.copy_from_slice(value);
    Ok(value.len())
}

/// Binary value: room for it needed; the rest of the buffer is zeroed.
fn get_bytes(out: &mut [u8], value: &[u8]) -> Result<usize> {
    if out.len() < value.len() {
        return Err(Error::INVAL);
    }
    out[..value.len()].copy_from_slice(value);
    out[value.len()..].fill(0);
    Ok(value.len())
}

/// String value: like binary, plus the NUL terminator.
fn get_string(out: &mut [u8], value: &[u8]) -> Result<usize> {
    if out.len() < value.len() + 1 {
        return Err(Error::INVAL);
    }
    get_bytes(out, value)?;
    Ok(value.len() + 1)
}

fn get_curve_key(out: &mut [u8], key: &[u8; 32]) -> Result<usize> {
    match out.len() {
        32 => out.copy_from_slice(key),
        41 => {
            let text = z85::encode(key).expect("32 is a multiple of 4");
            out[..40].copy_from_slice(text.as_bytes());
            out[40] = 0;
        }
        _ => return Err(Error::INVAL),
    }
    Ok(out.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> Vec<u8> {
        v.to_ne_bytes().to_vec()
    }

    fn set(o: &mut Options, opt: i32, v: &[u8]) -> Result<Applied> {
        o.set(opt, Some(v))
    }

    fn get_i32(o: &Options, opt: i32) -> Result<i32> {
        let mut b = [0u8; 4];
        o.get(opt, &mut b)?;
        Ok(i32::from_ne_bytes(b))
    }

    fn get_vec(o: &Options, opt: i32, cap: usize) -> Result<Vec<u8>> {
        let mut b = vec![0xAA; cap];
        let n = o.get(opt, &mut b)?;
        b.truncate(n);
        Ok(b)
    }

    /// (option, default, a valid new value, an invalid value) for every plain int option.
    const INTS: &[(i32, i32, i32, Option<i32>)] = &[
        (SNDHWM, 1000, 0, Some(-1)),
        (RCVHWM, 1000, 5, Some(-1)),
        (RATE, 100, 1, Some(0)),
        (RECOVERY_IVL, 10000, 0, Some(-1)),
        (SNDBUF, -1, 16384, Some(-2)),
        (RCVBUF, -1, 16384, Some(-2)),
        (TOS, 0, 0x28, Some(-1)),
        (LINGER, -1, 0, Some(-2)),
        (CONNECT_TIMEOUT, 0, 10, Some(-1)),
        (TCP_MAXRT, 0, 10, Some(-1)),
        (RECONNECT_STOP, 0, -5, None),
        (RECONNECT_IVL, 100, -1, Some(-2)),
        (RECONNECT_IVL_MAX, 0, 500, Some(-1)),
        (BACKLOG, 100, 0, Some(-1)),
        (MULTICAST_HOPS, 1, 2, Some(0)),
        (MULTICAST_MAXTPDU, 1500, 9000, Some(0)),
        (RCVTIMEO, -1, 0, Some(-2)),
        (SNDTIMEO, -1, 250, Some(-2)),
        (IPV6, 0, 1, Some(2)),
        (TCP_KEEPALIVE, -1, 1, Some(2)),
        (TCP_KEEPALIVE_CNT, -1, 3, Some(-2)),
        (TCP_KEEPALIVE_IDLE, -1, 3, Some(-2)),
        (TCP_KEEPALIVE_INTVL, -1, 3, Some(-2)),
        (IMMEDIATE, 0, 1, Some(2)),
        (CONFLATE, 0, 1, Some(-1)),
        (HANDSHAKE_IVL, 30000, 0, Some(-1)),
        (INVERT_MATCHING, 0, 1, None),
        (HEARTBEAT_IVL, 0, 100, Some(-1)),
        (HEARTBEAT_TTL, 0, 1200, Some(-100)),
        (HEARTBEAT_TIMEOUT, -1, 0, Some(-1)),
        (USE_FD, -1, 3, Some(-2)),
        (GSSAPI_PLAINTEXT, 0, 1, Some(2)),
        (GSSAPI_PRINCIPAL_NAMETYPE, 0, 2, Some(3)),
        (GSSAPI_SERVICE_PRINCIPAL_NAMETYPE, 0, 1, Some(-1)),
        (ZAP_ENFORCE_DOMAIN, 0, 1, None),
        (LOOPBACK_FASTPATH, 0, 1, None),
        (MULTICAST_LOOP, 1, 0, None),
    ];

    #[test]
    fn int_options_default_size_and_round_trip() {
        for &(opt, default, new, bad) in INTS {
            let mut o = Options::new(st::DEALER);
            assert_eq!(get_i32(&o, opt), Ok(default), "default of {opt}");
            // Ints need exactly 4 bytes, both ways.
            for len in [0, 1, 3, 5, 8] {
                assert_eq!(set(&mut o, opt, &vec![0; len]), Err(Error::INVAL), "set {opt} len {len}");
                assert_eq!(o.get(opt, &mut vec![0; len]), Err(Error::INVAL), "get {opt} len {len}");
            }
            assert_eq!(o.set(opt, None), Err(Error::INVAL));
            assert_eq!(set(&mut o, opt, &int(new)), Ok(Applied::Stored), "set {opt}");
            assert_eq!(get_i32(&o, opt), Ok(new), "round trip {opt}");
            if let Some(bad) = bad {
                assert_eq!(set(&mut o, opt, &int(bad)), Err(Error::INVAL), "bad value for {opt}");
                assert_eq!(get_i32(&o, opt), Ok(new), "failed set leaves {opt} alone");
            }
        }
    }

    #[test]
    fn read_only_and_derived_ints() {
        for t in 0..=20 {
            let o = Options::new(t);
            assert_eq!(get_i32(&o, TYPE), Ok(t));
            assert_eq!(get_i32(&o, THREAD_SAFE), Ok(st::is_thread_safe(t) as i32));
            let expected_linger = if matches!(t, st::SUB | st::XSUB | st::DISH) { 0 } else { -1 };
            assert_eq!(get_i32(&o, LINGER), Ok(expected_linger), "type {t}");
        }
        let mut o = Options::new(st::PAIR);
        for ro in [TYPE, MECHANISM, THREAD_SAFE, LAST_ENDPOINT, RCVMORE, FD, EVENTS] {
            assert_eq!(set(&mut o, ro, &int(1)), Err(Error::INVAL), "{ro} is read-only");
        }
        // THREAD_SAFE takes any buffer of at least 4 bytes, zeroes the rest.
        let mut b = [0xAA; 8];
        assert_eq!(o.get(THREAD_SAFE, &mut b), Ok(4));
        assert_eq!(b, [0; 8]);
        assert_eq!(o.get(THREAD_SAFE, &mut b[..3]), Err(Error::INVAL));
        assert_eq!(get_i32(&o, IPV4ONLY), Ok(1));
        set(&mut o, IPV4ONLY, &int(0)).unwrap();
        assert_eq!(get_i32(&o, IPV6), Ok(1));
        assert_eq!(get_i32(&o, IPV4ONLY), Ok(0));
    }

    #[test]
    fn ctx_options_shape_new_sockets() {
        let mut ctx = CtxOptions::new();
        ctx.set_int(crate::ctx_options::IPV6, 1).unwrap();
        ctx.set_int(crate::ctx_options::BLOCKY, 0).unwrap();
        let o = Options::with_ctx(st::PUSH, &ctx);
        assert!(o.ipv6);
        assert_eq!(o.linger, 0);
    }

    #[test]
    fn sixty_four_bit_options() {
        let mut o = Options::new(st::PAIR);
        let mut b = [0u8; 8];
        assert_eq!(o.get(MAXMSGSIZE, &mut b), Ok(8));
        assert_eq!(i64::from_ne_bytes(b), -1);
        assert_eq!(o.get(AFFINITY, &mut b), Ok(8));
        assert_eq!(u64::from_ne_bytes(b), 0);
        assert_eq!(o.get(AFFINITY, &mut [0; 4]), Err(Error::INVAL));
        assert_eq!(o.get(MAXMSGSIZE, &mut [0; 16]), Err(Error::INVAL));
        assert_eq!(set(&mut o, MAXMSGSIZE, &int(5)), Err(Error::INVAL));
        assert_eq!(set(&mut o, MAXMSGSIZE, &(-7i64).to_ne_bytes()), Ok(Applied::Stored)); // no range check
        assert_eq!(set(&mut o, AFFINITY, &3u64.to_ne_bytes()), Ok(Applied::Stored));
        o.get(AFFINITY, &mut b).unwrap();
        assert_eq!(u64::from_ne_bytes(b), 3);
        o.get(MAXMSGSIZE, &mut b).unwrap();
        assert_eq!(i64::from_ne_bytes(b), -7);
    }

    #[test]
    fn heartbeat_ttl_is_kept_in_deciseconds() {
        let mut o = Options::new(st::PAIR);
        set(&mut o, HEARTBEAT_TTL, &int(1299)).unwrap();
        assert_eq!(get_i32(&o, HEARTBEAT_TTL), Ok(1200));
        set(&mut o, HEARTBEAT_TTL, &int(-99)).unwrap(); // -99 / 100 == 0 in C
        assert_eq!(get_i32(&o, HEARTBEAT_TTL), Ok(0));
        set(&mut o, HEARTBEAT_TTL, &int(6_553_599)).unwrap();
        assert_eq!(get_i32(&o, HEARTBEAT_TTL), Ok(6_553_500));
        assert_eq!(set(&mut o, HEARTBEAT_TTL, &int(6_553_600)), Err(Error::INVAL));
    }

    #[test]
    fn routing_id() {
        let mut o = Options::new(st::DEALER);
        assert_eq!(get_vec(&o, ROUTING_ID, 0), Ok(vec![]));
        assert_eq!(set(&mut o, ROUTING_ID, b""), Err(Error::INVAL));
        assert_eq!(o.set(ROUTING_ID, None), Err(Error::INVAL));
        assert_eq!(set(&mut o, ROUTING_ID, &[0u8; 256]), Err(Error::INVAL));
        assert_eq!(set(&mut o, ROUTING_ID, &[0u8; 255]), Ok(Applied::Stored)); // leading zero is fine here
        assert_eq!(set(&mut o, ROUTING_ID, b"\0abc"), Ok(Applied::Stored));
        assert_eq!(get_vec(&o, ROUTING_ID, 3), Err(Error::INVAL));
        let mut b = [0xAA; 6];
        assert_eq!(o.get(ROUTING_ID, &mut b), Ok(4));
        assert_eq!(&b, b"\0abc\0\0"); // binary, rest zeroed
    }

    #[test]
    fn string_options() {
        // (option, max length, whether (NULL, 0) is accepted, whether an empty non-NULL is)
        let cases = [
            (SOCKS_PROXY, 100_000, true, false),
            (SOCKS_USERNAME, 255, true, true),
            (SOCKS_PASSWORD, 255, true, true),
            (PLAIN_USERNAME, 255, true, false),
            (PLAIN_PASSWORD, 255, true, false),
            (ZAP_DOMAIN, 255, false, false),
            (BINDTODEVICE, 16, true, false),
            (GSSAPI_PRINCIPAL, 255, false, false),
            (GSSAPI_SERVICE_PRINCIPAL, 255, false, false),
        ];
        for (opt, max, null_ok, empty_ok) in cases {
            let mut o = Options::new(st::DEALER);
            assert_eq!(get_vec(&o, opt, 10), Ok(vec![0]), "default of {opt}");
            assert_eq!(o.get(opt, &mut []), Err(Error::INVAL), "{opt} needs room for the NUL");
            assert_eq!(o.set(opt, None).is_ok(), null_ok, "{opt} (NULL, 0)");
            assert_eq!(set(&mut o, opt, b"").is_ok(), empty_ok, "{opt} empty");
            assert_eq!(set(&mut o, opt, &vec![b'a'; max]), Ok(Applied::Stored), "{opt} max");
            if max < 100_000 {
                assert_eq!(set(&mut o, opt, &vec![b'a'; max + 1]), Err(Error::INVAL), "{opt} max + 1");
            }
            assert_eq!(set(&mut o, opt, b"abcd"), Ok(Applied::Stored));
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
            let mut b = [0xAA; 8];
            assert_eq!(o.get(opt, &mut b), Ok(5));
            assert_eq!(&b, b"abcd\0\0\0\0");
        }
        let mut o = Options::new(st::DEALER);
        o.last_endpoint = "tcp://127.0.0.1:5555".into();
        assert_eq!(get_vec(&o, LAST_ENDPOINT, 64), Ok(b"tcp://127.0.0.1:5555\0".to_vec()));
    }

    #[test]
    fn mechanism_follows_security_options() {
        let mut o = Options::new(st::DEALER);
        assert_eq!(get_i32(&o, MECHANISM), Ok(MECHANISM_NULL));
        set(&mut o, PLAIN_SERVER, &int(1)).unwrap();
        assert_eq!((get_i32(&o, MECHANISM), get_i32(&o, PLAIN_SERVER)), (Ok(1), Ok(1)));
        set(&mut o, PLAIN_USERNAME, b"admin").unwrap(); // a client now
        assert_eq!((get_i32(&o, MECHANISM), get_i32(&o, PLAIN_SERVER)), (Ok(1), Ok(0)));
        o.set(PLAIN_PASSWORD, None).unwrap(); // back to NULL, username kept
        assert_eq!(get_i32(&o, MECHANISM), Ok(MECHANISM_NULL));
        assert_eq!(get_vec(&o, PLAIN_USERNAME, 10), Ok(b"admin\0".to_vec()));
        set(&mut o, CURVE_SERVER, &int(1)).unwrap();
        assert_eq!((get_i32(&o, MECHANISM), get_i32(&o, CURVE_SERVER)), (Ok(2), Ok(1)));
        set(&mut o, CURVE_SERVER, &int(0)).unwrap();
        assert_eq!(get_i32(&o, MECHANISM), Ok(MECHANISM_NULL));
        set(&mut o, GSSAPI_SERVER, &int(0)).unwrap();
        assert_eq!((get_i32(&o, MECHANISM), get_i32(&o, GSSAPI_SERVER)), (Ok(3), Ok(0)));
        assert_eq!(set(&mut o, PLAIN_SERVER, &int(2)), Err(Error::INVAL));
    }

    #[test]
    fn curve_keys() {
        let key: Vec<u8> = (1..=32).collect();
        let text = z85::encode(&key).unwrap();
        for opt in [CURVE_PUBLICKEY, CURVE_SECRETKEY, CURVE_SERVERKEY] {
            let mut o = Options::new(st::DEALER);
            assert_eq!(get_vec(&o, opt, 32), Ok(vec![0; 32]));
            assert_eq!(get_vec(&o, opt, 41), Ok([b"0".repeat(40), vec![0]].concat()));
            for bad_len in [0, 31, 33, 40, 42, 64] {
                assert_eq!(o.get(opt, &mut vec![0; bad_len]), Err(Error::INVAL), "get len {bad_len}");
            }
            assert_eq!(set(&mut o, opt, &key), Ok(Applied::Stored));
            assert_eq!(get_i32(&o, MECHANISM), Ok(MECHANISM_CURVE));
            assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
            assert_eq!(get_vec(&o, opt, 41), Ok([text.as_bytes(), b"\0"].concat()));
            let mut o = Options::new(st::DEALER);
            assert_eq!(set(&mut o, opt, text.as_bytes()), Ok(Applied::Stored)); // 40 chars
            assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
            let mut o = Options::new(st::DEALER);
            assert_eq!(set(&mut o, opt, &[text.as_bytes(), b"\0"].concat()), Ok(Applied::Stored)); // 41
            assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
            assert_eq!(set(&mut o, opt, &[text.as_bytes(), b"x"].concat()), Err(Error::INVAL)); // 41, no NUL
            assert_eq!(set(&mut o, opt, &"\"".repeat(40).into_bytes()), Err(Error::INVAL));
            assert_eq!(set(&mut o, opt, &key[..31]), Err(Error::INVAL));
            assert_eq!(o.set(opt, None), Err(Error::INVAL));
        }
        // A server key makes a client.
        let mut o = Options::new(st::DEALER);
        set(&mut o, CURVE_SERVER, &int(1)).unwrap();
        set(&mut o, CURVE_SERVERKEY, &key).unwrap();
        assert_eq!(get_i32(&o, CURVE_SERVER), Ok(0));
        // 41 bytes whose text ends early: decoded in place into the start of the key.
        let mut o = Options::new(st::DEALER);
        set(&mut o, CURVE_PUBLICKEY, &key).unwrap();
        let short = [&text.as_bytes()[..5], &[0u8; 36]].concat();
        assert_eq!(set(&mut o, CURVE_PUBLICKEY, &short), Ok(Applied::Stored));
        assert_eq!(get_vec(&o, CURVE_PUBLICKEY, 32), Ok(key.clone()));
    }

    #[test]
    fn accept_and_ipc_filters() {
        let mut o = Options::new(st::ROUTER);
        assert_eq!(set(&mut o, TCP_ACCEPT_FILTER, b"127.0.0.1"), Ok(Applied::Stored));
        assert_eq!(set(&mut o, TCP_ACCEPT_FILTER, b"10.0.0.0/8"), Ok(Applied::Stored));
        assert_eq!(set(&mut o, TCP_ACCEPT_FILTER, b"::1"), Err(Error::INVAL)); // needs ZMQ_IPV6
        assert_eq!(set(&mut o, TCP_ACCEPT_FILTER, b""), Err(Error::INVAL));
        assert_eq!(o.tcp_accept_filters.len(), 2);
        set(&mut o, IPV6, &int(1)).unwrap();
        assert_eq!(set(&mut o, TCP_ACCEPT_FILTER, b"::1"), Ok(Applied::Stored));
        assert_eq!(o.get(TCP_ACCEPT_FILTER, &mut [0; 64]), Err(Error::INVAL)); // write-only
        assert_eq!(o.set(TCP_ACCEPT_FILTER, None), Ok(Applied::Stored));
        assert!(o.tcp_accept_filters.is_empty());

        for opt in [IPC_FILTER_UID, IPC_FILTER_GID, IPC_FILTER_PID] {
            assert_eq!(set(&mut o, opt, &int(1000)), Ok(Applied::Stored));
            assert_eq!(set(&mut o, opt, &[0; 8]), Err(Error::INVAL));
            assert_eq!(set(&mut o, opt, b""), Err(Error::INVAL));
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
        }
        assert!(o.ipc_uid_accept_filters.contains(&1000));
        o.set(IPC_FILTER_UID, None).unwrap();
        assert!(o.ipc_uid_accept_filters.is_empty());
    }

    #[test]
    fn metadata() {
        let mut o = Options::new(st::DEALER);
        assert_eq!(set(&mut o, METADATA, b"X-key:value"), Ok(Applied::Stored));
        assert_eq!(set(&mut o, METADATA, b"X-key:other"), Ok(Applied::Stored));
        assert_eq!(o.metadata.get(&b"X-key"[..]), Some(&b"value".to_vec())); // first one kept
        for bad in [&b"key:value"[..], b"X-key", b"X-key:", b":X-key", b"X-:v", b"", b"x-a:b"] {
            assert_eq!(set(&mut o, METADATA, bad), Err(Error::INVAL), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(set(&mut o, METADATA, b"X-a:b"), Ok(Applied::Stored));
        assert_eq!(o.get(METADATA, &mut [0; 64]), Err(Error::INVAL));
    }

    #[test]
    fn pattern_options_by_socket_type() {
        let one = int(1);
        // Which types take each pattern option (everyone else: EINVAL).
        let table: &[(i32, &[i32])] = &[
            (ROUTER_MANDATORY, &[st::ROUTER, st::REP]),
            (ROUTER_RAW, &[st::ROUTER, st::REP]),
            (ROUTER_HANDOVER, &[st::ROUTER, st::REP]),
            (PROBE_ROUTER, &[st::ROUTER, st::REP, st::DEALER, st::REQ]),
            (REQ_CORRELATE, &[st::REQ]),
            (REQ_RELAXED, &[st::REQ]),
            (XPUB_VERBOSE, &[st::XPUB, st::PUB]),
            (XPUB_VERBOSER, &[st::XPUB, st::PUB]),
            (XPUB_MANUAL, &[st::XPUB, st::PUB]),
            (XPUB_MANUAL_LAST_VALUE, &[st::XPUB, st::PUB]),
            (XPUB_NODROP, &[st::XPUB, st::PUB, st::RADIO]),
            (XPUB_WELCOME_MSG, &[st::XPUB, st::PUB]),
            (ONLY_FIRST_SUBSCRIBE, &[st::XPUB, st::PUB, st::XSUB]),
            (STREAM_NOTIFY, &[st::STREAM]),
            (CONNECT_ROUTING_ID, &[st::ROUTER, st::REP, st::STREAM]),
            (SUBSCRIBE, &[st::SUB]),
            (UNSUBSCRIBE, &[st::SUB]),
            (ROUTER_NOTIFY, &[]), // draft only
        ];
        for &(opt, types) in table {
            for t in 0..=20 {
                let mut o = Options::new(t);
                let r = set(&mut o, opt, &one);
                assert_eq!(r.is_ok(), types.contains(&t), "option {opt} on type {t}: {r:?}");
                // Never readable.
                assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
            }
        }
    }

    #[test]
    fn pattern_option_values() {
        let mut o = Options::new(st::ROUTER);
        assert_eq!(set(&mut o, ROUTER_MANDATORY, &int(-1)), Err(Error::INVAL));
        assert_eq!(set(&mut o, ROUTER_MANDATORY, &int(7)), Ok(Applied::Stored));
        assert!(o.router_mandatory);
        assert!(o.recv_routing_id && !o.raw_socket);
        set(&mut o, ROUTER_RAW, &int(1)).unwrap();
        assert!(!o.recv_routing_id && o.raw_socket);
        set(&mut o, ROUTER_RAW, &int(0)).unwrap();
        assert!(!o.router_raw && o.raw_socket); // not undone, as libzmq
        assert_eq!(set(&mut o, CONNECT_ROUTING_ID, b""), Err(Error::INVAL));
        assert_eq!(o.set(CONNECT_ROUTING_ID, None), Err(Error::INVAL));
        assert_eq!(set(&mut o, CONNECT_ROUTING_ID, b"peer"), Ok(Applied::Stored));
        assert_eq!(std::mem::take(&mut o.connect_routing_id), b"peer");

        let mut o = Options::new(st::STREAM);
        assert_eq!(set(&mut o, STREAM_NOTIFY, &int(2)), Err(Error::INVAL)); // strict bool
        assert_eq!(set(&mut o, STREAM_NOTIFY, &int(0)), Ok(Applied::Stored));
        assert!(!o.raw_notify);

        let mut o = Options::new(st::REQ);
        set(&mut o, REQ_RELAXED, &int(1)).unwrap();
        set(&mut o, REQ_CORRELATE, &int(1)).unwrap();
        assert!(o.req_relaxed && o.req_correlate);

        let mut o = Options::new(st::XPUB);
        set(&mut o, XPUB_VERBOSER, &int(1)).unwrap();
        assert!(o.xpub_verbose_subs && o.xpub_verbose_unsubs);
        set(&mut o, XPUB_VERBOSE, &int(1)).unwrap();
        assert!(o.xpub_verbose_subs && !o.xpub_verbose_unsubs);
        set(&mut o, XPUB_NODROP, &int(1)).unwrap();
        assert!(o.xpub_nodrop);
        assert_eq!(o.set(XPUB_WELCOME_MSG, None), Ok(Applied::Stored));
        assert_eq!(set(&mut o, XPUB_WELCOME_MSG, b"hi"), Ok(Applied::Stored));
        assert_eq!(o.xpub_welcome_msg, b"hi");
        // Subscriptions reach XPUB only in manual mode.
        assert_eq!(set(&mut o, SUBSCRIBE, b"a"), Err(Error::INVAL));
        set(&mut o, XPUB_MANUAL_LAST_VALUE, &int(1)).unwrap();
        assert!(o.xpub_manual && o.xpub_send_last_pipe);
        assert_eq!(set(&mut o, SUBSCRIBE, b"a"), Ok(Applied::Subscribe));
        assert_eq!(o.set(UNSUBSCRIBE, None), Ok(Applied::Unsubscribe));

        let mut o = Options::new(st::SUB);
        assert_eq!(o.set(SUBSCRIBE, None), Ok(Applied::Subscribe)); // subscribe to all
        assert_eq!(set(&mut o, UNSUBSCRIBE, &[0; 300]), Ok(Applied::Unsubscribe));
        assert_eq!(set(&mut o, ONLY_FIRST_SUBSCRIBE, &int(1)), Err(Error::INVAL));
        assert_eq!(set(&mut Options::new(st::XSUB), SUBSCRIBE, b"a"), Err(Error::INVAL));
    }

    #[test]
    fn unknown_and_unbuilt_options_are_einval() {
        let mut o = Options::new(st::DEALER);
        for opt in [-1, 0, 1, 2, 3, 10, 20, 26, 29, 30, 67, 82, 83, BLOCKY, 113, 1000] {
            assert_eq!(set(&mut o, opt, &int(1)), Err(Error::INVAL), "{opt}");
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL), "{opt}");
        }
        // Draft-only and VMCI/WSS options in this build flavour.
        for opt in [IN_BATCH_SIZE, OUT_BATCH_SIZE, HELLO_MSG, DISCONNECT_MSG, PRIORITY, VMCI_BUFFER_SIZE, VMCI_CONNECT_TIMEOUT, WSS_HOSTNAME] {
            assert_eq!(set(&mut o, opt, &int(1)), Err(Error::INVAL), "{opt}");
            assert_eq!(set(&mut o, opt, &1u64.to_ne_bytes()), Err(Error::INVAL), "{opt}");
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL), "{opt}");
        }
        // Socket-level options are not answered here.
        for opt in SOCKET_LEVEL {
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
        }
    }

    #[test]
    fn write_int_for_socket_level_options() {
        let mut b = [0xFF; 8];
        assert_eq!(write_int(&mut b, 1), Ok(4));
        assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(write_int(&mut b[..3], 1), Err(Error::INVAL));
    }
}
