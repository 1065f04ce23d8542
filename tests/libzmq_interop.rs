//! The engine against the real libzmq 4.3 over TCP. libzmq runs in a separate process
//! (tests/zmtp_peer.c, compiled here with gcc against the system libzmq) because the
//! crate under test is itself a libzmq. Needs gcc and libzmq3-dev (zmq.h, libzmq.so).

use zmq::constants::*;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

// In zmq-oxide this is the `zmq` crate.
use zmq::msg::Msg;
use zmq::zmtp::mechanism::curve::keypair;
use zmq::zmtp::{Config, Engine, Event, Failure, FailureKind, Handshake, MechanismConfig, MonitorEvent, Protocol};

const TIMEOUT: Duration = Duration::from_secs(8);

/// Builds tests/zmtp_peer.c once per test binary.
fn peer_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/zmtp_peer.c");
        let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zmtp_peer");
        // Pin the system libzmq with an RPATH (which beats LD_LIBRARY_PATH), so the peer
        // can never pick up a libzmq.so.5 built by this crate.
        let libdir = Command::new("gcc")
            .arg("-print-file-name=libzmq.so")
            .output()
            .ok()
            .and_then(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/usr/lib/x86_64-linux-gnu"));
        let status = Command::new("gcc")
            .args(["-O1", "-Wall", "-o"])
            .arg(&bin)
            .arg(&src)
            .arg(format!("-Wl,--disable-new-dtags,-rpath,{}", libdir.display()))
            .arg("-lzmq")
            .status()
            .expect("gcc must be installed (and libzmq3-dev) for the libzmq interop tests");
        assert!(status.success(), "compiling {}", src.display());
        bin
    })
}

/// The libzmq process; killed if the test ends early.
struct Peer {
    child: Child,
    port: u16,
}

impl Peer {
    fn spawn(args: &[&str]) -> Peer {
        Peer::spawn_curve(args, None)
    }

