//! PUB and XPUB: send each message to every peer subscribed to a prefix of it (with
//! ZMQ_INVERT_MATCHING: to every peer subscribed to no prefix of it); a peer whose pipe is
//! full misses the message (ZMQ_XPUB_NODROP: the send waits instead). Peers send
//! subscriptions as messages starting with 1 (subscribe) or 0 (unsubscribe).
//!
//! XPUB hands subscriptions to the application: a topic's first subscriber and its last
//! unsubscriber (a peer that goes away unsubscribes everything it had), every
//! subscription with ZMQ_XPUB_VERBOSE, every unsubscription too with ZMQ_XPUB_VERBOSER.
//! Other messages from peers are passed up as they are.
//!
//! Each peer's subscriptions are a set: subscribing to the same topic twice from one peer
//! is one subscription, which one unsubscription ends.
//!
//! ZMQ_XPUB_MANUAL: peers' subscriptions are all passed up and not applied; the
//! application applies what it wants with ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE, which act on the
//! peer the subscription it received last came from. When that peer goes away, the
//! application receives an unsubscription for each topic the peer had asked for.
//!
//! ZMQ_XPUB_WELCOME_MSG is sent to each peer when it attaches.

use super::subscriptions::{Subscribers, Subscriptions};
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::{flags, Msg};
use crate::pipe::{PipeId, PipeMap};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long one batch of peers' messages may take before a send goes on.
const FLOOD_BATCH: Duration = Duration::from_micros(250);
/// After a batch that did not read everything, sends skip subscriptions this long: a
/// publisher sending without pause spends at most a third of its time on a flood.
const FLOOD_PAUSE: Duration = Duration::from_micros(500);
/// The longest batch, for a publisher that was idle after the pause.
const FLOOD_BATCH_MAX: Duration = Duration::from_millis(5);

/// A message waiting for XPUB recv.
struct Pending {
    msg: Msg,
    /// For a (un)subscription in manual mode: the pipe it came from (None: a pipe that
    /// is gone). Receiving it makes that pipe the target of ZMQ_SUBSCRIBE/UNSUBSCRIBE.
    origin: Option<Option<PipeId>>,
}

pub struct XPub {
    /// XPUB (true) passes subscriptions up; PUB (false) cannot recv.
    expose: bool,
    /// The subscriptions in force: each topic with the set of pipes subscribed to it.
    subscribers: Subscribers,
    /// Manual mode: what each pipe asked for, to unsubscribe it when the pipe goes.
    requested: PipeMap<Subscriptions>,
    /// Manual mode: the pipe the last received (un)subscription came from.
    last_pipe: Option<PipeId>,
    /// Pipes whose incoming subscriptions have not been read yet.
    unread: VecDeque<PipeId>,
    /// A subscription flood is being absorbed: sends do not read subscriptions until then.
    flood_pause_until: Option<Instant>,
    pending: VecDeque<Pending>,
    /// The last frame read from a peer had MORE set.
    more_in: bool,
    /// Frames of the incoming message are subscriptions if they start with 0/1 (with
    /// ZMQ_ONLY_FIRST_SUBSCRIBE only when its first frame was one).
    process_subscribe: bool,
    /// The pipes the current multipart message goes to.
    targets: Vec<PipeId>,
    /// Where the pipes a single-frame message was just written to sit in the socket's
    /// pipe table, so flushing them needs no second lookup by id.
    written_at: Vec<usize>,
    more_out: bool,
}

fn subscription_msg(subscribe: bool, topic: &[u8]) -> Msg {
    let mut m = Msg::with_size(topic.len() + 1);
    if let Some(d) = m.data_mut() {
        d[0] = subscribe as u8;
        d[1..].copy_from_slice(topic);
    }
    m
}

impl XPub {
    pub fn new(expose: bool) -> XPub {
        XPub {
            expose,
            subscribers: Subscribers::default(),
            requested: PipeMap::default(),
            last_pipe: None,
            unread: VecDeque::new(),
            flood_pause_until: None,
            pending: VecDeque::new(),
            more_in: false,
            process_subscribe: false,
            targets: Vec::new(),
            written_at: Vec::new(),
            more_out: false,
        }
    }

    /// Take in what peers sent (subscriptions, or messages for XPUB recv), pipe by pipe,
    /// for at most `budget` (but never stopping inside a multipart message, which must
    /// not interleave with another pipe's). A pipe with more left goes to the back of the
    /// queue, so one flooding peer cannot hold back another's subscriptions. Returns
    /// whether everything waiting was read.
    fn read_peers(&mut self, core: &mut Core, budget: Duration) -> bool {
        let start = Instant::now();
        let mut read = 0u32;
        while let Some(id) = self.unread.pop_front() {
            loop {
                if !self.more_in {
                    read += 1;
                    if read % 32 == 0 && start.elapsed() >= budget {
                        self.unread.push_front(id);
                        return false;
                    }
                }
                let Some(msg) = core.read(id) else { break };
                self.on_peer_message(core, id, msg);
            }
        }
        true
    }

