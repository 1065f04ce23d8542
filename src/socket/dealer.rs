//! DEALER: load-balances outgoing messages, fair-queues incoming ones.

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
    fn attach(&mut self, _core: &mut Core, id: PipeId) {
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
        self.fq.recv(core).map(|(m, _)| m)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.fq.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.lb.has_out(core)
    }
}
