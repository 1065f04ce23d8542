//! Pipes: the lock-free message queues between a socket and each of its peers.
//!
//! A pipe is two one-way queues; each end (`Pipe`) writes one and reads the other. Each
//! queue has exactly one writer and one reader. Whole messages are queued as one item, so
//! a reader never sees half of a multipart message. The high-water mark counts whole
//! messages. Wake-ups are sent only on transitions: a reader that found its queue empty
//! marks itself asleep and is notified by the next write; a writer that hit the HWM marks
//! itself asleep and is notified when the reader frees space. Everything else is plain
//! atomics: no locks on the message path.

mod cache_line;
mod events;
mod metadata;
mod read;
mod spsc;

pub use events::{Notifier, Notify, PipeEvent, PipeId, PipeIdHasher, PipeMap};

use crate::msg::{Metadata, Msg};
use cache_line::CacheLine;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

enum Item {
    One(Msg),
    Many(Vec<Msg>),
}

// A queue slot is one message's size (`Many` lives in `One`'s niche, see msg::Magic).
const _: () = assert!(std::mem::size_of::<Item>() == std::mem::size_of::<Msg>());

/// One direction of a pipe: its state shared by writer and reader. The messages travel
/// in an `spsc` queue whose two ends the two `Pipe` ends own.
struct Queue {
    /// ZMQ_CONFLATE: the newest message, kept here instead of the queue (the writer
    /// replaces it; the queue allows no removal by the writer).
    latest: Mutex<Option<Item>>,
    /// Max whole messages in flight; 0 = unlimited. Atomic because an inproc pipe made
    /// before its bind learns the binder's RCVHWM later.
    hwm: AtomicU64,
    /// Whole messages read, as last published by the reader (see `low_water_mark`).
    /// This and `dry_read` are the reader's to write (`dry_read` each time it runs dry);
    /// the writer reads them rarely.
    read: CacheLine<AtomicU64>,
    /// Whole messages read when the reader last found the queue empty (see `fetch`).
    dry_read: CacheLine<AtomicU64>,
    /// Set by a reader that ran dry, cleared by the writer that wakes it: the writer
    /// looks at it on every flush, the reader sets it once per batch, so it has its own
    /// line, away from the fields the writer reads on every message (hwm, the flags).
    reader_asleep: CacheLine<AtomicBool>,
    writer_asleep: CacheLine<AtomicBool>,
    writer_closed: AtomicBool,
    reader_closed: AtomicBool,
    /// ZMQ_CONFLATE: a new message replaces whatever is still unread.
    conflate: AtomicBool,
    /// Set once the reading end has an owner (inproc connect-before-bind attaches later).
    reader: OnceLock<Notifier>,
    writer: OnceLock<Notifier>,
    /// The writer's last words: a message it writes when it closes (the reader's DRAFT
    /// ZMQ_DISCONNECT_MSG on an inproc pipe). Set by either end, at most once.
    farewell: OnceLock<Vec<u8>>,
}

impl Queue {
    fn new(hwm: u64) -> Arc<Queue> {
        Arc::new(Queue {
            latest: Mutex::new(None),
            hwm: AtomicU64::new(hwm),
            read: CacheLine(AtomicU64::new(0)),
            dry_read: CacheLine(AtomicU64::new(0)),
            // The reader has not looked yet: the first message must wake it, so that a
            // socket's ZMQ_FD signals data on a brand-new pipe too.
            reader_asleep: CacheLine(AtomicBool::new(true)),
            writer_asleep: CacheLine(AtomicBool::new(false)),
            writer_closed: AtomicBool::new(false),
            reader_closed: AtomicBool::new(false),
            conflate: AtomicBool::new(false),
            reader: OnceLock::new(),
            writer: OnceLock::new(),
            farewell: OnceLock::new(),
        })
    }

    fn tell_reader(&self, ev: fn(PipeId) -> PipeEvent) {
        if let Some(n) = self.reader.get() {
            n.target.notify(ev(n.id));
        }
    }