    /// Before a send: take in new subscriptions, unless a flood is being absorbed, in
    /// which case one bounded batch runs, then none for `FLOOD_PAUSE` (libzmq's sockets
    /// likewise take in commands at most once a millisecond while sending), so
    /// subscribers keep getting messages while a peer subscribes to a million topics.
    /// A publisher that came back only well after the pause was not busy sending: the
    /// batch may take that extra time too (up to `FLOOD_BATCH_MAX`), so a big backlog of
    /// subscriptions is not stretched out over a slow publisher's sends.
    fn read_subscriptions_before_send(&mut self, core: &mut Core) {
        if self.unread.is_empty() {
            return;
        }
        let budget = match self.flood_pause_until {
            None => FLOOD_BATCH,
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    return;
                }
                (FLOOD_BATCH + (now - until)).min(FLOOD_BATCH_MAX)
            }
        };
        self.flood_pause_until = None;
        if !self.read_peers(core, budget) {
            self.flood_pause_until = Some(Instant::now() + FLOOD_PAUSE);
        }
    }

    /// For XPUB recv: read until something is there for the application, or nothing is left.
    fn read_for_recv(&mut self, core: &mut Core) {
        while self.pending.is_empty() && !self.unread.is_empty() {
            self.read_peers(core, FLOOD_BATCH);
        }
    }

    /// The pipes a new message goes to: those subscribed to a prefix of it (with
    /// ZMQ_INVERT_MATCHING, those subscribed to none), restricted to `only` if given.
    fn match_targets(&mut self, data: &[u8], invert: bool, only: Option<PipeId>) {
        self.targets.clear();
        let targets = &mut self.targets;
        let mut prefixes = 0;
        self.subscribers.for_each_match(data, |pipes| {
            prefixes += 1;
            targets.extend_from_slice(pipes);
        });
        if prefixes > 1 {
            // A pipe subscribed to two prefixes of the message gets it once.
            targets.sort_unstable();
            targets.dedup();
        }
        if invert {
            let matched = std::mem::take(&mut self.targets);
            self.targets = self.subscribers.pipes().filter(|p| matched.binary_search(p).is_err()).collect();
        }
        if let Some(p) = only {
            self.targets.retain(|&t| t == p);
        }
    }

    fn on_peer_message(&mut self, core: &Core, id: PipeId, msg: Msg) {
        let first = !self.more_in;
        self.more_in = msg.more();
        let data = msg.data();
        let subscription = match data.split_first() {
            Some((&k @ (0 | 1), topic)) if first || self.process_subscribe => Some((k == 1, topic)),
            _ => None,
        };
        if first {
            self.process_subscribe = !core.options.only_first_subscribe || subscription.is_some();
        }
        let Some((subscribe, topic)) = subscription else {
            // Not a subscription: XPUB passes it up as it is (libzmq 4.2+).
            if self.expose {
                let mut m = msg;
                m.reset_flags(flags::COMMAND | flags::SUBSCRIPTION);
                self.pending.push_back(Pending { msg: m, origin: None });
            }
            return;
        };
        if !self.subscribers.has_pipe(id) {
            return;
        }
        if core.options.xpub_manual {
            let req = self.requested.entry(id).or_default();
            if subscribe {
                req.insert(topic);
            } else {
                req.remove(topic);
            }
            if self.expose {
                let m = subscription_msg(subscribe, topic);
                self.pending.push_back(Pending { msg: m, origin: Some(Some(id)) });
            }
            return;
        }
        let notify = if subscribe {
            self.subscribe_pipe(id, topic) || core.options.xpub_verbose_subs
        } else {
            match self.unsubscribe_pipe(id, topic) {
                // The pipe still subscribed by others: only VERBOSER tells.
                Some(false) => core.options.xpub_verbose_unsubs,
                // The last one, or one we never saw (passed up as libzmq does).
                Some(true) | None => true,
            }
        };
        if self.expose && notify {
            self.pending.push_back(Pending { msg: subscription_msg(subscribe, topic), origin: None });
        }
    }

    /// Subscribe a pipe to a topic; true if it is the topic's first subscriber.
    fn subscribe_pipe(&mut self, id: PipeId, topic: &[u8]) -> bool {
        self.subscribers.add(topic, id) == Some(true)
    }

    /// Unsubscribe a pipe from a topic: None if it was not subscribed, else whether it
    /// was the topic's last subscriber.
    fn unsubscribe_pipe(&mut self, id: PipeId, topic: &[u8]) -> Option<bool> {
        self.subscribers.remove(topic, id)
    }

    fn notify_unsubscribe(&mut self, topic: &[u8], manual: bool) {
        if self.expose {
            let origin = if manual { Some(None) } else { None };
            self.pending.push_back(Pending { msg: subscription_msg(false, topic), origin });
        }
    }
}

