//! A session's link to the ZAP handler (RFC 27). When its engine raises
//! Event::ZapRequest, the session asks the context for a pipe to the socket bound at
//! inproc://zeromq.zap.01 (`connect_handler`: the handler's socket attaches the other
//! end like an inproc connection), writes the request there and waits for the reply; the
//! pipe wakes the session's I/O thread when it arrives. libzmq's rules decide what
//! happens without a handler.

use super::session::SessionSetup;
use crate::constants::ZMQ_DEALER;
use crate::ctx::Ctx;
use crate::msg::Msg;
use crate::pipe::{Notify, PeerInfo, Pipe, PipeId};
use crate::zmtp::failure::MonitorEvent;
use crate::zmtp::mechanism::{ZapReply, ZapRequest};
use crate::zmtp::zap;
use std::sync::Arc;

/// What became of a request.
#[derive(Debug)]
pub(super) enum ZapOutcome {
    /// Still waiting for the handler.
    Pending,
    Reply(ZapReply),
    /// Go on without asking (no handler, and none required).
    Bypass,
    /// Fail the connection with this event.
    Fail(MonitorEvent),
}

#[derive(Default)]
pub(super) struct ZapClient {
    pipe: Option<Pipe>,
    /// A request was sent and its reply is not in yet.
    waiting: bool,
    /// Frames of the reply read so far.
    reply: Vec<Msg>,
}

impl ZapClient {
    /// Sends `req` to the handler, or decides without one. `address` is the peer's
    /// (Peer-Address); `notify` wakes the session when the reply comes.
    pub fn ask(&mut self, req: &ZapRequest, setup: &SessionSetup, address: &str, notify: Arc<dyn Notify>) -> ZapOutcome {
        let o = &setup.options;
        // CURVE with ZMQ_ZAP_ENFORCE_DOMAIN and no domain does not use ZAP at all.
        if req.mechanism == b"CURVE" && o.zap_enforce_domain && o.zap_domain.is_empty() {
            return ZapOutcome::Bypass;
        }
        if self.pipe.is_none() {
            self.pipe = setup.ctx.upgrade().and_then(|ctx| connect_handler(&ctx));
            if let Some(p) = &self.pipe {
                p.set_owner(notify);
            }
        }
        let Some(pipe) = self.pipe.as_mut() else {
            // PLAIN always needs a handler; the others only under ZMQ_ZAP_ENFORCE_DOMAIN.
            return if req.mechanism == b"PLAIN" || o.zap_enforce_domain {
                ZapOutcome::Fail(MonitorEvent::HandshakeFailedNoDetail(libc::EFAULT))
            } else {
                ZapOutcome::Bypass
            };
        };
        pipe.check_write();
        for frame in zap::request_frames(req, &o.zap_domain, address.as_bytes(), &o.routing_id) {
            // The handler went away: then no reply will come, as in libzmq.
            if pipe.write(frame).is_err() {
                break;
            }
        }
        self.waiting = true;
        self.reply.clear();
        self.poll()
    }

    /// Reads the reply if it has arrived.
    pub fn poll(&mut self) -> ZapOutcome {
        let Some(pipe) = self.pipe.as_mut().filter(|_| self.waiting) else { return ZapOutcome::Pending };
        while let Some(frame) = pipe.read() {
            let last = !frame.more();
            self.reply.push(frame);
            if last {
                self.waiting = false;
                let frames = std::mem::take(&mut self.reply);
                return match zap::parse_reply(&frames) {
                    Ok(reply) => ZapOutcome::Reply(reply),
                    Err(code) => ZapOutcome::Fail(MonitorEvent::HandshakeFailedProtocol(code)),
                };
            }
        }
        ZapOutcome::Pending
    }

    pub fn pipe_id(&self) -> Option<PipeId> {
        self.pipe.as_ref().map(Pipe::id)
    }

    /// The connection is gone: drop the pipe, so a late reply cannot answer the next
    /// connection's request.
    pub fn reset(&mut self) {
        if let Some(mut p) = self.pipe.take() {
            p.close();
        }
        self.waiting = false;
        self.reply.clear();
    }
}

/// A pipe to the ZAP handler (the socket bound to inproc://zeromq.zap.01), which gets the
/// other end like an inproc connection from a DEALER with no routing id. None if no
/// handler is bound. No HWM: a request must never be refused (libzmq does the same).
fn connect_handler(ctx: &Ctx) -> Option<Pipe> {
    let peer = PeerInfo {
        socket_type: ZMQ_DEALER,
        endpoint: format!("inproc://{}", zap::HANDLER_NAME),
        ..PeerInfo::default()
    };
    ctx.inproc_attach(zap::HANDLER_NAME, peer)
}

