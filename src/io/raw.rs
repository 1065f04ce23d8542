//! The raw engine: a connection without ZMTP (STREAM sockets, ROUTER_RAW). Whatever one
//! read returns is one message; every message sent is written as plain bytes. With
//! ZMQ_STREAM_NOTIFY the socket gets an empty message when the connection is made and
//! another when it is lost.

use super::stream::Stream;
use crate::msg::{Metadata, Msg};
use crate::zmtp::outbuf::OutQueue;
use crate::zmtp::Engine;
use std::io::{ErrorKind, IoSlice, Write};
use std::sync::Arc;


pub(super) struct RawEngine {
    out: OutQueue,
    meta: Arc<Metadata>,
    notify: bool,
}

impl RawEngine {
    /// `properties` are the connection's metadata (Peer-Address, ...), attached to every
    /// message received.
    pub(super) fn new(notify: bool, properties: &[(String, Vec<u8>)]) -> RawEngine {
        let mut meta = Metadata::new();
        for (name, value) in properties {
            meta.set(name, value);
        }
        RawEngine { out: OutQueue::default(), meta: Arc::new(meta), notify }
    }

    pub(super) fn metadata(&self) -> &Arc<Metadata> {
        &self.meta
    }

    /// One received chunk as a message.
    pub(super) fn message(&self, data: &[u8]) -> Msg {
        let mut m = Msg::from_slice(data);
        m.set_metadata(Some(self.meta.clone()));
        m
    }

    /// The connect (or disconnect) notification, if the socket wants them.
    pub(super) fn notification(&self) -> Option<Msg> {
        self.notify.then(|| self.message(&[]))
    }

    pub(super) fn send(&mut self, msg: &Msg) {
        self.out.push_body(msg);
    }
}

/// The output side both engines share, so one write loop serves them.
pub(super) trait Output {
    fn out_len(&self) -> usize;
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>], limit: usize) -> usize;
    fn consume_out(&mut self, n: usize);
}

impl Output for RawEngine {
    fn out_len(&self) -> usize {
        self.out.len()
    }
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>], limit: usize) -> usize {
        self.out.io_slices(slices, limit)
    }
    fn consume_out(&mut self, n: usize) {
        self.out.consume(n)
    }
}

impl Output for Engine {
    fn out_len(&self) -> usize {
        Engine::out_len(self)
    }
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>], limit: usize) -> usize {
        Engine::out_slices(self, slices, limit)
    }
    fn consume_out(&mut self, n: usize) {
        Engine::consume_out(self, n)
    }
}

/// Bytes to hand a tcp socket per write while less than `TCP_SPLIT_BELOW` is queued.
/// Measured on loopback (Linux 6.18, 2 vCPUs, libzmq's local_thr/remote_thr): writes of
/// 64 KiB and more (one 64 KiB message, or a batch of three 30 KB ones) cost the sender
/// 35-48 us of CPU per 64 KiB, nearly all in the kernel delivering to the peer, and woke
/// the receiver 2.6 times per message; the same bytes in writes of at most 24-48 KiB
/// cost 12-15 us, and ran 2.5-3x faster (64 KiB messages: 21-28k msg/s -> 65-79k).
/// Batches of small messages do not care (1 KiB: the same rate and CPU within noise).
const TCP_WRITE: usize = 32 << 10;
/// With this much queued (a large message) a whole writev goes as is: 1 MiB messages
/// ran 10-30% slower in 32 KiB writes, and the split above made no difference to them.
const TCP_SPLIT_BELOW: usize = 128 << 10;

/// How many of `queued` bytes to offer the stream in one write.
fn write_limit(stream: &Stream, queued: usize) -> usize {
    match stream {
        Stream::Tcp(_) if queued < TCP_SPLIT_BELOW => TCP_WRITE,
        _ => usize::MAX,
    }
}

/// Write queued output until it is gone or the stream would block. Ok(progress); Err if
/// the connection failed, with its errno (EPIPE when the peer closed).
pub(super) fn write_out(stream: &mut Stream, out: &mut dyn Output) -> Result<bool, i32> {
    // What a layer over the socket (ws) still holds goes first.
    let mut progress = stream.flush_pending().map_err(|e| e.raw_os_error().unwrap_or(libc::EPIPE))?;
    while out.out_len() > 0 {
        let written = {
            let mut slices = [IoSlice::new(&[]); 64];
            let n = out.out_slices(&mut slices, write_limit(stream, out.out_len()));
            stream.write_vectored(&slices[..n])
        };
        match written {
            Ok(0) => return Err(libc::EPIPE),
            Ok(n) => {
                out.consume_out(n);
                progress = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
    Ok(progress)
}