impl Pattern for XPub {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.subscribers.attach(id);
        if !core.options.xpub_welcome_msg.is_empty() {
            let welcome = Msg::from_slice(&core.options.xpub_welcome_msg);
            let _ = core.write(id, welcome);
        }
        self.unread.push_back(id);
    }

    fn detach(&mut self, core: &mut Core, id: PipeId) {
        self.unread.retain(|&p| p != id);
        self.targets.retain(|&p| p != id);
        let manual = core.options.xpub_manual;
        if self.last_pipe == Some(id) {
            self.last_pipe = None;
        }
        if let Some(mut req) = self.requested.remove(&id) {
            // Manual mode: the application unsubscribes what the peer had asked for.
            if manual {
                for (topic, _) in req.drain() {
                    self.notify_unsubscribe(&topic, true);
                }
            }
        }
        // A vanished subscriber cancels its subscriptions.
        let verboser = core.options.xpub_verbose_unsubs;
        let mut gone = Vec::new();
        self.subscribers.detach(id, |topic, last| {
            if !manual && (last || verboser) {
                gone.push(topic.to_vec());
            }
        });
        for topic in gone {
            self.notify_unsubscribe(&topic, false);
        }
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        if !self.unread.contains(&id) {
            self.unread.push_back(id);
        }
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    #[inline]
    fn prefetch_for_send(&self, msg: &Msg) {
        if !self.more_out && self.subscribers.is_large() {
            self.subscribers.prefetch(msg.data());
        }
    }

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        self.read_subscriptions_before_send(core);
        if !self.more_out {
            let data = msg.data();
            let invert = core.options.invert_matching;
            let only = match self.last_pipe {
                Some(p) if core.options.xpub_manual && core.options.xpub_send_last_pipe => Some(p),
                _ => None,
            };
            self.match_targets(data, invert, only);
            if core.options.xpub_nodrop && self.targets.iter().any(|&id| !core.check_write(id)) {
                return Err(Error::AGAIN);
            }
            if only.is_some() {
                // ZMQ_XPUB_MANUAL_LAST_VALUE: one message for the last subscriber.
                self.last_pipe = None;
            }
        }
        let more = msg.more();
        let mut m = msg.take();
        if self.targets.len() > 1 {
            // Several pipes share the buffer: ZMQ_SHARED, as libzmq's fan-out marks it.
            m.mark_copied();
        }
        let first = !self.more_out;
        if first {
            // A subscriber that cannot take the first frame now misses all of the message.
            let written_at = &mut self.written_at;
            written_at.clear();
            self.targets.retain(|&id| match core.write_if_room_unflushed_at(id, m.clone()) {
                Some(at) => {
                    written_at.push(at);
                    true
                }
                None => false,
            });
        } else {
            for &id in &self.targets {
                let _ = core.write(id, m.clone());
            }
        }
        self.more_out = more;
        if !more {
            // Every pipe written, now visible to their readers (see write_if_room_unflushed_at).
            // Positions hold within this call only (pipes come and go between calls).
            if first {
                self.written_at.iter().for_each(|&at| core.flush_at(at));
            } else {
                self.targets.iter().for_each(|&id| core.flush(id));
            }
            self.targets.clear();
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        if !self.expose {
            return Err(Error::NOTSUP);
        }
        self.read_for_recv(core);
        let p = self.pending.pop_front().ok_or(Error::AGAIN)?;
        if let Some(origin) = p.origin {
            self.last_pipe = origin;
        }
        Ok(p.msg)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        if !self.expose {
            return false;
        }
        self.read_for_recv(core);
        !self.pending.is_empty()
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        if core.options.xpub_nodrop {
            let ids: Vec<PipeId> = self.subscribers.pipes().collect();
            return ids.into_iter().all(|id| core.check_write(id));
        }
        true
    }

    /// Manual mode: apply a subscription to the pipe the last one received came from.
    fn subscribe(&mut self, core: &mut Core, subscribe: bool, topic: &[u8]) {
        if !core.options.xpub_manual {
            return;
        }
        let Some(id) = self.last_pipe else { return };
        if subscribe {
            self.subscribe_pipe(id, topic);
        } else {
            self.unsubscribe_pipe(id, topic);
        }
    }
}