    /// With `curve`, the ZMTP_PEER_CURVE setting (see zmtp_peer.c).
    fn spawn_curve(args: &[&str], curve: Option<String>) -> Peer {
        let mut cmd = Command::new(peer_binary());
        if let Some(spec) = curve {
            cmd.env("ZMTP_PEER_CURVE", spec);
        }
        let mut child = cmd
            .args(args)
            .env_remove("LD_LIBRARY_PATH")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn zmtp_peer");
        // Read "READY <port>" without blocking forever on a hung peer.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(TIMEOUT).expect("zmtp_peer did not start");
        let port = line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok());
        let port = port.unwrap_or_else(|| panic!("zmtp_peer said {line:?}"));
        Peer { child, port }
    }

    /// Waits for the peer to exit and checks it succeeded.
    fn finish(mut self) {
        let end = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "libzmq peer failed: {status}");
                return;
            }
            assert!(Instant::now() < end, "libzmq peer did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our engine driving a non-blocking TcpStream: a minimal I/O layer.
struct Conn {
    sock: TcpStream,
    eng: Engine,
    events: std::collections::VecDeque<Event>,
    eof: bool,
    /// Stop writing after this many bytes in total (to hold back part of the greeting).
    write_limit: usize,
}

impl Conn {
    fn new(sock: TcpStream, cfg: Config) -> Conn {
        sock.set_nonblocking(true).unwrap();
        sock.set_nodelay(true).unwrap();
        Conn { sock, eng: Engine::new(cfg), events: Default::default(), eof: false, write_limit: usize::MAX }
    }

    fn connect(port: u16, cfg: Config) -> Conn {
        Conn::new(TcpStream::connect(("127.0.0.1", port)).unwrap(), cfg)
    }

    fn accept(listener: &TcpListener, cfg: Config) -> Conn {
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + TIMEOUT;
        loop {
            match listener.accept() {
                Ok((sock, _)) => return Conn::new(sock, cfg),
                Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    fn flush(&mut self) {
        while self.eng.wants_write() && !self.eof && self.write_limit > 0 {
            let out = self.eng.out_bytes();
            match self.sock.write(&out[..out.len().min(self.write_limit)]) {
                Ok(n) => {
                    self.eng.consume_out(n);
                    self.write_limit -= n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => self.eof = true,
            }
        }
    }

    /// One round of I/O: write, wait up to `max_wait` (or the engine's next deadline) for
    /// the socket, read everything, run the timers, write again.
    fn pump(&mut self, max_wait: Duration) {
        self.flush();
        let now = Instant::now();
        let wait = match self.eng.tick(now) {
            Some(deadline) => max_wait.min(deadline.saturating_duration_since(now)),
            None => max_wait,
        };
        let mut pfd = libc::pollfd { fd: self.sock.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        if self.eng.wants_write() {
            pfd.events |= libc::POLLOUT;
        }
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, wait.as_millis().max(1) as i32) };
        let mut buf = vec![0u8; 64 << 10];
        while !self.eof {
            match self.sock.read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    let _ = self.eng.on_read(&buf[..n]); // a failure arrives as Event::Error
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => self.eof = true,
            }
        }
        self.eng.tick(Instant::now());
        self.events.extend(std::iter::from_fn(|| self.eng.poll_event()));
        self.flush();
    }

    fn next_event(&mut self) -> Event {
        let end = Instant::now() + TIMEOUT;
        loop {
            if let Some(ev) = self.events.pop_front() {
                if let Event::Error(f) = &ev {
                    panic!("engine failed: {f} {f:?}");
                }
                return ev;
            }
            assert!(!self.eof, "connection closed by libzmq");
            assert!(Instant::now() < end, "timed out waiting for an event");
            self.pump(Duration::from_millis(50));
        }
    }

    /// Pumps until the engine fails; returns why.
    fn failure(&mut self) -> Failure {
        let end = Instant::now() + TIMEOUT;
        loop {
            match self.events.pop_front() {
                Some(Event::Error(f)) => return f,
                Some(_) => {}
                None => {
                    assert!(Instant::now() < end, "the engine did not fail");
                    self.pump(Duration::from_millis(10));
                }
            }
        }
    }

    /// Waits for the handshake; a ZAP request (our CURVE server) is answered as "no
    /// handler bound".
    fn handshake(&mut self) -> Handshake {
        loop {
            match self.next_event() {
                Event::HandshakeDone(h) => return h,
                Event::ZapRequest(_) => self.eng.zap_bypassed().unwrap(),
                other => panic!("expected HandshakeDone, got {other:?}"),
            }
        }
    }

    fn recv(&mut self) -> Msg {
        match self.next_event() {
            Event::Message(m) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Receives a whole multipart message.
    fn recv_multipart(&mut self) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        loop {
            let m = self.recv();
            parts.push(m.data().to_vec());
            if !m.more() {
                return parts;
            }
        }
    }

    fn send_multipart(&mut self, parts: &[&[u8]]) {
        for (i, p) in parts.iter().enumerate() {
            let mut m = Msg::from_slice(p);
            m.set_more(i + 1 < parts.len());
            self.eng.send(&m).unwrap();
        }
        self.flush();
    }

    /// Echoes every frame back as it comes, until a final "END" frame; returns how many.
    fn echo_until_end(&mut self) -> usize {
        let mut frames = 0;
        loop {
            let m = self.recv();
            self.eng.send(&m).unwrap();
            frames += 1;
            if m.data() == b"END" && !m.more() {
                return frames;
            }
            if frames % 256 == 0 {
                self.flush();
            }
        }
    }

    /// Writes out what the engine still has queued (up to the test timeout).
    fn write_out(&mut self) {
        let end = Instant::now() + TIMEOUT;
        while self.eng.wants_write() && Instant::now() < end {
            self.pump(Duration::from_millis(10));
        }
    }

    /// Keeps the connection serviced (heartbeats) for `d`, expecting no events.
    fn idle(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            self.pump(Duration::from_millis(10));
            assert!(!self.eof, "connection closed by libzmq while idle");
            if let Some(ev) = self.events.pop_front() {
                panic!("unexpected event while idle: {ev:?}");
            }
        }
    }
}

fn dealer_cfg(id: &[u8]) -> Config {
    Config { socket_type: ZMQ_DEALER, routing_id: id.to_vec(), ..Config::default() }
}

#[test]
fn our_dealer_with_libzmq_router() {
    let peer = Peer::spawn(&["router-echo", "0"]);
    let mut c = Conn::connect(peer.port, dealer_cfg(b"rust-dealer"));
    let h = c.handshake();
    assert_eq!(h.protocol, Protocol::V3_1);
    assert_eq!(h.peer_socket_type, Some(ZMQ_ROUTER));
    assert_eq!(h.metadata.get("Socket-Type").unwrap().to_bytes(), b"ROUTER");

    // Multipart with an empty frame; libzmq echoes [our id, frames...].
    c.send_multipart(&[b"a", b"", b"c"]);
    assert_eq!(c.recv_multipart(), vec![b"rust-dealer".to_vec(), b"a".to_vec(), vec![], b"c".to_vec()]);

    // 1 MiB.
    let big: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    c.send_multipart(&[&big]);
    let echo = c.recv_multipart();
    assert_eq!(echo.len(), 2);
    assert!(echo[1] == big, "1 MiB frame corrupted");

    // 10k messages, all sent before reading any echo.
    const N: usize = 10_000;
    for i in 0..N {
        c.send_multipart(&[format!("m-{i}").as_bytes()]);
    }
    for i in 0..N {
        assert_eq!(c.recv_multipart()[1], format!("m-{i}").as_bytes());
    }

    c.send_multipart(&[b"END"]);
    assert_eq!(c.recv_multipart(), vec![b"BYE 0".to_vec()], "libzmq saw no disconnect");
    peer.finish();
}

#[test]
fn libzmq_dealer_with_our_router() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = Peer::spawn(&["dealer", &port, "10000"]);
    let mut c = Conn::accept(&listener, Config { socket_type: ZMQ_ROUTER, ..Config::default() });
    let h = c.handshake();
    assert_eq!(h.peer_routing_id, b"libzmq-dealer");
    assert_eq!(h.peer_socket_type, Some(ZMQ_DEALER));
    assert_eq!(h.metadata.get("Identity").unwrap().to_bytes(), b"libzmq-dealer");

    // Echo every frame back as it comes, until "END"; the peer checks what it gets.
    let frames = c.echo_until_end();
    assert_eq!(frames, 3 + 1 + 10_000 + 1);
    c.write_out();
    peer.finish();
}

#[test]
fn our_sub_with_libzmq_xpub() {
    let peer = Peer::spawn(&["xpub"]);
    let mut c = Conn::connect(peer.port, Config { socket_type: ZMQ_SUB, ..Config::default() });
    assert_eq!(c.handshake().peer_socket_type, Some(ZMQ_XPUB));
    // A SUBSCRIBE command (ZMTP 3.1); libzmq's XPUB hands it to its user as "\x01A".
    c.eng.send_subscription(true, b"A").unwrap();
    // XPUB filters: "B-skip" never comes.
    assert_eq!(c.recv().data(), b"A-1");
    assert_eq!(c.recv().data(), b"A-END");
    c.eng.send_subscription(false, b"A").unwrap();
    c.write_out();
    peer.finish();
}

/// Our PUB with a libzmq SUB; with `zmtp2` our engine pretends to be libzmq 3.x.
fn our_pub_with_libzmq_sub(zmtp2: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = Peer::spawn(&["sub", &port]);
    let cfg = Config { socket_type: ZMQ_PUB, emulate_zmtp2: zmtp2, ..Config::default() };
    let mut c = Conn::accept(&listener, cfg);
    let h = c.handshake();
    assert_eq!(h.peer_socket_type, Some(ZMQ_SUB));
    if zmtp2 {
        // libzmq talks 2.0 back, so its subscription is a message.
        assert_eq!(h.protocol, Protocol::V2);
        assert_eq!(c.recv().data(), b"\x01A");
    } else {
        // libzmq 4.3.4 sends ZMTP 3.1 peers a SUBSCRIBE command.
        assert_eq!(h.protocol, Protocol::V3_1);
        match c.next_event() {
            Event::Subscribe(topic) => assert_eq!(topic, b"A"),
            other => panic!("expected Subscribe, got {other:?}"),
        }
    }
    // The engine does not filter; the SUB side drops "B-skip".
    for m in [&b"B-skip"[..], b"A-1", b"A-END"] {
        c.send_multipart(&[m]);
    }
    let end = Instant::now() + TIMEOUT;
    // Serve until the peer, satisfied, exits and closes the connection.
    while !c.eof && Instant::now() < end {
        c.pump(Duration::from_millis(10));
    }
    peer.finish();
}

#[test]
fn our_pub_with_libzmq_sub_v3() {
    our_pub_with_libzmq_sub(false);
}

#[test]
fn our_pub_with_libzmq_sub_zmtp2() {
    our_pub_with_libzmq_sub(true);
}

#[test]
fn zmtp2_dealer_with_libzmq_router() {
    let peer = Peer::spawn(&["router-echo", "0"]);
    let mut c = Conn::connect(peer.port, Config { emulate_zmtp2: true, ..dealer_cfg(b"old-dealer") });
    let h = c.handshake();
    assert_eq!(h.protocol, Protocol::V2);
    assert_eq!(h.peer_socket_type, Some(ZMQ_ROUTER));
    c.send_multipart(&[b"x", b"", &[9; 300]]);
    assert_eq!(c.recv_multipart(), vec![b"old-dealer".to_vec(), b"x".to_vec(), vec![], vec![9; 300]]);
    c.send_multipart(&[b"END"]);
    assert_eq!(c.recv_multipart(), vec![b"BYE 0".to_vec()]);
    peer.finish();
}

/// Heartbeats from libzmq (`theirs`: every 100 ms, dropping peers silent for 300 ms) and/or
/// from us (`ours`: the same). Either side alone must keep the connection alive, so each
/// case checks one side's answers: PONGs from us, or from libzmq.
fn heartbeats(ours: bool, theirs: bool) {
    let peer = Peer::spawn(&["router-echo", if theirs { "100" } else { "0" }]);
    let ms = Duration::from_millis;
    let cfg = if ours {
        Config { heartbeat_ivl: ms(100), heartbeat_timeout: ms(300), heartbeat_ttl: ms(600), ..dealer_cfg(b"hb") }
    } else {
        dealer_cfg(b"hb")
    };
    let mut c = Conn::connect(peer.port, cfg);
    c.handshake();
    c.send_multipart(&[b"hello"]);
    assert_eq!(c.recv_multipart()[1], b"hello");
    // Many heartbeat intervals with no application traffic: nobody may time out.
    c.idle(ms(700));
    c.send_multipart(&[b"again"]);
    assert_eq!(c.recv_multipart()[1], b"again");
    c.send_multipart(&[b"END"]);
    assert_eq!(c.recv_multipart(), vec![b"BYE 0".to_vec()], "libzmq saw a disconnect");
    peer.finish();
}

#[test]
fn libzmq_heartbeats_we_answer() {
    heartbeats(false, true);
}

#[test]
fn our_heartbeats_libzmq_answers() {
    heartbeats(true, false);
}

#[test]
fn heartbeats_both_ways() {
    heartbeats(true, true);
}

#[test]
fn heartbeat_timeout_when_libzmq_freezes() {
    let peer = Peer::spawn(&["router-echo", "0"]);
    let ms = Duration::from_millis;
    let cfg = Config { heartbeat_ivl: ms(100), heartbeat_timeout: ms(300), ..dealer_cfg(b"hb") };
    let mut c = Conn::connect(peer.port, cfg);
    c.handshake();
    c.idle(ms(200));
    // Stop the libzmq process: the kernel still takes our bytes, but no PONG comes back.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(peer.child.id() as i32, libc::SIGSTOP) };
    let stopped = Instant::now();
    let f = c.failure();
    assert_eq!(f.kind, FailureKind::Timeout);
    assert!(stopped.elapsed() < ms(3000), "took {:?}", stopped.elapsed());
    unsafe { libc::kill(peer.child.id() as i32, libc::SIGCONT) };
}

#[test]
fn mechanism_mismatch_with_libzmq_plain_server() {
    let peer = Peer::spawn(&["plain-server"]);
    let mut c = Conn::connect(peer.port, dealer_cfg(b""));
    // Send only signature and major version: libzmq then sends its whole greeting, but
    // gets none of our mechanism (else it may see the mismatch first and just close).
    c.write_limit = 11;
    let f = c.failure();
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)));
    assert!(!c.eng.handshake_done());
}

