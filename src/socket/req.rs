//! REQ: strict request/reply. Each request goes to the next peer (load-balanced) behind
//! an empty delimiter frame; only that peer's reply is accepted; sending again before the
//! reply is EFSM.

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
}

impl Default for Req {
    fn default() -> Req {
        Req { dealer: Dealer::default(), receiving_reply: false, message_begins: true, reply_pipe: None }
    }
}

impl Req {
    /// Read and throw away the rest of a message whose first frame was `first`.
    fn skip_rest(&mut self, core: &mut Core, first: &Msg) {
        let mut more = first.more();
        while more {
            match self.dealer.fq.recv(core) {
                Ok((m, _)) => more = m.more(),
                Err(_) => break,
            }
        }
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
            return Err(Error::FSM);
        }
        if self.message_begins {
            // The delimiter and the request must go to the same peer: only start when a
            // peer can take the message.
            if !self.dealer.lb.has_out(core) {
                return Err(Error::AGAIN);
            }
            let mut delim = Msg::new();
            delim.set_more(true);
            self.reply_pipe = self.dealer.lb.send(core, &mut delim)?;
            self.message_begins = false;
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
        loop {
            let (msg, id) = self.dealer.fq.recv(core)?;
            if self.message_begins {
                // A reply starts with the empty delimiter and comes from the peer we asked.
                if Some(id) != self.reply_pipe || !msg.is_empty() || !msg.more() {
                    self.skip_rest(core, &msg);
                    continue;
                }
                self.message_begins = false;
                continue;
            }
            if !msg.more() {
                self.receiving_reply = false;
                self.message_begins = true;
            }
            return Ok(msg);
        }
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.receiving_reply && self.dealer.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        !self.receiving_reply && self.dealer.has_out(core)
    }
}
