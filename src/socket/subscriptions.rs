//! A set of subscription prefixes with reference counts (the same topic may be
//! subscribed several times and needs as many unsubscriptions).

#[derive(Default, Clone, Debug)]
pub struct Subscriptions {
    topics: Vec<(Vec<u8>, u32)>,
}

impl Subscriptions {
    /// Add a reference; true if the topic is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        match self.topics.iter_mut().find(|(t, _)| t == topic) {
            Some((_, n)) => {
                *n += 1;
                false
            }
            None => {
                self.topics.push((topic.to_vec(), 1));
                true
            }
        }
    }

    /// Whether `topic` itself (not a prefix of it) is subscribed.
    pub fn contains(&self, topic: &[u8]) -> bool {
        self.topics.iter().any(|(t, _)| t == topic)
    }

    /// Add `topic` once: a set, not a count. True if it was not there.
    pub fn insert(&mut self, topic: &[u8]) -> bool {
        !self.contains(topic) && self.add(topic)
    }

    /// Drop a reference; true if the topic is now gone.
    pub fn remove(&mut self, topic: &[u8]) -> bool {
        match self.topics.iter().position(|(t, _)| t == topic) {
            Some(i) => {
                self.topics[i].1 -= 1;
                if self.topics[i].1 == 0 {
                    self.topics.swap_remove(i);
                    true
                } else {
                    false
                }
            }
            None => false,
        }
    }

    /// Whether some subscribed prefix matches `data`.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.topics.iter().any(|(t, _)| data.starts_with(t))
    }

    /// Every distinct topic once.
    pub fn topics(&self) -> impl Iterator<Item = &[u8]> {
        self.topics.iter().map(|(t, _)| t.as_slice())
    }

    /// Every topic with its count, then forget them all.
    pub fn drain(&mut self) -> Vec<(Vec<u8>, u32)> {
        std::mem::take(&mut self.topics)
    }
}