#[test]
fn socket_type_mismatch_with_libzmq() {
    let peer = Peer::spawn(&["router-echo", "0"]);
    let mut c = Conn::connect(peer.port, Config { socket_type: ZMQ_PUSH, ..Config::default() });
    // Hold back our READY, so libzmq cannot reject us (and close) before sending its own.
    c.write_limit = 64;
    let f = c.failure();
    assert_eq!((f.kind, f.event), (FailureKind::Protocol, None));
}

/// A CURVE key pair: binary for our engine, Z85 for libzmq.
struct Keys {
    public: [u8; 32],
    secret: [u8; 32],
}

impl Keys {
    fn new() -> Keys {
        let (public, secret) = keypair();
        Keys { public, secret }
    }
    fn z85_public(&self) -> String {
        zmq::z85::encode(&self.public).unwrap()
    }
    fn z85_secret(&self) -> String {
        zmq::z85::encode(&self.secret).unwrap()
    }
    /// libzmq as CURVE server with these keys.
    fn libzmq_server(&self) -> Option<String> {
        Some(format!("server {}", self.z85_secret()))
    }
    /// libzmq as CURVE client with these keys, trusting `server`.
    fn libzmq_client(&self, server: &[u8; 32]) -> Option<String> {
        Some(format!("client {} {} {}", self.z85_public(), self.z85_secret(), zmq::z85::encode(server).unwrap()))
    }
    /// Our engine as CURVE client with these keys, trusting `server`.
    fn our_client(&self, server: &[u8; 32], cfg: Config) -> Config {
        Config { mechanism: MechanismConfig::Curve { public_key: self.public, secret_key: self.secret, server_key: *server }, ..cfg }
    }
    /// Our engine as CURVE server with these keys.
    fn our_server(&self, cfg: Config) -> Config {
        Config {
            as_server: true,
            mechanism: MechanismConfig::Curve { public_key: self.public, secret_key: self.secret, server_key: [0; 32] },
            ..cfg
        }
    }
}

