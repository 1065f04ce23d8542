//! REP: strict reply side. A request's envelope (routing id plus any frames up to the
//! empty delimiter) is kept and put back in front of the reply.

use super::router::Router;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

pub struct Rep {
    router: Router,
    /// A request was received; a reply is due.
    sending_reply: bool,
    /// The next frame received starts a request.
    request_begins: bool,
    /// The current request's envelope, including the delimiter.
    envelope: Vec<Msg>,
    /// The reply has started (envelope sent).
    reply_started: bool,
}

impl Default for Rep {
    fn default() -> Rep {
        Rep { router: Router::default(), sending_reply: false, request_begins: true, envelope: Vec::new(), reply_started: false }
    }
}

impl Pattern for Rep {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.router.attach(core, id);
    }

    fn detach(&mut self, core: &mut Core, id: PipeId) {
        self.router.detach(core, id);
    }

    fn read_activated(&mut self, core: &mut Core, id: PipeId) {
        self.router.read_activated(core, id);
    }

    fn write_activated(&mut self, core: &mut Core, id: PipeId) {
        self.router.write_activated(core, id);
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if !self.sending_reply {
            return Err(Error::FSM);
        }
        if !self.reply_started {
            for mut frame in std::mem::take(&mut self.envelope) {
                frame.set_more(true);
                self.router.send(core, &mut frame)?;
            }
            self.reply_started = true;
        }
        let more = msg.more();
        self.router.send(core, msg)?;
        if !more {
            self.sending_reply = false;
            self.reply_started = false;
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        if self.sending_reply {
            return Err(Error::FSM);
        }
        if self.request_begins {
            // Collect the envelope: the routing id, then frames up to the empty delimiter.
            'request: loop {
                self.envelope.clear();
                let rid = self.router.recv(core)?;
                self.envelope.push(rid);
                loop {
                    let frame = self.router.recv(core)?;
                    let (more, delimiter) = (frame.more(), frame.is_empty());
                    if !more {
                        // No delimiter: malformed request, drop it.
                        continue 'request;
                    }
                    self.envelope.push(frame);
                    if delimiter {
                        break 'request;
                    }
                }
            }
            self.request_begins = false;
        }
        let msg = self.router.recv(core)?;
        if !msg.more() {
            self.sending_reply = true;
            self.request_begins = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        !self.sending_reply && self.router.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.sending_reply && self.router.has_out(core)
    }
}
