//! Where an engine's decoded messages may go instead of its event queue.

use crate::msg::Msg;

/// Takes application messages as the engine decodes them (`Engine::on_read_into`): an I/O
/// session puts them straight into its pipe, so a read of thousands of small frames never
/// builds a queue of events between the decoder and the pipe.
pub trait MessageSink {
    /// Whether the next message may come (asked before each frame is decoded after the
    /// handshake). No: the engine stops decoding there, and the caller offers the rest
    /// again later (as libzmq's decoder leaves a read's rest in its buffer while the pipe
    /// is full). Frames behind a waiting event are still decoded, into the event queue,
    /// so a run of subscriptions is taken in one go.
    fn ready(&mut self) -> bool;
    fn message(&mut self, msg: Msg);
}
