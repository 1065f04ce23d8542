//! zmq_setsockopt: the socket type's own options, then the generic table, with libzmq's
//! value rules (sizes, ranges, strings, CURVE keys in binary or Z85).

use super::*;
use crate::error::{Error, Result};
use crate::z85;

impl Options {
    /// Options specific to socket types (libzmq's xsetsockopt overrides).
    pub(super) fn set_pattern(&mut self, option: i32, value: Option<&[u8]>) -> Result<Applied> {
        let bytes = value.unwrap_or(&[]);
        // Most pattern flags are "an int >= 0, non-zero means on".
        let flag = || int_where(value, |v| v >= 0).map(|v| v != 0);
        match (self.socket_type, option) {
            (ZMQ_SUB, ZMQ_SUBSCRIBE) => return Ok(Applied::Subscribe),
            (ZMQ_SUB, ZMQ_UNSUBSCRIBE) => return Ok(Applied::Unsubscribe),

            (ZMQ_XPUB | ZMQ_PUB, ZMQ_XPUB_VERBOSE) => {
                self.xpub_verbose_subs = flag()?;
                self.xpub_verbose_unsubs = false;
            }
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_XPUB_VERBOSER) => {
                self.xpub_verbose_subs = flag()?;
                self.xpub_verbose_unsubs = self.xpub_verbose_subs;
            }
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_XPUB_MANUAL_LAST_VALUE) => {
                self.xpub_manual = flag()?;
                self.xpub_send_last_pipe = self.xpub_manual;
            }
            (ZMQ_XPUB | ZMQ_PUB | ZMQ_RADIO, ZMQ_XPUB_NODROP) => self.xpub_nodrop = flag()?,
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_XPUB_MANUAL) => self.xpub_manual = flag()?,
            (ZMQ_XPUB | ZMQ_PUB | ZMQ_XSUB, ZMQ_ONLY_FIRST_SUBSCRIBE) => self.only_first_subscribe = flag()?,
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_SUBSCRIBE) if self.xpub_manual => return Ok(Applied::Subscribe),
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_UNSUBSCRIBE) if self.xpub_manual => return Ok(Applied::Unsubscribe),
            (ZMQ_XPUB | ZMQ_PUB, ZMQ_XPUB_WELCOME_MSG) => self.xpub_welcome_msg = bytes.to_vec(),

            (ZMQ_REQ, ZMQ_REQ_CORRELATE) => self.req_correlate = flag()?,
            (ZMQ_REQ, ZMQ_REQ_RELAXED) => self.req_relaxed = flag()?,
            (ZMQ_REQ | ZMQ_DEALER | ZMQ_ROUTER | ZMQ_REP, ZMQ_PROBE_ROUTER) => self.probe_router = flag()?,

            (ZMQ_ROUTER | ZMQ_REP, ZMQ_ROUTER_RAW) => {
                self.router_raw = flag()?;
                if self.router_raw {
                    self.recv_routing_id = false;
                    self.raw_socket = true;
                }
            }
            (ZMQ_ROUTER | ZMQ_REP, ZMQ_ROUTER_MANDATORY) => self.router_mandatory = flag()?,
            (ZMQ_ROUTER | ZMQ_REP, ZMQ_ROUTER_HANDOVER) => self.router_handover = flag()?,
            (ZMQ_ROUTER | ZMQ_REP, ZMQ_ROUTER_NOTIFY) if DRAFT_API => {
                self.router_notify = int_where(value, |v| (0..=ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT).contains(&v))?;
            }
            (ZMQ_STREAM, ZMQ_STREAM_NOTIFY) => self.raw_notify = strict_bool(value)?,
            (ZMQ_ROUTER | ZMQ_REP | ZMQ_STREAM, ZMQ_CONNECT_ROUTING_ID) if !bytes.is_empty() => {
                self.connect_routing_id = bytes.to_vec();
            }
            _ => return Err(Error::INVAL),
        }
        Ok(Applied::Stored)
    }

    /// The generic table (libzmq's options_t::setsockopt).
    pub(super) fn set_generic(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        let bytes = value.unwrap_or(&[]);
        let non_negative = || int_where(value, |v| v >= 0);
        let positive = || int_where(value, |v| v > 0);
        let minus_one_or_more = || int_where(value, |v| v >= -1);
        match option {
            ZMQ_SNDHWM => self.sndhwm = non_negative()?,
            ZMQ_RCVHWM => self.rcvhwm = non_negative()?,
            ZMQ_AFFINITY => self.affinity = u64::from_ne_bytes(exact(bytes)?),
            ZMQ_ROUTING_ID if !bytes.is_empty() && bytes.len() <= 255 => self.routing_id = bytes.to_vec(),
            ZMQ_RATE => self.rate = positive()?,
            ZMQ_RECOVERY_IVL => self.recovery_ivl = non_negative()?,
            ZMQ_SNDBUF => self.sndbuf = minus_one_or_more()?,
            ZMQ_RCVBUF => self.rcvbuf = minus_one_or_more()?,
            ZMQ_TOS => self.tos = non_negative()?,
            ZMQ_LINGER => self.linger = minus_one_or_more()?,
            ZMQ_CONNECT_TIMEOUT => self.connect_timeout = non_negative()?,
            ZMQ_TCP_MAXRT => self.tcp_maxrt = non_negative()?,
            ZMQ_RECONNECT_STOP => self.reconnect_stop = int_where(value, |_| true)?,
            ZMQ_RECONNECT_IVL => self.reconnect_ivl = minus_one_or_more()?,
            ZMQ_RECONNECT_IVL_MAX => self.reconnect_ivl_max = non_negative()?,
            ZMQ_BACKLOG => self.backlog = non_negative()?,
            ZMQ_MAXMSGSIZE => self.maxmsgsize = i64::from_ne_bytes(exact(bytes)?),
            ZMQ_MULTICAST_HOPS => self.multicast_hops = positive()?,
            ZMQ_MULTICAST_MAXTPDU => self.multicast_maxtpdu = positive()?,
            ZMQ_RCVTIMEO => self.rcvtimeo = minus_one_or_more()?,
            ZMQ_SNDTIMEO => self.sndtimeo = minus_one_or_more()?,
            ZMQ_IPV4ONLY => self.ipv6 = !strict_bool(value)?,
            ZMQ_IPV6 => self.ipv6 = strict_bool(value)?,
            ZMQ_SOCKS_PROXY => self.socks_proxy = string_strict(value, usize::MAX)?,
            // Here an empty value of either kind clears.
            ZMQ_SOCKS_USERNAME => self.socks_username = if bytes.is_empty() { Vec::new() } else { string_strict(value, 255)? },
            ZMQ_SOCKS_PASSWORD => self.socks_password = if bytes.is_empty() { Vec::new() } else { string_strict(value, 255)? },
            ZMQ_TCP_KEEPALIVE => self.tcp_keepalive = int_where(value, |v| (-1..=1).contains(&v))?,
            ZMQ_TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt = minus_one_or_more()?,
            ZMQ_TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle = minus_one_or_more()?,
            ZMQ_TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl = minus_one_or_more()?,
            ZMQ_IMMEDIATE => self.immediate = strict_bool(value)?,
            ZMQ_TCP_ACCEPT_FILTER => {
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
            ZMQ_IPC_FILTER_UID => set_filter(&mut self.ipc_uid_accept_filters, value, u32::from_ne_bytes)?,
            ZMQ_IPC_FILTER_GID => set_filter(&mut self.ipc_gid_accept_filters, value, u32::from_ne_bytes)?,
            ZMQ_IPC_FILTER_PID => set_filter(&mut self.ipc_pid_accept_filters, value, i32::from_ne_bytes)?,
            ZMQ_PLAIN_SERVER => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { ZMQ_PLAIN } else { ZMQ_NULL };
            }
            ZMQ_PLAIN_USERNAME | ZMQ_PLAIN_PASSWORD => {
                // (NULL, 0) switches back to NULL security without clearing the text.
                if value.is_none() {
                    self.mechanism = ZMQ_NULL;
                } else {
                    let text = string_strict(value, 255)?;
                    if option == ZMQ_PLAIN_USERNAME {
                        self.plain_username = text;
                    } else {
                        self.plain_password = text;
                    }
                    self.as_server = false;
                    self.mechanism = ZMQ_PLAIN;
                }
            }
            ZMQ_ZAP_DOMAIN if !bytes.is_empty() && bytes.len() <= 255 => self.zap_domain = bytes.to_vec(),
            ZMQ_CURVE_SERVER if HAVE_CURVE => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { ZMQ_CURVE } else { ZMQ_NULL };
            }
            ZMQ_CURVE_PUBLICKEY if HAVE_CURVE => set_curve_key(&mut self.curve_public_key, bytes, &mut self.mechanism)?,
            ZMQ_CURVE_SECRETKEY if HAVE_CURVE => set_curve_key(&mut self.curve_secret_key, bytes, &mut self.mechanism)?,
            ZMQ_CURVE_SERVERKEY if HAVE_CURVE => {
                set_curve_key(&mut self.curve_server_key, bytes, &mut self.mechanism)?;
                self.as_server = false;
            }
            ZMQ_CONFLATE => self.conflate = strict_bool(value)?,
            ZMQ_GSSAPI_SERVER if HAVE_GSSAPI => {
                self.as_server = strict_bool(value)?;
                self.mechanism = ZMQ_GSSAPI; // even when set to 0, as libzmq
            }
            ZMQ_GSSAPI_PRINCIPAL | ZMQ_GSSAPI_SERVICE_PRINCIPAL if HAVE_GSSAPI && !bytes.is_empty() && bytes.len() <= 255 => {
                if option == ZMQ_GSSAPI_PRINCIPAL {
                    self.gss_principal = bytes.to_vec();
                } else {
                    self.gss_service_principal = bytes.to_vec();
                    self.as_server = false;
                }
                self.mechanism = ZMQ_GSSAPI;
            }
            ZMQ_GSSAPI_PLAINTEXT if HAVE_GSSAPI => self.gss_plaintext = strict_bool(value)?,
            ZMQ_GSSAPI_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => self.gss_principal_nt = gss_name_type(value)?,
            ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => self.gss_service_principal_nt = gss_name_type(value)?,
            ZMQ_HANDSHAKE_IVL => self.handshake_ivl = non_negative()?,
            ZMQ_INVERT_MATCHING => self.invert_matching = relaxed_bool(value)?,
            ZMQ_HEARTBEAT_IVL => self.heartbeat_ivl = non_negative()?,
            ZMQ_HEARTBEAT_TTL => {
                // Stored in deciseconds, truncating (C division): -99..=99 all mean 0.
                let ds = int_where(value, |v| (0..=u16::MAX as i32).contains(&(v / 100)))? / 100;
                self.heartbeat_ttl = ds as u16;
            }
            ZMQ_HEARTBEAT_TIMEOUT => self.heartbeat_timeout = non_negative()?,
            ZMQ_VMCI_BUFFER_SIZE if HAVE_VMCI => self.vmci_buffer_size = u64::from_ne_bytes(exact(bytes)?),
            ZMQ_VMCI_BUFFER_MIN_SIZE if HAVE_VMCI => self.vmci_buffer_min_size = u64::from_ne_bytes(exact(bytes)?),
            ZMQ_VMCI_BUFFER_MAX_SIZE if HAVE_VMCI => self.vmci_buffer_max_size = u64::from_ne_bytes(exact(bytes)?),
            ZMQ_VMCI_CONNECT_TIMEOUT if HAVE_VMCI => self.vmci_connect_timeout = int_where(value, |_| true)?,
            ZMQ_USE_FD => self.use_fd = minus_one_or_more()?,
            // IFNAMSIZ (16) including the NUL, but libzmq checks the length without it.
            ZMQ_BINDTODEVICE => self.bindtodevice = string_strict(value, 16)?,
            ZMQ_ZAP_ENFORCE_DOMAIN => self.zap_enforce_domain = relaxed_bool(value)?,
            ZMQ_LOOPBACK_FASTPATH => self.loopback_fastpath = relaxed_bool(value)?,
            ZMQ_METADATA => {
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
            ZMQ_MULTICAST_LOOP => self.multicast_loop = relaxed_bool(value)?,
            ZMQ_IN_BATCH_SIZE if DRAFT_API => self.in_batch_size = positive()?,
            ZMQ_OUT_BATCH_SIZE if DRAFT_API => self.out_batch_size = positive()?,
            ZMQ_WSS_KEY_PEM if HAVE_WSS => self.wss_key_pem = bytes.to_vec(),
            ZMQ_WSS_CERT_PEM if HAVE_WSS => self.wss_cert_pem = bytes.to_vec(),
            ZMQ_WSS_TRUST_PEM if HAVE_WSS => self.wss_trust_pem = bytes.to_vec(),
            ZMQ_WSS_HOSTNAME if HAVE_WSS => self.wss_hostname = bytes.to_vec(),
            ZMQ_WSS_TRUST_SYSTEM if HAVE_WSS => self.wss_trust_system = strict_bool(value)?,
            ZMQ_HELLO_MSG if DRAFT_API => self.hello_msg = bytes.to_vec(),
            ZMQ_DISCONNECT_MSG if DRAFT_API => self.disconnect_msg = bytes.to_vec(),
            ZMQ_PRIORITY if DRAFT_API => self.priority = non_negative()?,
            _ => return Err(Error::INVAL),
        }
        Ok(())
    }
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
    int_where(value, |v| matches!(v, ZMQ_GSSAPI_NT_HOSTBASED | ZMQ_GSSAPI_NT_USER_NAME | ZMQ_GSSAPI_NT_KRB5_PRINCIPAL))
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
    *mechanism = ZMQ_CURVE;
    Ok(())
}