/// Our CURVE client against a libzmq CURVE server, both sides sending heartbeats (which
/// libzmq encrypts like every frame after the handshake).
#[test]
fn curve_our_dealer_with_libzmq_router() {
    let (server, client) = (Keys::new(), Keys::new());
    let peer = Peer::spawn_curve(&["router-echo", "100"], server.libzmq_server());
    let ms = Duration::from_millis;
    let cfg = Config { heartbeat_ivl: ms(100), heartbeat_timeout: ms(300), heartbeat_ttl: ms(600), ..dealer_cfg(b"curve-dealer") };
    let mut c = Conn::connect(peer.port, client.our_client(&server.public, cfg));
    let h = c.handshake();
    assert_eq!(h.peer_socket_type, Some(ZMQ_ROUTER));
    c.send_multipart(&[b"a", b"", b"c"]);
    assert_eq!(c.recv_multipart(), vec![b"curve-dealer".to_vec(), b"a".to_vec(), vec![], b"c".to_vec()]);
    let big: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    c.send_multipart(&[&big]);
    assert!(c.recv_multipart()[1] == big, "1 MiB frame corrupted");
    for i in 0..2000 {
        c.send_multipart(&[format!("m-{i}").as_bytes()]);
    }
    for i in 0..2000 {
        assert_eq!(c.recv_multipart()[1], format!("m-{i}").as_bytes());
    }
    c.idle(ms(500));
    c.send_multipart(&[b"END"]);
    assert_eq!(c.recv_multipart(), vec![b"BYE 0".to_vec()], "libzmq saw a disconnect");
    peer.finish();
}

