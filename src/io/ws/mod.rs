//! ws:// (ZWS 2.0): ZMTP over WebSocket, as a byte-translating layer between a tcp stream
//! and the unchanged ZMTP engine. The session reads and writes a [`WsStream`] as it does a
//! tcp stream; underneath:
//!
//! - the HTTP upgrade (`handshake.rs`) runs first: the client's request is queued at
//!   once, the server answers the request it reads;
//! - ZWS has no ZMTP greeting (the subprotocol names the mechanism), so once the upgrade
//!   is done the engine is handed a made-up peer greeting (ZMTP 3.1, our own mechanism,
//!   the opposite role), and our engine's own greeting is dropped on the way out;
//! - after that, frames are translated both ways (`frame.rs`); WebSocket pings are
//!   answered here, and heartbeats go as WebSocket pings (libzmq's way; see
//!   [`WsStream::send_ping`] and [`WsStream::take_pong`]).

mod frame;
mod handshake;
#[cfg(feature = "draft")]
pub mod tls;
#[cfg(feature = "draft")]
mod trust;

use super::stream::Stream;
use crate::constants::{ZMQ_CURVE, ZMQ_PLAIN};
use frame::{Control, Decoder, Encoder, OP_CLOSE, OP_PING, OP_PONG};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, IoSlice, Read, Write};

/// TLS settings of a wss:// endpoint (wss exists in the draft build only; without it
/// these types have no values, so every endpoint is plain ws).
#[cfg(feature = "draft")]
pub type TlsServer = tls::ServerConfig;
#[cfg(not(feature = "draft"))]
pub type TlsServer = std::convert::Infallible;
#[cfg(feature = "draft")]
pub type TlsClient = tls::ClientConfig;
#[cfg(not(feature = "draft"))]
pub type TlsClient = std::convert::Infallible;

/// What a ws listener needs for the connections it accepts.
pub struct WsListen {
    /// ZMQ_MECHANISM and as-server: the subprotocol accepted, the made-up greeting.
    pub mechanism: i32,
    pub as_server: bool,
    pub tls: Option<TlsServer>,
}

/// An accepted tcp stream as a ws (or wss) stream.
pub fn accepted(tcp: Stream, l: &WsListen) -> io::Result<Stream> {
    let inner = match &l.tls {
        #[cfg(feature = "draft")]
        Some(t) => Stream::Tls(Box::new(tls::TlsStream::server(tcp, t)?)),
        #[allow(unreachable_patterns)]
        _ => tcp,
    };
    Ok(Stream::Ws(Box::new(WsStream::server(inner, l.mechanism, l.as_server))))
}

/// A connecting tcp stream as a ws (or wss) client asking for `path` on `host`.
pub fn connecting(tcp: Stream, tls: Option<&TlsClient>, host: &str, path: &str, o: &crate::options::Options) -> io::Result<Stream> {
    let inner = match tls {
        #[cfg(feature = "draft")]
        Some(t) => Stream::Tls(Box::new(tls::TlsStream::client(tcp, t)?)),
        #[allow(unreachable_patterns)]
        _ => tcp,
    };
    Ok(Stream::Ws(Box::new(WsStream::client(inner, host, path, o.mechanism, o.as_server))))
}

/// Output translated but not yet written past which writes report WouldBlock.
const TX_HIGH: usize = 256 * 1024;
const RAW_READ: usize = 64 * 1024;
const GREETING_LEN: usize = 64;

enum Phase {
    /// Client: request queued, reading the response head (with the key we sent).
    AwaitResponse { key: String },
    /// Server: reading the request head.
    AwaitRequest,
    Open,
}

pub struct WsStream {
    pub(super) inner: Stream,
    mechanism: i32,
    /// ZMQ_PLAIN_SERVER / ZMQ_CURVE_SERVER: the made-up peer greeting has the other role.
    as_server: bool,
    phase: Phase,
    /// The handshake head read so far.
    head: Vec<u8>,
    decoder: Decoder,
    encoder: Encoder,
    /// ZMTP bytes for the engine, from `rx_pos`.
    rx: Vec<u8>,
    rx_pos: usize,
    raw: Vec<u8>,
    /// Bytes for the tcp stream, from `tx_pos`.
    tx: Vec<u8>,
    tx_pos: usize,
    controls: VecDeque<Control>,
    /// The peer closed (EOF or a close frame): read returns 0 once `rx` is drained.
    closed: bool,
    /// A pong arrived since the last `take_pong`.
    pong: bool,
}

impl WsStream {
    /// A connecting stream to `host` (Host header) asking for `path`.
    pub fn client(inner: Stream, host: &str, path: &str, mechanism: i32, as_server: bool) -> WsStream {
        let key: [u8; 16] = random_bytes();
        let (request, key) = handshake::request(host, path, mechanism, &key);
        let mut s = WsStream::new(inner, (mechanism, as_server), Phase::AwaitResponse { key }, true);
        s.tx = request;
        s
    }

    /// An accepted stream; answers the request it will read.
    pub fn server(inner: Stream, mechanism: i32, as_server: bool) -> WsStream {
        WsStream::new(inner, (mechanism, as_server), Phase::AwaitRequest, false)
    }

    fn new(inner: Stream, (mechanism, as_server): (i32, bool), phase: Phase, client: bool) -> WsStream {
        let seed = u64::from_ne_bytes(random_bytes());
        WsStream {
            inner,
            mechanism,
            as_server,
            phase,
            head: Vec::new(),
            decoder: Decoder::new(!client),
            encoder: Encoder::new(client, GREETING_LEN, seed),
            rx: Vec::new(),
            rx_pos: 0,
            raw: vec![0; RAW_READ],
            tx: Vec::new(),
            tx_pos: 0,
            controls: VecDeque::new(),
            closed: false,
            pong: false,
        }
    }

