//! The ZMTP engine's start (its configuration from the socket's options), the ZAP
//! round trip its server-side mechanism asks for, and how a failed handshake is reported.

// Imports: `use super::*` takes the session's own (session/mod.rs), so they are listed once.
use crate::constants::*;
use super::*;

impl Session {
    pub(super) fn start_engine(&mut self) {
        if self.setup.options.raw_socket {
            return self.start_raw();
        }
        let o = &self.setup.options;
        let peer_address = self.stream.as_ref().map(|s| s.peer_address()).unwrap_or_default();
        let fd = self.stream.as_ref().map(|s| s.raw_fd()).unwrap_or(-1);
        self.peer_address = peer_address.clone();
        self.stream_errno = None;
        let cfg = zmtp::Config {
            socket_type: o.socket_type,
            routing_id: o.routing_id.clone(),
            as_server: o.as_server,
            mechanism: mechanism_config(o),
            zap_domain: o.zap_domain.clone(),
            heartbeat_ivl: Duration::from_millis(o.heartbeat_ivl.max(0) as u64),
            heartbeat_ttl: Duration::from_millis(o.heartbeat_ttl as u64 * 100),
            heartbeat_timeout: Duration::from_millis(if o.heartbeat_timeout < 0 { o.heartbeat_ivl.max(0) } else { o.heartbeat_timeout } as u64),
            max_msg_size: o.maxmsgsize,
            app_metadata: o.metadata.iter().map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone())).collect(),
            // "__fd" is what ZMQ_SRCFD reads.
            connection_properties: vec![
                ("Peer-Address".to_string(), peer_address.into_bytes()),
                ("__fd".to_string(), fd.to_string().into_bytes()),
            ],
            // push_message attaches it, through the pipe.
            metadata_on_messages: false,
            ..Default::default()
        };
        let ws = self.stream.as_mut().and_then(|s| s.ws()).is_some();
        // Over ws, subscriptions go as messages (1/0 + topic: what libzmq's ws engine
        // sends and takes), and heartbeats as WebSocket pings.
        let cfg = zmtp::Config { subscribe_commands: !ws, ..cfg };
        let mut engine = Engine::new(cfg);
        if ws {
            engine.heartbeat().set_transport_pings();
        }
        self.engine = Some(engine);
        self.undecoded = 0..0;
        self.handshake_deadline =
            (o.handshake_ivl > 0).then(|| Instant::now() + Duration::from_millis(o.handshake_ivl as u64));
    }

    /// Sends the engine's ZAP request, or hands the handler's reply to the engine once it
    /// is in: Some(progress), None if the connection must close.
    pub(super) fn run_zap(&mut self, io: &IoCtx) -> Option<bool> {
        let outcome = match self.zap_request.take() {
            Some(req) => {
                let notify = Arc::new(SessionNotify { io: io.shared.clone(), token: self.token });
                self.zap.ask(&req, &self.setup, &self.peer_address, notify)
            }
            None => self.zap.poll(),
        };
        // An engine error is queued as an event, which the next turn delivers.
        let _ = match (outcome, self.engine.as_mut()) {
            (ZapOutcome::Pending, _) | (_, None) => return Some(false),
            (ZapOutcome::Reply(reply), Some(engine)) => engine.zap_reply(&reply),
            (ZapOutcome::Bypass, Some(engine)) => engine.zap_bypassed(),
            (ZapOutcome::Fail(ev), Some(_)) => {
                self.protocol_error = true;
                self.fail_handshake(Some(ev));
                return None;
            }
        };
        Some(true)
    }

    /// The engine failed: report it to the monitor, and before a handshake failure, give
    /// what the engine queued (an ERROR command telling the peer why) one chance to go out.
    pub(super) fn fail_handshake(&mut self, ev: Option<zmtp::MonitorEvent>) {
        let (ev, value) = match ev {
            Some(zmtp::MonitorEvent::HandshakeFailedProtocol(code)) => (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, code as u64),
            Some(zmtp::MonitorEvent::HandshakeFailedAuth(code)) => (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code as u64),
            Some(zmtp::MonitorEvent::HandshakeFailedNoDetail(errno)) => (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno as u64),
            None => (0, 0),
        };
        if ev != 0 {
            self.setup.monitor.emit(ev, value, self.conn_addrs());
        }
        if self.meta.is_none() {
            let _ = self.write_stream();
        }
    }
}

/// ZMQ_MECHANISM and its keys, as the engine takes them. GSSAPI is not built: such a
/// socket announces NULL.
fn mechanism_config(o: &Options) -> zmtp::MechanismConfig {
    use crate::constants::{ZMQ_CURVE, ZMQ_PLAIN};
    match o.mechanism {
        ZMQ_PLAIN => zmtp::MechanismConfig::Plain { username: o.plain_username.clone(), password: o.plain_password.clone() },
        ZMQ_CURVE => zmtp::MechanismConfig::Curve {
            public_key: o.curve_public_key,
            secret_key: o.curve_secret_key,
            server_key: o.curve_server_key,
        },
        _ => zmtp::MechanismConfig::Null,
    }
}
