//! REQ: request/reply, client side. Each request goes to the next peer (load-balanced)
//! behind an empty delimiter frame; only that peer's reply is accepted.
//!
//! Options:
//! - strict (default): sending again before the reply is EFSM.
//! - ZMQ_REQ_RELAXED: a new request may be sent at any time; the reply to the previous
//!   one is then abandoned (it is dropped when it arrives, the pipe stays in use).
//! - ZMQ_REQ_CORRELATE: each request is prefixed with a 4-byte request id (before the
//!   delimiter); a reply is accepted only if it starts with the current request's id.

use super::dealer::Dealer;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

pub struct Req {
    dealer: Dealer,
    /// A request was sent; waiting for its reply.
    receiving_reply: bool,
    /// The next frame sent/received starts a message.
    message_begins: bool,
    /// The pipe the current request went to; replies from elsewhere are dropped.
    reply_pipe: Option<PipeId>,
    /// The id of the current request (ZMQ_REQ_CORRELATE); incremented per request.
    request_id: u32,
}

impl Default for Req {
    fn default() -> Req {
        Req {
            dealer: Dealer::default(),
            receiving_reply: false,
            message_begins: true,
            reply_pipe: None,
            // libzmq starts at a random value, so ids from a previous socket (e.g. after
            // a restart) are unlikely to match.
            request_id: random_u32(),
        }
    }
}

/// A cheap random seed: the standard library's per-process random SipHash keys, mixed
/// with the clock and a counter.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish() as u32
}

impl Req {
    /// Next frame of the reply pipe; frames from other pipes are dropped.
    fn recv_reply_pipe(&mut self, core: &mut Core) -> Result<Msg> {
        loop {
            let (msg, id) = self.dealer.fq.recv(core)?;
            if Some(id) == self.reply_pipe {
                return Ok(msg);
            }
        }
    }

    /// Read and throw away the rest of a message whose frame `last` was just read.
    fn skip_rest(&mut self, core: &mut Core, last: &Msg) -> Result<()> {
        let mut more = last.more();
        while more {
            more = self.recv_reply_pipe(core)?.more();
        }
        Ok(())
    }

    /// Start a request: the request id (if correlating) and the delimiter, to one peer.
    fn begin_request(&mut self, core: &mut Core) -> Result<()> {
        // The envelope and the request must go to the same peer: only start when a peer
        // can take the message.
        if !self.dealer.lb.has_out(core) {
            return Err(Error::AGAIN);
        }
        self.reply_pipe = None;
        if core.options.req_correlate {
            self.request_id = self.request_id.wrapping_add(1);
            let mut id = Msg::from_slice(&self.request_id.to_ne_bytes());
            id.set_more(true);
            self.reply_pipe = self.dealer.lb.send(core, &mut id)?;
        }
        let mut delim = Msg::new();
        delim.set_more(true);
        let pipe = self.dealer.lb.send(core, &mut delim)?;
        if self.reply_pipe.is_none() {
            self.reply_pipe = pipe;
        }
        self.message_begins = false;
        // Whatever already arrived answers an earlier request: drop it now, so an old
        // reply from the peer this request goes to can't pass for the new one.
        while self.dealer.fq.recv(core).is_ok() {}
        Ok(())
    }
}

impl Pattern for Req {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.dealer.attach(core, id);
    }

    fn detach(&mut self, core: &mut Core, id: PipeId) {
        self.dealer.detach(core, id);
        if self.reply_pipe == Some(id) {
            self.reply_pipe = None;
        }
    }

    fn read_activated(&mut self, core: &mut Core, id: PipeId) {
        self.dealer.read_activated(core, id);
    }

    fn write_activated(&mut self, core: &mut Core, id: PipeId) {
        self.dealer.write_activated(core, id);
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if self.receiving_reply {
            if !core.options.req_relaxed {
                return Err(Error::FSM);
            }
            // Relaxed: abandon the pending reply and start a new request.
            self.receiving_reply = false;
            self.message_begins = true;
        }
        if self.message_begins {
            self.begin_request(core)?;
        }
        let more = msg.more();
        self.dealer.lb.send(core, msg)?;
        if !more {
            self.receiving_reply = true;
            self.message_begins = true;
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        if !self.receiving_reply {
            return Err(Error::FSM);
        }
        // Skip messages until one starts with the expected envelope.
        while self.message_begins {
            if core.options.req_correlate {
                let id = self.recv_reply_pipe(core)?;
                if !id.more() || id.data() != self.request_id.to_ne_bytes() {
                    self.skip_rest(core, &id)?;
                    continue;
                }
            }
            let delim = self.recv_reply_pipe(core)?;
            if !delim.more() || !delim.is_empty() {
                self.skip_rest(core, &delim)?;
                continue;
            }
            self.message_begins = false;
        }
        let msg = self.recv_reply_pipe(core)?;
        if !msg.more() {
            self.receiving_reply = false;
            self.message_begins = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.receiving_reply && self.dealer.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        (!self.receiving_reply || core.options.req_relaxed) && self.dealer.has_out(core)
    }
}
