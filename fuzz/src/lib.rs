//! What the fuzz targets share: a forgiving reader over the fuzz input, ZMTP greeting and
//! frame builders, and `Driver`, which runs a sans-IO engine the way the I/O layer does and
//! checks the engine's side of the contract on every step (events in order, nothing after
//! an Error, every byte it writes decodes as ZMTP).

pub mod curve_peer;

use std::time::Instant;

use zmq::msg::Msg;
use zmq::zmtp::codec::{self, Decoder, Framing};
use zmq::zmtp::greeting::V3_GREETING_LEN;
use zmq::zmtp::mechanism::ZapReply;
use zmq::zmtp::{Config, Engine, Event};

/// FUZZ_TRACE=1 prints every engine event (to check what a seed or a crash input reaches).
pub fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// Reads the fuzz input front to back; past its end every read gives zeros or nothing, so
/// a target never has to check lengths.
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input(data)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    /// A length byte, then that many bytes.
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = self.u8() as usize;
        self.bytes(n)
    }

    /// A big-endian u16 length, then that many bytes.
    pub fn long_chunk(&mut self) -> &'a [u8] {
        let n = self.u16() as usize;
        self.bytes(n)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.0.len())
    }
}

/// Socket types that speak ZMTP (STREAM does not), picked by a byte.
pub fn zmtp_socket_type(b: u8) -> i32 {
    const TYPES: [i32; 18] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 19];
    TYPES[b as usize % TYPES.len()]
}

/// A ZMTP 2.0/3.x frame.
pub fn frame(body: &[u8], more: bool, command: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    codec::write_header(Framing::V2, &mut out, body.len(), more, command);
    out.extend_from_slice(body);
    out
}

/// A ZMTP 3.`minor` greeting for `mechanism`.
pub fn greeting_v3(mechanism: &[u8], as_server: bool, minor: u8) -> Vec<u8> {
    let mut g = vec![0u8; V3_GREETING_LEN];
    g[0] = 0xFF;
    g[8] = 1;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = minor;
    g[12..12 + mechanism.len()].copy_from_slice(mechanism);
    g[32] = as_server as u8;
    g
}

/// Runs an engine and checks what it does.
pub struct Driver {
    pub engine: Engine,
    /// Decodes what the engine writes, once the greeting is known to be 3.x.
    out: Option<(usize, Decoder)>,
    pub failed: bool,
    pub handshake_done: bool,
    pub zap_pending: bool,
    /// Subscribe/Cancel events seen, in order (true = subscribe).
    pub subscriptions: Vec<(bool, Vec<u8>)>,
    pub messages: usize,
}

impl Driver {
    pub fn new(cfg: Config) -> Driver {
        Driver {
            engine: Engine::new(cfg),
            out: None,
            failed: false,
            handshake_done: false,
            zap_pending: false,
            subscriptions: Vec::new(),
            messages: 0,
        }
    }

    /// The peer sent a 3.x greeting: from now on the engine's output is checked frame by
    /// frame (after its own 64-byte greeting).
    pub fn expect_v3(&mut self) {
        self.out = Some((V3_GREETING_LEN, Decoder::new(Framing::V2, -1)));
    }

    /// Feeds bytes as read from the socket, then handles the events as a session would.
    pub fn feed(&mut self, data: &[u8]) {
        let result = self.engine.on_read(data);
        if self.failed {
            assert!(result.is_err(), "a failed engine must keep failing");
        }
        let failed_before = self.failed;
        self.drain();
        if result.is_err() {
            assert!(self.failed, "on_read failed without an Error event");
        } else {
            assert!(!self.failed || failed_before, "Error event but on_read succeeded");
        }
        self.engine.tick(Instant::now());
        self.drain();
    }

    /// Polls every queued event and checks their order.
    pub fn drain(&mut self) {
        while let Some(ev) = self.engine.poll_event() {
            if trace() {
                eprintln!("event: {ev:?}");
            }
            assert!(!self.failed, "event after Error: {ev:?}");
            match ev {
                Event::HandshakeDone(h) => {
                    assert!(!self.handshake_done, "two HandshakeDone");
                    assert!(!self.zap_pending, "handshake done with a ZAP request unanswered");
                    assert!(self.engine.handshake_done() || self.engine.failure().is_some());
                    let _ = h.metadata.iter().count();
                    self.handshake_done = true;
                }
                Event::Message(m) => {
                    assert!(self.handshake_done, "message before the handshake");
                    assert!(!m.is_command(), "command frame delivered as a message");
                    self.messages += 1;
                }
                Event::Subscribe(t) => {
                    assert!(self.handshake_done);
                    self.subscriptions.push((true, t));
                }
                Event::Cancel(t) => {
                    assert!(self.handshake_done);
                    self.subscriptions.push((false, t));
                }
                Event::ZapRequest(req) => {
                    assert!(!self.handshake_done && !self.zap_pending, "unexpected ZAP request");
                    let _ = zmq::zmtp::zap::request_frames(&req, b"domain", b"127.0.0.1", b"id");
                    self.zap_pending = true;
                }
                Event::Error(f) => {
                    assert!(self.engine.failure().is_some());
                    let _ = f.event;
                    self.failed = true;
                }
            }
        }
    }

