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
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize;
    fn consume_out(&mut self, n: usize);
}

impl Output for RawEngine {
    fn out_len(&self) -> usize {
        self.out.len()
    }
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        self.out.io_slices(slices)
    }
    fn consume_out(&mut self, n: usize) {
        self.out.consume(n)
    }
}

impl Output for Engine {
    fn out_len(&self) -> usize {
        Engine::out_len(self)
    }
    fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        Engine::out_slices(self, slices)
    }
    fn consume_out(&mut self, n: usize) {
        Engine::consume_out(self, n)
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
            let n = out.out_slices(&mut slices);
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
