//! zmq_getsockopt: every option's value in the shape libzmq gives it, with libzmq's
//! buffer-size rules (see the module doc of `options`).

use super::*;
use crate::error::{Error, Result};
use crate::z85;

impl Options {
    /// zmq_getsockopt: writes the value into `out` (whose length is the caller's
    /// `*optvallen`) and returns the new `*optvallen`. EINVAL for unknown and
    /// write-only options and for buffers of the wrong size (see the module doc).
    /// RCVMORE, FD and EVENTS are the socket layer's (EINVAL here).
    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        use Value::*;
        let value = match option {
            ZMQ_SNDHWM => Int(self.sndhwm),
            ZMQ_RCVHWM => Int(self.rcvhwm),
            ZMQ_AFFINITY => Exact(self.affinity.to_ne_bytes()),
            ZMQ_ROUTING_ID => Bytes(&self.routing_id),
            ZMQ_RATE => Int(self.rate),
            ZMQ_RECOVERY_IVL => Int(self.recovery_ivl),
            ZMQ_SNDBUF => Int(self.sndbuf),
            ZMQ_RCVBUF => Int(self.rcvbuf),
            ZMQ_TOS => Int(self.tos),
            ZMQ_TYPE => Int(self.socket_type),
            ZMQ_LINGER => Int(self.linger),
            ZMQ_CONNECT_TIMEOUT => Int(self.connect_timeout),
            ZMQ_TCP_MAXRT => Int(self.tcp_maxrt),
            ZMQ_RECONNECT_STOP => Int(self.reconnect_stop),
            ZMQ_RECONNECT_IVL => Int(self.reconnect_ivl),
            ZMQ_RECONNECT_IVL_MAX => Int(self.reconnect_ivl_max),
            ZMQ_BACKLOG => Int(self.backlog),
            ZMQ_MAXMSGSIZE => Exact(self.maxmsgsize.to_ne_bytes()),
            ZMQ_MULTICAST_HOPS => Int(self.multicast_hops),
            ZMQ_MULTICAST_MAXTPDU => Int(self.multicast_maxtpdu),
            ZMQ_RCVTIMEO => Int(self.rcvtimeo),
            ZMQ_SNDTIMEO => Int(self.sndtimeo),
            ZMQ_IPV4ONLY => Int(!self.ipv6 as i32),
            ZMQ_IPV6 => Int(self.ipv6 as i32),
            ZMQ_IMMEDIATE => Int(self.immediate as i32),
            ZMQ_SOCKS_PROXY => Str(&self.socks_proxy),
            ZMQ_SOCKS_USERNAME => Str(&self.socks_username),
            ZMQ_SOCKS_PASSWORD => Str(&self.socks_password),
            ZMQ_TCP_KEEPALIVE => Int(self.tcp_keepalive),
            ZMQ_TCP_KEEPALIVE_CNT => Int(self.tcp_keepalive_cnt),
            ZMQ_TCP_KEEPALIVE_IDLE => Int(self.tcp_keepalive_idle),
            ZMQ_TCP_KEEPALIVE_INTVL => Int(self.tcp_keepalive_intvl),
            ZMQ_MECHANISM => Int(self.mechanism),
            ZMQ_PLAIN_SERVER => Int((self.as_server && self.mechanism == ZMQ_PLAIN) as i32),
            ZMQ_PLAIN_USERNAME => Str(&self.plain_username),
            ZMQ_PLAIN_PASSWORD => Str(&self.plain_password),
            ZMQ_ZAP_DOMAIN => Str(&self.zap_domain),
            ZMQ_CURVE_SERVER if HAVE_CURVE => Int((self.as_server && self.mechanism == ZMQ_CURVE) as i32),
            ZMQ_CURVE_PUBLICKEY if HAVE_CURVE => CurveKey(&self.curve_public_key),
            ZMQ_CURVE_SECRETKEY if HAVE_CURVE => CurveKey(&self.curve_secret_key),
            ZMQ_CURVE_SERVERKEY if HAVE_CURVE => CurveKey(&self.curve_server_key),
            ZMQ_CONFLATE => Int(self.conflate as i32),
            ZMQ_GSSAPI_SERVER if HAVE_GSSAPI => Int((self.as_server && self.mechanism == ZMQ_GSSAPI) as i32),
            ZMQ_GSSAPI_PRINCIPAL if HAVE_GSSAPI => Str(&self.gss_principal),
            ZMQ_GSSAPI_SERVICE_PRINCIPAL if HAVE_GSSAPI => Str(&self.gss_service_principal),
            ZMQ_GSSAPI_PLAINTEXT if HAVE_GSSAPI => Int(self.gss_plaintext as i32),
            ZMQ_GSSAPI_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => Int(self.gss_principal_nt),
            ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE if HAVE_GSSAPI => Int(self.gss_service_principal_nt),
            ZMQ_HANDSHAKE_IVL => Int(self.handshake_ivl),
            ZMQ_INVERT_MATCHING => Int(self.invert_matching as i32),
            ZMQ_HEARTBEAT_IVL => Int(self.heartbeat_ivl),
            ZMQ_HEARTBEAT_TTL => Int(self.heartbeat_ttl as i32 * 100),
            ZMQ_HEARTBEAT_TIMEOUT => Int(self.heartbeat_timeout),
            ZMQ_USE_FD => Int(self.use_fd),
            ZMQ_BINDTODEVICE => Str(&self.bindtodevice),
            ZMQ_ZAP_ENFORCE_DOMAIN => Int(self.zap_enforce_domain as i32),
            ZMQ_LOOPBACK_FASTPATH => Int(self.loopback_fastpath as i32),
            ZMQ_MULTICAST_LOOP => Int(self.multicast_loop as i32),
            ZMQ_ROUTER_NOTIFY if DRAFT_API => Int(self.router_notify),
            ZMQ_IN_BATCH_SIZE if DRAFT_API => Int(self.in_batch_size),
            ZMQ_OUT_BATCH_SIZE if DRAFT_API => Int(self.out_batch_size),
            ZMQ_PRIORITY if DRAFT_API => Int(self.priority),
            // Socket-level in libzmq, but plain values we can answer from here.
            ZMQ_LAST_ENDPOINT => Str(self.last_endpoint.as_bytes()),
            ZMQ_THREAD_SAFE => SocketInt(self.thread_safe() as i32),
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