/// A libzmq CURVE client against our CURVE server.
#[test]
fn curve_libzmq_dealer_with_our_router() {
    let (server, client) = (Keys::new(), Keys::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = Peer::spawn_curve(&["dealer", &port, "2000"], client.libzmq_client(&server.public));
    let mut c = Conn::accept(&listener, server.our_server(Config { socket_type: ZMQ_ROUTER, ..Config::default() }));
    let h = c.handshake();
    assert_eq!(h.peer_routing_id, b"libzmq-dealer");
    let frames = c.echo_until_end();
    assert_eq!(frames, 3 + 1 + 2000 + 1);
    c.write_out();
    peer.finish();
}

/// SUBSCRIBE commands are boxed too.
#[test]
fn curve_our_sub_with_libzmq_xpub() {
    let (server, client) = (Keys::new(), Keys::new());
    let peer = Peer::spawn_curve(&["xpub"], server.libzmq_server());
    let mut c = Conn::connect(peer.port, client.our_client(&server.public, Config { socket_type: ZMQ_SUB, ..Config::default() }));
    assert_eq!(c.handshake().peer_socket_type, Some(ZMQ_XPUB));
    c.eng.send_subscription(true, b"A").unwrap();
    assert_eq!(c.recv().data(), b"A-1");
    assert_eq!(c.recv().data(), b"A-END");
    c.eng.send_subscription(false, b"A").unwrap();
    c.write_out();
    peer.finish();
}

/// A libzmq client that has another server's key: our server cannot open its HELLO.
#[test]
fn curve_libzmq_client_with_wrong_server_key() {
    let (server, client) = (Keys::new(), Keys::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let _peer = Peer::spawn_curve(&["dealer", &port, "1"], client.libzmq_client(&Keys::new().public));
    let mut c = Conn::accept(&listener, server.our_server(Config { socket_type: ZMQ_ROUTER, ..Config::default() }));
    let f = c.failure();
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
}
