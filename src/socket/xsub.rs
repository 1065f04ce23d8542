//! SUB and XSUB: fair-queue messages from publishers. Subscriptions are sent upstream to
//! every publisher as messages starting with 1 (subscribe) or 0 (unsubscribe) and replayed
//! to publishers that connect later. SUB keeps only messages matching a subscription
//! (publishers filter too, but a subscription may race with messages in flight), or with
//! ZMQ_INVERT_MATCHING only those matching none.
//!
//! Subscriptions are reference-counted: a topic subscribed twice needs two
//! unsubscriptions, and only the last one goes upstream. Every subscription goes upstream
//! (XPUB filters duplicates itself, and forwarding devices rely on seeing them).
//!
//! Subscriptions made by the socket itself (SUB's ZMQ_SUBSCRIBE, replays to a new or
//! reconnected publisher) carry `flags::SUBSCRIPTION`, so a ZMTP 3.1 connection sends them
//! as SUBSCRIBE/CANCEL commands; what the application sends on XSUB goes as it is.

use super::fq::FairQueue;
use super::subscriptions::Subscriptions;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::{flags, Msg};
use crate::pipe::PipeId;

pub struct XSub {
    /// SUB (true): subscribe via options, filter, no send. XSUB (false): raw.
    filter: bool,
    fq: FairQueue,
    pipes: Vec<PipeId>,
    subs: Subscriptions,
    /// A matching first frame read ahead by has_in.
    prefetched: Option<Msg>,
    /// In the middle of receiving a message.
    more_in: bool,
    /// In the middle of sending a multipart message.
    more_out: bool,
    /// Frames of the message being sent are subscriptions if they start with 0/1 (with
    /// ZMQ_ONLY_FIRST_SUBSCRIBE only when its first frame was one).
    process_subscribe: bool,
}

impl XSub {
    pub fn new(filter: bool) -> XSub {
        XSub {
            filter,
            fq: FairQueue::default(),
            pipes: Vec::new(),
            subs: Subscriptions::default(),
            prefetched: None,
            more_in: false,
            more_out: false,
            process_subscribe: false,
        }
    }

    fn subscription_msg(subscribe: bool, topic: &[u8]) -> Msg {
        let mut m = Msg::with_size(topic.len() + 1);
        if let Some(d) = m.data_mut() {
            d[0] = subscribe as u8;
            d[1..].copy_from_slice(topic);
        }
        m.set_flags(flags::SUBSCRIPTION);
        m
    }

    /// Send to every publisher; one that is full misses it (as libzmq's distributor).
    fn send_to_all(&mut self, core: &mut Core, msg: Msg) {
        for &id in &self.pipes {
            if core.check_write(id) {
                let _ = core.write(id, msg.clone());
            }
        }
    }

    /// Apply and forward a 1/0-prefixed subscription message: a subscription always, a
    /// cancellation only when its last reference goes.
    fn subscription(&mut self, core: &mut Core, msg: Msg) {
        let data = msg.data();
        let forward = match data[0] {
            1 => {
                self.subs.add(&data[1..]);
                true
            }
            _ => self.subs.remove(&data[1..]),
        };
        if forward {
            self.send_to_all(core, msg);
        }
    }

    fn matches(&self, core: &Core, data: &[u8]) -> bool {
        self.subs.matches(data) != core.options.invert_matching
    }

    /// Next whole-message-start frame that passes the filter, or continuation frames,
    /// read straight into `out`. A message not wanted is dropped from `out`, which is
    /// left empty if nothing else comes (as libzmq's fair queue empties the message it
    /// is given before reading).
    #[inline]
    fn next_frame_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        loop {
            self.fq.recv_into(core, out)?;
            if self.more_in || !self.filter || self.matches(core, out.data()) {
                self.prefetch_next(core);
                return Ok(());
            }
            self.drop_unwanted(core, out);
        }
    }

    /// With subscriptions too many for the cache, matching a message is a miss to memory:
    /// start that load for the next queued message now, while the application handles
    /// this one (measured with 1M subscriptions: see `ci/baseline/pubsub-scale.md`).
    #[inline]
    fn prefetch_next(&mut self, core: &Core) {
        if self.filter && self.subs.is_large() {
            if let Some(next) = self.fq.peek_next(core) {
                self.subs.prefetch(next);
            }
        }
    }

    /// The first frame in `out` is of a message not subscribed to: drop all of it.
    #[cold]
    fn drop_unwanted(&mut self, core: &mut Core, out: &mut Msg) {
        let mut more = out.more();
        while more {
            more = self.fq.recv_into(core, out).is_ok() && out.more();
        }
        out.take();
    }
}

impl Pattern for XSub {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.fq.attach(id);
        self.pipes.push(id);
        self.hiccuped(core, id);
    }

    /// A new (or reconnected) publisher learns every current subscription.
    fn hiccuped(&mut self, core: &mut Core, id: PipeId) {
        for t in self.subs.topics() {
            if core.check_write(id) {
                let _ = core.write(id, Self::subscription_msg(true, &t));
            }
        }
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.detach(id);
        self.pipes.retain(|&p| p != id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if self.filter {
            return Err(Error::NOTSUP);
        }
        let more = msg.more();
        let m = msg.take();
        let first = !self.more_out;
        self.more_out = more;
        if first {
            self.process_subscribe = !core.options.only_first_subscribe;
        }
        let is_subscription = matches!(m.data().first(), Some(0) | Some(1));
        if (first || self.process_subscribe) && is_subscription {
            // With ONLY_FIRST_SUBSCRIBE, a message starting with a subscription is
            // subscriptions throughout.
            self.process_subscribe = true;
            self.subscription(core, m);
        } else {
            // Anything else goes upstream as it is (libzmq 4.3 XSUB).
            self.send_to_all(core, m);
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        super::recv_by_into(self, core)
    }

    fn hands_out_what_it_reads(&self) -> bool {
        true
    }

    #[inline]
    fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        match self.prefetched.take() {
            Some(m) => out.overwrite(m),
            None => self.next_frame_into(core, out)?,
        }
        self.more_in = out.more();
        Ok(())
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        if self.more_in || self.prefetched.is_some() {
            return true;
        }
        let mut m = Msg::new();
        if self.next_frame_into(core, &mut m).is_err() {
            m.discard();
            return false;
        }
        self.prefetched = Some(m);
        true
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        !self.filter
    }

    fn subscribe(&mut self, core: &mut Core, subscribe: bool, topic: &[u8]) {
        if self.filter {
            self.subscription(core, Self::subscription_msg(subscribe, topic));
        }
    }
}
