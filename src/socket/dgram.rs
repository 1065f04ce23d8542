//! DGRAM: raw udp datagrams as two-part messages, the peer's "ip:port" then the body,
//! both ways. A PAIR (one pipe: the udp endpoint it is bound to) that insists on that
//! shape: the address must be sent with ZMQ_SNDMORE and the body without (EINVAL
//! otherwise, as libzmq).

use super::pair::Pair;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Dgram {
    pair: Pair,
    /// The address frame was sent; the body comes next.
    more_out: bool,
}

impl Pattern for Dgram {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.pair.attach(core, id)
    }

    fn detach(&mut self, core: &mut Core, id: PipeId) {
        self.pair.detach(core, id);
        self.more_out = false;
    }

    fn read_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if msg.more() == self.more_out {
            return Err(Error::INVAL);
        }
        self.pair.send(core, msg)?;
        self.more_out = !self.more_out;
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        self.pair.recv(core)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.pair.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.pair.has_out(core)
    }
}
