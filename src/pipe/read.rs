//! The reading end of a pipe: taking whole messages off the queue frame by frame,
//! running dry (and saying so to the writer), conflation's newest-only read, and
//! publishing the read count at the low-water mark so a full writer goes on.

use super::{low_water_mark, Item, Pipe, PipeEvent};
use crate::msg::Msg;
use std::sync::atomic::{fence, Ordering};

impl Pipe {
    /// Read one frame, or None if nothing is there now (the reader is then asleep and
    /// will get `Readable` on the next write).
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        self.read_frame(true, true)
    }

    /// Like `read`, for a caller that copies the frame out and drops it (zmq_recv into a
    /// buffer): the frame comes without its connection's metadata, which nobody could
    /// ask for, saving the two atomic reference-count updates per message that giving it
    /// back and dropping it cost.
    #[inline]
    pub fn read_bare(&mut self) -> Option<Msg> {
        self.read_frame(true, false)
    }

    /// `read` (or `read_bare` when `meta` is false) into `out`, replacing what it held
    /// (false, `out` untouched, if nothing is there). When `out` holds the metadata the
    /// frame comes with, the frame takes that reference instead of a new one: a receive
    /// loop that reuses one zmq_msg_t (libzmq's perf tools, C programs) then touches no
    /// reference count for metadata, where a clone and a drop cost two locked
    /// instructions per message. The metadata is put back in `out` itself, not on the
    /// way there (a move right after that store would read it back and stall).
    #[inline]
    pub fn read_over(&mut self, out: &mut Msg, meta: bool) -> bool {
        let Some(m) = self.take_frame(true) else { return false };
        let spare = self.meta_seen.take_own(out);
        out.overwrite(m);
        self.meta_seen.restore(out, meta, spare);
        true
    }

    /// Like `read`, but finding nothing does not mark the reader asleep, so writes go on
    /// without waking anyone: for a reader that looks again soon anyway (an I/O session
    /// with bytes still to write comes back after its write) and calls `read` before it
    /// sleeps. The writer wakes the reader only when it really sleeps, not once per write
    /// syscall of the session.
    #[inline]
    pub fn read_unarmed(&mut self) -> Option<Msg> {
        self.read_frame(false, true)
    }

    /// The first frame of the next whole message, if it is at hand (a look ahead for a
    /// reader that wants to warm its cache; not a read). None mid-message or conflating.
    #[inline]
    pub fn peek_message(&self) -> Option<&[u8]> {
        if !self.reading.is_empty() || self.inn.conflate.load(Ordering::Relaxed) {
            return None;
        }
        match self.rx.peek()? {
            Item::One(m) => Some(m.data()),
            Item::Many(frames) => frames.first().map(Msg::data),
        }
    }

    /// `meta`: give the frame its metadata back (see `metadata::SeenMeta`).
    #[inline]
    fn read_frame(&mut self, arm: bool, meta: bool) -> Option<Msg> {
        let mut m = self.take_frame(arm)?;
        self.meta_seen.restore(&mut m, meta, None);
        Some(m)
    }

    /// The next frame as it was queued (metadata not yet restored).
    #[inline]
    fn take_frame(&mut self, arm: bool) -> Option<Msg> {
        if self.reading.is_empty() {
            let item = if arm { self.fetch()? } else { self.next_item()? };
            // Single-frame messages go straight to the caller, not through `reading`.
            match item {
                Item::One(m) => {
                    self.message_consumed();
                    return Some(m);
                }
                Item::Many(frames) => self.reading = frames.into(),
            }
        }
        let m = self.reading.pop_front()?;
        if self.reading.is_empty() {
            self.message_consumed();
        }
        Some(m)
    }

    /// Whether a frame can be read now. Fetches the next message into the local buffer;
    /// if there is none, the reader is marked asleep, so a `false` is always followed by a
    /// `Readable` event once something arrives.
    pub fn check_read(&mut self) -> bool {
        if !self.reading.is_empty() {
            return true;
        }
        match self.fetch() {
            Some(Item::One(m)) => self.reading.push_back(m),
            Some(Item::Many(frames)) => self.reading = frames.into(),
            None => return false,
        }
        true
    }

    /// Take the next queued message; if there is none, mark the reader asleep (so the
    /// next write sends `Readable`).
    #[inline]
    fn fetch(&mut self) -> Option<Item> {
        if let Some(item) = self.next_item() {
            return Some(item);
        }
        self.fetch_after_dry()
    }

    /// `fetch` when the queue looked empty.
    #[inline(never)]
    fn fetch_after_dry(&mut self) -> Option<Item> {
        // Run dry: the writer must not wait for a count we hold back. Publishing only at
        // the low-water mark leaves up to a mark's worth of reads untold, which is fine
        // while the HWM stays put (a writer that is full has a mark's worth more for us
        // to read, whose last read publishes) but not once it is lowered below that
        // (ZMQ_SNDHWM on a live pipe): the writer would sleep on an empty pipe and we,
        // with nothing left to read, would never tell it more. So say how far we read
        // whenever we run dry, apart from the published count: the writer takes it only
        // if that was everything it wrote (`check_write`). Publishing it as the count
        // would shift the marks away from libzmq's multiples, and a writer held back by
        // a slow reader could then write more than with libzmq (test_monitor's pipe
        // stats, and the load balancing they rely on, expect exactly libzmq's counts).
        // SeqCst store then load of writer_asleep, against check_write's: see there. A
        // count said before needs no repeating (a reader polled while idle stays off the
        // shared line): a writer that slept since then found it when it went to sleep.
        if self.read != self.dry_told {
            self.dry_told = self.read;
            self.inn.dry_read.store(self.read, Ordering::SeqCst);
            if self.inn.writer_asleep.load(Ordering::SeqCst) && self.inn.writer_asleep.swap(false, Ordering::SeqCst) {
                self.inn.tell_writer(PipeEvent::Writable);
            }
        }
        self.inn.reader_asleep.store(true, Ordering::SeqCst);
        // See `flush`: SeqCst store then SeqCst load of the count needs no fence.
        if self.inn.conflate.load(Ordering::Relaxed) {
            fence(Ordering::SeqCst);
        }
        let item = self.next_item()?;
        self.inn.reader_asleep.store(false, Ordering::SeqCst);
        Some(item)
    }

    /// The next message queued to us. A conflating pipe yields only the newest: what the
    /// writer left in `latest`, else the last of what was queued before conflation began.
    #[inline]
    fn next_item(&mut self) -> Option<Item> {
        if !self.inn.conflate.load(Ordering::Relaxed) {
            return self.rx.pop();
        }
        self.next_conflated_item()
    }

    #[inline(never)]
    fn next_conflated_item(&mut self) -> Option<Item> {
        let mut newest = None;
        while let Some(item) = self.rx.pop() {
            // A skipped message may be the one that carried the metadata (queued before
            // conflation began): note it.
            if let Some(mut skipped) = newest.replace(item) {
                self.note_metadata(&mut skipped);
            }
        }
        let latest = self.inn.latest.lock().unwrap_or_else(|e| e.into_inner()).take();
        latest.or(newest)
    }

    fn note_metadata(&mut self, item: &mut Item) {
        match item {
            Item::One(m) => self.meta_seen.restore(m, true, None),
            Item::Many(frames) => frames.iter_mut().for_each(|m| self.meta_seen.restore(m, true, None)),
        }
    }

    /// Nothing waits to be read in our incoming direction.
    pub(super) fn nothing_queued(&self) -> bool {
        self.rx.is_empty()
            && (!self.inn.conflate.load(Ordering::Relaxed)
                || self.inn.latest.lock().unwrap_or_else(|e| e.into_inner()).is_none())
    }

    #[inline]
    fn message_consumed(&mut self) {
        self.read += 1;
        // The writer learns the read count only every `lwm` messages, as libzmq's pipes
        // send activate_write: a full pipe reopens once half of it was read (not one slot
        // at a time), the reader touches the shared line rarely, and the number of
        // messages a blocked chain of pipes lets through matches libzmq's.
        // Counted from the last publication, not as multiples of the mark: the mark
        // moves with the HWM, and a lowered HWM must be answered at the next read. While
        // the HWM stays put both are the same (see `fetch`).
        if self.read - self.published < low_water_mark(self.inn.hwm.load(Ordering::Relaxed)) {
            return;
        }
        self.publish_read();
    }

    /// Tell the writer how many messages we have read, and wake it if it sleeps on that.
    fn publish_read(&mut self) {
        if self.read == self.published {
            return;
        }
        self.published = self.read;
        // Only we read this queue, so a plain store publishes the count (no RMW). SeqCst
        // store then SeqCst load of writer_asleep, against the writer's store of
        // writer_asleep then load of the count in `check_write`: no wake-up is lost.
        self.inn.read.store(self.read, Ordering::SeqCst);
        if self.inn.writer_asleep.load(Ordering::SeqCst) && self.inn.writer_asleep.swap(false, Ordering::SeqCst) {
            self.inn.tell_writer(PipeEvent::Writable);
        }
    }
}
