//! PUB and XPUB: send each message to every peer subscribed to a prefix of it; a peer
//! whose pipe is full misses the message. Peers send subscriptions as messages starting
//! with 1 (subscribe) or 0 (unsubscribe). XPUB also hands new subscriptions (first time a
//! topic is wanted) and cancellations (last subscriber gone) to the application.

use super::subscriptions::Subscriptions;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, PipeMap};
use std::collections::VecDeque;

pub struct XPub {
    /// XPUB (true) passes subscriptions up; PUB (false) cannot recv.
    expose: bool,
    per_pipe: PipeMap<Subscriptions>,
    /// Union over all pipes, to tell first subscriber / last unsubscriber.
    all: Subscriptions,
    /// Pipes whose incoming subscriptions have not been read yet.
    unread: Vec<PipeId>,
    /// Subscription messages waiting for XPUB recv.
    pending: VecDeque<Msg>,
    /// The pipes the current multipart message goes to.
    targets: Vec<PipeId>,
    more_out: bool,
}

impl XPub {
    pub fn new(expose: bool) -> XPub {
        XPub {
            expose,
            per_pipe: PipeMap::default(),
            all: Subscriptions::default(),
            unread: Vec::new(),
            pending: VecDeque::new(),
            targets: Vec::new(),
            more_out: false,
        }
    }

    /// Read every subscription message waiting in every pipe that has some.
    fn read_subscriptions(&mut self, core: &mut Core) {
        let (subs, unsubs) = (core.options.xpub_verbose_subs, core.options.xpub_verbose_unsubs);
        while let Some(id) = self.unread.pop() {
            while let Some(msg) = core.read(id) {
                self.on_peer_message(id, msg, subs, unsubs);
            }
        }
    }

    /// `verbose`/`verboser`: pass every subscription / every unsubscription up.
    fn on_peer_message(&mut self, id: PipeId, msg: Msg, verbose: bool, verboser: bool) {
        let data = msg.data();
        let Some(subs) = self.per_pipe.get_mut(&id) else { return };
        match data.first() {
            Some(1) => {
                let topic = &data[1..];
                subs.add(topic);
                let first = self.all.add(topic);
                if self.expose && (first || verbose) {
                    self.pending.push_back(msg);
                }
            }
            Some(0) => {
                let topic = &data[1..];
                if subs.remove(topic) {
                    let last = self.all.remove(topic);
                    if self.expose && (last || verboser) {
                        self.pending.push_back(msg);
                    }
                }
            }
            _ => {
                // Not a subscription: XPUB passes it up as it is (libzmq 4.2+).
                if self.expose {
                    self.pending.push_back(msg);
                }
            }
        }
    }
}

impl Pattern for XPub {
    fn attach(&mut self, _core: &mut Core, id: PipeId) {
        self.per_pipe.insert(id, Subscriptions::default());
        self.unread.push(id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.unread.retain(|&p| p != id);
        self.targets.retain(|&p| p != id);
        if let Some(mut subs) = self.per_pipe.remove(&id) {
            // A vanished subscriber cancels its subscriptions.
            for (topic, n) in subs.drain() {
                for _ in 0..n {
                    if self.all.remove(&topic) && self.expose {
                        let mut m = Msg::with_size(topic.len() + 1);
                        if let Some(d) = m.data_mut() {
                            d[1..].copy_from_slice(&topic);
                        }
                        self.pending.push_back(m);
                    }
                }
            }
        }
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        if !self.unread.contains(&id) {
            self.unread.push(id);
        }
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        self.read_subscriptions(core);
        if !self.more_out {
            let data = msg.data();
            self.targets = self
                .per_pipe
                .iter()
                .filter(|(_, s)| s.matches(data))
                .map(|(&id, _)| id)
                .collect();
            if core.options.xpub_nodrop && self.targets.iter().any(|&id| !core.check_write(id)) {
                return Err(Error::AGAIN);
            }
            // A subscriber that cannot take the message now misses all of it.
            self.targets.retain(|&id| core.check_write(id));
        }
        let more = msg.more();
        let m = msg.take();
        if let Some((&last, rest)) = self.targets.split_last() {
            for &id in rest {
                let _ = core.write(id, m.clone());
            }
            let _ = core.write(last, m);
        }
        self.more_out = more;
        if !more {
            self.targets.clear();
        }
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        if !self.expose {
            return Err(Error::NOTSUP);
        }
        self.read_subscriptions(core);
        self.pending.pop_front().ok_or(Error::AGAIN)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        if !self.expose {
            return false;
        }
        self.read_subscriptions(core);
        !self.pending.is_empty()
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        if core.options.xpub_nodrop {
            let ids: Vec<PipeId> = self.per_pipe.keys().copied().collect();
            return ids.into_iter().all(|id| core.check_write(id));
        }
        true
    }
}