    pub fn zap_reply(&mut self, reply: &ZapReply) {
        let was_pending = std::mem::take(&mut self.zap_pending);
        let result = self.engine.zap_reply(reply);
        if !was_pending {
            assert!(result.is_err(), "zap_reply accepted without a request");
        }
        self.drain();
    }

    pub fn zap_bypassed(&mut self) {
        let was_pending = std::mem::take(&mut self.zap_pending);
        let result = self.engine.zap_bypassed();
        if !was_pending {
            assert!(result.is_err(), "zap_bypassed accepted without a request");
        }
        self.drain();
    }

    /// Sends one frame of an application message (refused before the handshake).
    pub fn send(&mut self, data: &[u8], more: bool) {
        let mut m = Msg::from_slice(data);
        m.set_more(more);
        let result = self.engine.send(&m);
        assert_eq!(result.is_ok(), self.handshake_done && !self.failed, "send: {result:?}");
        self.drain();
    }

    /// Takes everything the engine queued for writing (as a writer would) and returns
    /// its frames once a 3.x greeting was exchanged. Output that does not decode is a bug.
    pub fn take_output(&mut self) -> Vec<Msg> {
        let mut frames = Vec::new();
        while self.engine.wants_write() {
            let bytes = self.engine.out_bytes().to_vec();
            assert!(!bytes.is_empty(), "wants_write with nothing to write");
            self.engine.consume_out(bytes.len());
            if let Some((skip, decoder)) = &mut self.out {
                let mut data = &bytes[(*skip).min(bytes.len())..];
                *skip -= (*skip).min(bytes.len());
                while !data.is_empty() {
                    let (used, msg) = decoder.decode(data).expect("the engine wrote a frame that does not decode");
                    data = &data[used..];
                    frames.extend(msg);
                }
            }
        }
        frames
    }

    /// Handles one generic step chosen by the input: frames, raw bytes, ZAP answers,
    /// sends. Returns false when the input is used up or the engine failed.
    pub fn step(&mut self, input: &mut Input) -> bool {
        if input.is_empty() || self.failed {
            return false;
        }
        match input.u8() % 9 {
            0 => self.feed(&frame(input.chunk(), false, true)),
            1 => {
                let more = input.u8() & 1 != 0;
                self.feed(&frame(input.chunk(), more, false));
            }
            2 => self.feed(input.chunk()),
            3 => {
                let reply = zap_reply_from(input);
                self.zap_reply(&reply);
            }
            4 => self.zap_bypassed(),
            5 => {
                let more = input.u8() & 1 != 0;
                self.send(input.chunk(), more);
            }
            6 => {
                let subscribe = input.u8() & 1 != 0;
                let result = self.engine.send_subscription(subscribe, input.chunk());
                assert_eq!(result.is_ok(), self.handshake_done && !self.failed);
                self.drain();
            }
            7 => {
                // A frame with a long header (lengths 0..=65535).
                let mut f = vec![input.u8() & 0x07 | 0x02];
                let body = input.long_chunk();
                f.extend_from_slice(&(body.len() as u64).to_be_bytes());
                f.extend_from_slice(body);
                self.feed(&f);
            }
            _ => {
                // One chunk fed a byte at a time.
                for &b in input.chunk() {
                    self.feed(&[b]);
                }
            }
        }
        self.take_output();
        true
    }
}

/// A ZAP reply built from the input: mostly well-formed status codes.
pub fn zap_reply_from(input: &mut Input) -> ZapReply {
    let status_code = match input.u8() % 6 {
        0 | 1 => b"200".to_vec(),
        2 => b"300".to_vec(),
        3 => b"400".to_vec(),
        4 => b"500".to_vec(),
        _ => input.chunk().to_vec(),
    };
    ZapReply {
        status_code,
        status_text: input.chunk().to_vec(),
        user_id: input.chunk().to_vec(),
        metadata: input.chunk().to_vec(),
    }
}

/// A metadata property list: name-size, name, 4-byte value-size, value.
pub fn properties(props: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in props {
        zmq::zmtp::commands::write_property(&mut out, name, value);
    }
    out
}
