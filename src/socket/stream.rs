//! STREAM: raw TCP connections (no ZMTP). Each connection gets a routing id (5 bytes
//! generated, starting with 0, or the ZMQ_CONNECT_ROUTING_ID of its connect); every
//! message received is [routing id, data], every message sent is [routing id, data].
//! An empty data frame received is a connect or disconnect notification
//! (ZMQ_STREAM_NOTIFY); an empty data frame sent closes that connection. Sends to an
//! unknown routing id fail with EHOSTUNREACH.
//!
//! The bytes themselves are read and written by the I/O thread's raw engine
//! (src/io/raw.rs); this side only routes.

use super::router::Routes;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Stream {
    routes: Routes,
    /// The routing id frame was sent; the data frame comes next, for `routes.out`
    /// (None: dropped).
    more_out: bool,
}

impl Pattern for Stream {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        // A connect's pipe carries its ZMQ_CONNECT_ROUTING_ID; the rest get generated ids,
        // and (as in libzmq) the socket's ZMQ_ROUTING_ID reads as the last one made.
        let named = core.pipe(id).map(|p| p.peer.routing_id.clone()).unwrap_or_default();
        let rid = if !named.is_empty() && self.routes.peers.pipe_of(&named).is_none() {
            named
        } else {
            let rid = self.routes.peers.generate_id();
            core.options.routing_id = rid.clone();
            rid
        };
        self.routes.add(rid, id);
    }

    // These three forward to the routes as router.rs's do: one line each, kept per
    // pattern like every Pattern method (the send/recv around them differ).
    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.routes.detach(id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.routes.read_activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if !self.more_out {
            // The routing id. Without SNDMORE it names nobody, and the next frame is
            // still taken as the data (dropped), as libzmq does.
            self.routes.out = None;
            if msg.more() {
                let id = self.routes.peers.pipe_of(msg.data()).ok_or(Error::HOSTUNREACH)?;
                if !core.check_write(id) {
                    // A connection that is gone (its disconnect already delivered) is
                    // unreachable, not busy.
                    let gone = core.pipe(id).is_none_or(|p| p.peer_gone());
                    return Err(if gone { Error::HOSTUNREACH } else { Error::AGAIN });
                }
                self.routes.out = Some(id);
            }
            self.more_out = true;
            msg.take();
            return Ok(());
        }
        // The data: one frame whatever its MORE flag; empty closes the connection.
        self.more_out = false;
        let mut data = msg.take();
        data.set_more(false);
        if let Some(id) = self.routes.out.take() {
            if data.is_empty() {
                core.close_pipe(id);
            } else {
                let _ = core.write(id, data);
            }
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        self.routes.recv(core)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.routes.has_in(core)
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        true
    }
}
