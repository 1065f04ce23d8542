//! DEALER: load-balances outgoing messages, fair-queues incoming ones.
//! With ZMQ_PROBE_ROUTER, every new pipe first gets an empty message (so a ROUTER peer
//! learns of us before we send anything). REQ is built on this and does the same.

use super::fq::FairQueue;
use super::lb::LoadBalancer;
use super::{Core, Pattern};
use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Dealer {
    pub(super) fq: FairQueue,
    pub(super) lb: LoadBalancer,
}

impl Pattern for Dealer {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        if core.options.probe_router {
            send_probe(core, id);
        }
        self.fq.attach(id);
        self.lb.attach(id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.detach(id);
        self.lb.detach(id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.lb.activated(id);
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        self.lb.send(core, msg).map(|_| ())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        super::recv_by_into(self, core)
    }

    fn hands_out_what_it_reads(&self) -> bool {
        true
    }

    #[inline]
    fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        self.fq.recv_into(core, out).map(|_| ())
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.fq.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.lb.has_out(core)
    }
}

/// ZMQ_PROBE_ROUTER: write an empty message straight into a new pipe (it is fresh, so it
/// has room unless the HWM is 0-sized; a probe that can't be written is not an error).
/// Pipes of tcp/ipc connections made after the handshake were probed by their session.
pub(super) fn send_probe(core: &mut Core, id: PipeId) {
    if core.pipe(id).is_some_and(|p| !p.peer.probed) && core.check_write(id) {
        let _ = core.write(id, Msg::new());
    }
}