    fn tell_writer(&self, ev: fn(PipeId) -> PipeEvent) {
        if let Some(n) = self.writer.get() {
            n.target.notify(ev(n.id));
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> PipeId {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Facts about the peer at the other end, learnt at attach time (ZMTP READY or inproc).
#[derive(Clone, Default, Debug)]
pub struct PeerInfo {
    pub routing_id: Vec<u8>,
    pub socket_type: i32,
    pub meta: Option<Arc<crate::msg::Metadata>>,
    /// The endpoint this pipe was made for (for disconnect/unbind).
    pub endpoint: String,
    /// The connection's local and remote addresses, where known when the pipe was made
    /// (ZMQ_EVENT_PIPES_STATS names them).
    pub local_addr: String,
    pub remote_addr: String,
    /// For inproc: the peer socket's (SNDHWM, RCVHWM), which add to ours in the pipe's
    /// limits (libzmq's HWM boost).
    pub inproc_hwms: Option<(i32, i32)>,
    /// ZMQ_PROBE_ROUTER's empty message was already sent to this peer (by the I/O
    /// session, for pipes it makes after the handshake), so the socket must not send it.
    pub probed: bool,
}

/// One end of a pipe.
pub struct Pipe {
    id: PipeId,
    out: Arc<Queue>,
    inn: Arc<Queue>,
    tx: spsc::Producer<Item>,
    rx: spsc::Consumer<Item>,
    /// Frames of a multipart message being written, queued when its last frame arrives.
    partial: Vec<Msg>,
    /// Frames left of a multipart message being read.
    reading: std::collections::VecDeque<Msg>,
    /// Local count of whole messages written (the shared counter is published from it).
    written: u64,
    /// Local count of whole messages read (published to the writer the same way).
    read: u64,
    /// The read count as last published to the writer.
    published: u64,
    /// The read count as last said on running dry (`fetch`).
    dry_told: u64,
    /// The peer's read count as this writer last took it in (see `check_write`).
    peer_read: u64,
    /// When `peer_read` was last taken in.
    peer_read_at: std::time::Instant,
    /// The last `check_write` said "full".
    refused: bool,
    /// Messages were written but not yet published to the reader (`write_unflushed`).
    unflushed: bool,
    /// Our end was closed locally.
    closed: bool,
    /// Metadata written once per change, not with every message (see `metadata.rs`).
    meta_sent: metadata::SentMeta,
    meta_seen: metadata::SeenMeta,
    pub peer: PeerInfo,
}

/// Make a pipe. `hwm_ab` limits messages from `a` to `b`, `hwm_ba` the other way.
pub fn pair(hwm_ab: u64, hwm_ba: u64) -> (Pipe, Pipe) {
    let ab = Queue::new(hwm_ab);
    let ba = Queue::new(hwm_ba);
    let (ab_tx, ab_rx) = spsc::channel();
    let (ba_tx, ba_rx) = spsc::channel();
    let a = Pipe::new(ab.clone(), ba.clone(), ab_tx, ba_rx);
    let b = Pipe::new(ba, ab, ba_tx, ab_rx);
    (a, b)
}

/// libzmq's pipe limit for a socket-to-socket (inproc) pipe: the sender's SNDHWM plus the
/// receiver's RCVHWM, unlimited if either is 0.
pub fn combined_hwm(sndhwm: i32, rcvhwm: i32) -> u64 {
    if sndhwm <= 0 || rcvhwm <= 0 {
        0
    } else {
        sndhwm as u64 + rcvhwm as u64
    }
}

/// How long a writer may go on with an old view of the reader's progress (libzmq's
/// max_command_delay: a sending socket processes commands about once per ms).
const PEER_READ_DELAY: std::time::Duration = std::time::Duration::from_millis(1);

/// How many reads between publications of the read count: libzmq's low-water mark,
/// half the HWM. The mark follows the HWM as it is now; a reader that runs dry says so
/// apart (`fetch`).
/// Without a HWM nobody waits on the count (libzmq never tells it then), so it is told
/// every `UNLIMITED_MARK` reads: each telling is a full barrier on a line the writer
/// reads, which a fan-out's subscriber paid on every message. A limit set later on the
/// live pipe (ZMQ_SNDHWM) still works: the writer may see it reached early, sleeps, and
/// the reader's next read publishes (its untold reads exceed the new, smaller mark), or
/// the reader ran dry and said so.
fn low_water_mark(hwm: u64) -> u64 {
    if hwm == 0 {
        UNLIMITED_MARK
    } else {
        hwm.div_ceil(2)
    }
}

const UNLIMITED_MARK: u64 = 1024;

impl Pipe {
    fn new(out: Arc<Queue>, inn: Arc<Queue>, tx: spsc::Producer<Item>, rx: spsc::Consumer<Item>) -> Pipe {
        Pipe {
            id: next_id(),
            out,
            inn,
            tx,
            rx,
            partial: Vec::new(),
            reading: Default::default(),
            written: 0,
            read: 0,
            published: 0,
            dry_told: 0,
            peer_read: 0,
            peer_read_at: std::time::Instant::now(),
            refused: false,
            unflushed: false,
            closed: false,
            meta_sent: Default::default(),
            meta_seen: Default::default(),
            peer: PeerInfo::default(),
        }
    }

    pub fn id(&self) -> PipeId {
        self.id
    }

    /// Give this end an owner to notify. Only the first call takes effect.
    pub fn set_owner(&self, target: Arc<dyn Notify>) {
        let n = Notifier { target, id: self.id };
        let _ = self.inn.reader.set(n.clone());
        let _ = self.out.writer.set(n);
        // Anything that happened before we had an owner: report it now.
        if !self.nothing_queued() || self.inn.writer_closed.load(Ordering::SeqCst) {
            self.inn.tell_reader(PipeEvent::Readable);
        }
    }

    /// Whether a new message may be written now (HWM not reached, peer still there).
    /// If not, the writer is marked asleep and will get `Writable` when space frees.
    #[inline]
    pub fn check_write(&mut self) -> bool {
        if self.closed || self.out.reader_closed.load(Ordering::Acquire) {
            return false;
        }
        let hwm = self.out.hwm.load(Ordering::Relaxed);
        if !self.partial.is_empty() || hwm == 0 || self.written - self.peer_read < hwm {
            return true;
        }
        self.check_write_at_hwm(hwm)
    }

    /// `check_write` once the HWM is reached as far as this end knows.
    #[inline(never)]
    fn check_write_at_hwm(&mut self, hwm: u64) -> bool {
        // Full as far as this end knows. libzmq's writer learns of reads only from the
        // reader's activate_write commands, which a sending socket takes in at most once
        // per millisecond, so a burst of non-blocking sends meets the HWM even when the
        // reader is keeping up (test_hwm_pubsub's blocking tests count on it). Here the
        // reader's progress is taken in once a millisecond, or on the check after one
        // that said "full" (the owner comes back after a Writable event or on its next
        // send).
        let now = std::time::Instant::now();
        if self.refused || now.duration_since(self.peer_read_at) >= PEER_READ_DELAY {
            self.peer_read_at = now;
            self.peer_read = self.peer_read.max(self.out.read.load(Ordering::SeqCst));
            // The reader ran dry having read all we wrote (which it says apart from the
            // published count, see `fetch`): only a lowered HWM gets us here.
            if self.out.dry_read.load(Ordering::SeqCst) == self.written {
                self.peer_read = self.written;
            }
            if self.written - self.peer_read < hwm {
                self.refused = false;
                self.out.writer_asleep.store(false, Ordering::SeqCst);
                return true;
            }
        }
        self.refused = true;
        self.out.writer_asleep.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let progress = self.out.read.load(Ordering::SeqCst) > self.peer_read
            || self.out.dry_read.load(Ordering::SeqCst) == self.written;
        if progress && self.out.writer_asleep.swap(false, Ordering::SeqCst) {
            // The reader already published progress or ran dry (while we were not asleep,
            // so it told no one): make sure we come back for it.
            self.out.tell_writer(PipeEvent::Writable);
        }
        false
    }

    /// Write one frame. Call `check_write` before the first frame of each message.
    /// Returns false (and gives the frame back) if the peer is gone.
    #[inline]
    pub fn write(&mut self, msg: Msg) -> Result<(), Msg> {
        self.write_unflushed(msg)?;
        self.flush();
        Ok(())
    }

    /// Like `write`, but the reader sees the message only after `flush`: an I/O session
    /// writes everything decoded from one read and then wakes the socket once, so the
    /// socket takes a batch per wake-up instead of sleeping again after every message.
    #[inline]
    pub fn write_unflushed(&mut self, mut msg: Msg) -> Result<(), Msg> {
        if self.closed || self.out.reader_closed.load(Ordering::Acquire) {
            return Err(msg);
        }
        let conflate = self.out.conflate.load(Ordering::Relaxed);
        self.meta_sent.elide(&mut msg, conflate);
        self.queue(msg, conflate);
        Ok(())
    }

    /// `write_unflushed` for a message that goes with `meta` (an I/O session's decoded
    /// messages and their connection's metadata): the metadata is attached only when it
    /// is not the one the reader already has, with no reference count touched otherwise.
    pub fn write_unflushed_with_meta(&mut self, mut msg: Msg, meta: Option<&Arc<Metadata>>) -> Result<(), Msg> {
        if self.closed || self.out.reader_closed.load(Ordering::Acquire) {
            return Err(msg);
        }
        let conflate = self.out.conflate.load(Ordering::Relaxed);
        self.meta_sent.attach(&mut msg, meta, conflate);
        self.queue(msg, conflate);
        Ok(())
    }

    /// `conflate`: the pipe's ZMQ_CONFLATE, as the caller read it.
    #[inline]
    fn queue(&mut self, msg: Msg, conflate: bool) {
        if msg.more() {
            self.partial.push(msg);
            return;
        }
        let item = if self.partial.is_empty() {
            Item::One(msg)
        } else {
            let mut frames = std::mem::take(&mut self.partial);
            frames.push(msg);
            Item::Many(frames)
        };
        self.written += 1;
        self.unflushed = true;
        if conflate {
            self.replace_latest(item);
        } else {
            self.tx.push(item);
        }
    }

    /// ZMQ_CONFLATE's write: the item replaces whatever is unread.
    #[inline(never)]
    fn replace_latest(&mut self, item: Item) {
        // Conflating pipes have no HWM, so the read count does not matter here.
        let old = self.out.latest.lock().unwrap_or_else(|e| e.into_inner()).replace(item);
        drop(old);
        // The newest message is for the reader now, not at the end of the writer's
        // batch (a session decoding a flood would otherwise wake it once per read,
        // with a message as old as that read).
        self.flush();
    }

    /// Publish what `write_unflushed` wrote; wake the reader if it was asleep.
    #[inline]
    pub fn flush(&mut self) {
        if !self.unflushed {
            return;
        }
        self.unflushed = false;
        // A SeqCst store (publish) then a SeqCst load (reader_asleep), against the
        // reader's SeqCst store of reader_asleep then SeqCst load of the count in `fetch`:
        // one of us sees the other, so no wake-up is lost and no fence is needed.
        // `latest` (conflate) is a mutex, outside that order: fence for it.
        self.tx.publish();
        if self.out.conflate.load(Ordering::Relaxed) {
            fence(Ordering::SeqCst);
        }
        if self.out.reader_asleep.load(Ordering::SeqCst) && self.out.reader_asleep.swap(false, Ordering::SeqCst) {
            self.out.tell_reader(PipeEvent::Readable);
        }
    }

    /// Change the limits of both directions (outgoing, incoming) of this pipe.
    pub fn set_hwms(&self, out: u64, inn: u64) {
        self.out.hwm.store(out, Ordering::Relaxed);
        self.inn.hwm.store(inn, Ordering::Relaxed);
        // A writer blocked on the old limit may proceed now: the peer in our incoming
        // direction, and our own (another thread may be blocked in a send on it).
        for q in [&self.inn, &self.out] {
            if q.writer_asleep.swap(false, Ordering::SeqCst) {
                q.tell_writer(PipeEvent::Writable);
            }
        }
    }

    /// ZMQ_CONFLATE: keep only the newest message in both directions, no HWM.
    pub fn set_conflate(&self) {
        for q in [&self.out, &self.inn] {
            q.conflate.store(true, Ordering::Relaxed);
            q.hwm.store(0, Ordering::Relaxed);
        }
    }

    /// Tell the reader of our outgoing queue that the connection was re-established.
    pub fn hiccup(&self) {
        self.out.tell_reader(PipeEvent::Hiccup);
    }

    /// Some frames of a message were written and its last frame is still to come.
    pub fn is_mid_message(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Drop the frames of an unfinished outgoing message (peer vanished mid-message).
    pub fn rollback(&mut self) {
        self.partial.clear();
        self.meta_sent.forget();
    }

    /// When the peer closes its end, it writes `msg` to us as its last message (after
    /// dropping any unfinished multipart message). Only the first call takes effect.
    pub fn set_peer_farewell(&self, msg: Vec<u8>) {
        let _ = self.inn.farewell.set(msg);
    }

    /// The peer closed its end and everything it sent has been read.
    pub fn peer_gone(&self) -> bool {
        self.reading.is_empty() && self.inn.writer_closed.load(Ordering::SeqCst) && self.nothing_queued()
    }

    /// The peer stopped reading: writes would be lost.
    pub fn peer_stopped_reading(&self) -> bool {
        self.out.reader_closed.load(Ordering::SeqCst)
    }

    /// Messages written by us and not yet read by the peer, as far as the peer told us.
    pub fn unread(&self) -> u64 {
        self.written - self.out.read.load(Ordering::Acquire)
    }

    /// Messages the peer wrote to us and we have not told it we read: its `unread`,
    /// counted from our end (queued, being read, or read since our last publication).
    pub fn queued_in(&self) -> u64 {
        let reading = !self.reading.is_empty() as u64;
        self.rx.queued() as u64 + reading + (self.read - self.published)
    }

    /// Close our end: the peer can still read what we wrote, then sees `peer_gone`.
    /// Unread messages sent to us are dropped.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        // What we wrote stays readable after we close; an unfinished message is not.
        self.rollback();
        if let Some(last) = self.out.farewell.get() {
            let _ = self.write_unflushed(Msg::from_slice(last));
        }
        self.flush();
        self.closed = true;
        self.out.writer_closed.store(true, Ordering::SeqCst);
        self.inn.reader_closed.store(true, Ordering::SeqCst);
        self.reading.clear();
        while self.rx.pop().is_some() {}
        let latest = self.inn.latest.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(latest);
        self.out.tell_reader(PipeEvent::Closed);
        self.inn.tell_writer(PipeEvent::Closed);
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