    /// Heartbeat: a ping (the peer's pong is seen by [`WsStream::take_pong`]).
    pub fn send_ping(&mut self) {
        if matches!(self.phase, Phase::Open) {
            self.encoder.control(OP_PING, &[], &mut self.tx);
        }
    }

    /// Whether a pong arrived since the last call.
    pub fn take_pong(&mut self) -> bool {
        std::mem::take(&mut self.pong)
    }

    /// Translated bytes not yet written to the tcp stream.
    pub fn pending_out(&self) -> usize {
        self.tx.len() - self.tx_pos
    }

    /// Writes what is pending; Ok(progress). WouldBlock is not an error here.
    pub fn flush_tx(&mut self) -> io::Result<bool> {
        let mut progress = false;
        while self.tx_pos < self.tx.len() {
            match self.inner.write(&self.tx[self.tx_pos..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.tx_pos += n;
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.tx_pos == self.tx.len() {
            self.tx.clear();
            self.tx_pos = 0;
        } else if self.tx_pos > TX_HIGH {
            self.tx.drain(..self.tx_pos);
            self.tx_pos = 0;
        }
        Ok(progress)
    }

    /// Bytes read from the tcp stream: the handshake head, then frames.
    fn absorb(&mut self, n: usize) -> io::Result<()> {
        let mut start = 0;
        if !matches!(self.phase, Phase::Open) {
            let before = self.head.len();
            self.head.extend_from_slice(&self.raw[..n]);
            let Some(len) = handshake::head_len(&self.head) else {
                return if self.head.len() > handshake::MAX_HEAD { Err(refused()) } else { Ok(()) };
            };
            let head = &self.head[..len];
            match &self.phase {
                Phase::AwaitRequest => match handshake::answer(head, self.mechanism) {
                    Ok(response) => self.tx.extend_from_slice(&response),
                    Err(()) => {
                        self.tx.extend_from_slice(handshake::BAD_REQUEST);
                        let _ = self.flush_tx();
                        return Err(refused());
                    }
                },
                Phase::AwaitResponse { key } => {
                    if !handshake::accepted(head, key, self.mechanism) {
                        return Err(refused());
                    }
                }
                Phase::Open => {}
            }
            self.phase = Phase::Open;
            self.rx.extend_from_slice(&peer_greeting(self.mechanism, !self.as_server));
            // What followed the head in this read is already frames.
            start = len - before;
            self.head = Vec::new();
        }
        // What came before a fault (the 101 answer, pongs) still goes out.
        let decoded = self.decoder.feed(&self.raw[start..n], &mut self.rx, &mut self.controls);
        while let Some(c) = self.controls.pop_front() {
            match c {
                Control::Ping(payload) => self.encoder.control(OP_PONG, &payload, &mut self.tx),
                Control::Pong => self.pong = true,
                Control::Close => {
                    if !self.closed {
                        self.encoder.control(OP_CLOSE, &[], &mut self.tx);
                    }
                    self.closed = true;
                }
            }
        }
        if self.pending_out() > 0 {
            self.flush_tx()?;
        }
        decoded.map_err(|()| refused())
    }
}

impl Read for WsStream {
    /// The engine's input: the made-up greeting, then ZMTP frames.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.rx_pos < self.rx.len() {
                let n = buf.len().min(self.rx.len() - self.rx_pos);
                buf[..n].copy_from_slice(&self.rx[self.rx_pos..self.rx_pos + n]);
                self.rx_pos += n;
                if self.rx_pos == self.rx.len() {
                    self.rx.clear();
                    self.rx_pos = 0;
                }
                return Ok(n);
            }
            if self.closed {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.raw)?;
            if n == 0 {
                self.closed = true;
                return Ok(0);
            }
            self.absorb(n)?;
        }
    }
}

impl Write for WsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// The engine's output, translated into frames; WouldBlock once enough is pending.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.flush_tx()?;
        let mut taken = 0;
        for b in bufs {
            let room = TX_HIGH.saturating_sub(self.pending_out());
            let k = b.len().min(room);
            self.encoder.feed(&b[..k], &mut self.tx);
            taken += k;
            if k < b.len() {
                break;
            }
        }
        self.flush_tx()?;
        if taken == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the engine takes for the peer's greeting: ZMTP 3.1, our mechanism (the
/// subprotocol both agreed on), the peer's role.
fn peer_greeting(mechanism: i32, peer_as_server: bool) -> [u8; GREETING_LEN] {
    let mut g = [0u8; GREETING_LEN];
    g[0] = 0xFF;
    g[8] = 1;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    let name: &[u8] = match mechanism {
        ZMQ_PLAIN => b"PLAIN",
        ZMQ_CURVE => b"CURVE",
        _ => b"NULL",
    };
    g[12..12 + name.len()].copy_from_slice(name);
    g[32] = (peer_as_server && mechanism != crate::constants::ZMQ_NULL) as u8;
    g
}

/// A handshake or frame the peer should not have sent.
fn refused() -> io::Error {
    io::Error::from_raw_os_error(libc::ECONNRESET)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // SAFETY: getrandom writes at most N bytes into the buffer we own.
    let n = unsafe { libc::getrandom(b.as_mut_ptr() as *mut libc::c_void, N, 0) };
    if n != N as isize {
        // No random source (very old kernel): the clock is better than nothing.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> (8 * (i % 16))) as u8 ^ i as u8;
        }
    }
    b
}
