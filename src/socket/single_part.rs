//! What the thread-safe socket types (SERVER, CLIENT, SCATTER, GATHER, CHANNEL, PEER) share:
//! they carry single-part messages only. Sending a frame with MORE set is refused with
//! EINVAL; a multipart message arriving from a peer (a classic-socket peer, or a hostile
//! one) is dropped whole, as libzmq does.

use super::{Core, Pattern};
use crate::constants::ZMQ_GATHER;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

/// EINVAL for a frame sent with ZMQ_SNDMORE.
pub(super) fn refuse_multipart(msg: &Msg) -> Result<()> {
    if msg.more() {
        Err(Error::INVAL)
    } else {
        Ok(())
    }
}

/// The next single-part message from `next_frame` (which gives EAGAIN when nothing is
/// queued), skipping every frame of multipart ones. Whole messages are queued at once,
/// so the rest of a multipart message is always there to skip.
pub(super) fn recv_single<T>(mut next_frame: impl FnMut() -> Result<(Msg, T)>) -> Result<(Msg, T)> {
    loop {
        let (msg, from) = next_frame()?;
        if !msg.more() {
            return Ok((msg, from));
        }
        loop {
            let (rest, _) = next_frame()?;
            if !rest.more() {
                break;
            }
        }
    }
}

/// A classic pattern restricted to single-part messages: CLIENT is a DEALER, SCATTER a
/// PUSH, GATHER a PULL and CHANNEL a PAIR, each with only that difference.
#[derive(Default)]
pub struct SinglePart<P>(P);

impl<P: Pattern> Pattern for SinglePart<P> {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.0.attach(core, id)
    }

    fn detach(&mut self, core: &mut Core, id: PipeId) {
        self.0.detach(core, id)
    }

    fn read_activated(&mut self, core: &mut Core, id: PipeId) {
        self.0.read_activated(core, id)
    }

    fn write_activated(&mut self, core: &mut Core, id: PipeId) {
        self.0.write_activated(core, id)
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        // GATHER never sends: ENOTSUP whatever the flags, as libzmq (PULL's answer).
        if core.options.socket_type != ZMQ_GATHER {
            refuse_multipart(msg)?;
        }
        self.0.send(core, msg)
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        recv_single(|| self.0.recv(core).map(|m| (m, ()))).map(|(m, ())| m)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.0.has_in(core)
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.0.has_out(core)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recv_single_skips_whole_multipart_messages() {
        let frame = |data: &[u8], more: bool| {
            let mut m = Msg::from_slice(data);
            m.set_more(more);
            m
        };
        let mut queue = vec![frame(b"a1", true), frame(b"a2", true), frame(b"a3", false), frame(b"b", false)].into_iter();
        let mut next = || queue.next().map(|m| (m, ())).ok_or(Error::AGAIN);
        assert_eq!(recv_single(&mut next).unwrap().0.data(), b"b");
        assert_eq!(recv_single(&mut next).err(), Some(Error::AGAIN));
        assert_eq!(refuse_multipart(&frame(b"x", true)), Err(Error::INVAL));
        assert_eq!(refuse_multipart(&frame(b"x", false)), Ok(()));
    }
}
