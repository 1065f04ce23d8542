//! PUSH: load-balances messages over its peers; never receives.

use super::lb::LoadBalancer;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, _core: &mut Core, id: PipeId) {
        self.lb.attach(id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.lb.detach(id);
    }

    fn read_activated(&mut self, core: &mut Core, id: PipeId) {
        // PULL peers never send; this only tells us the pipe closed. Drain to notice.
        while core.read(id).is_some() {}
    }

    fn write_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.lb.activated(id);
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        self.lb.send(core, msg).map(|_| ())
    }

    fn recv(&mut self, _core: &mut Core) -> Result<Msg> {
        Err(Error::NOTSUP)
    }

    fn has_in(&mut self, _core: &mut Core) -> bool {
        false
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.lb.has_out(core)
    }
}
