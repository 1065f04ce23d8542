//! Where a socket's monitor events go (zmq_socket_monitor). Events happen in I/O threads
//! as well as in the socket's own thread, so the monitor sits behind a mutex shared with
//! the socket's sessions. What receives the events (an inproc PAIR socket) belongs to the
//! socket layer above; this layer only knows it as a [`MonitorSink`].

use crate::constants::ZMQ_EVENT_MONITOR_STOPPED;
use std::sync::{Arc, Mutex};

/// Something that publishes monitor events (the socket layer's monitor PAIR socket).
pub trait MonitorSink: Send {
    /// Publish one event. Never blocks: a monitor nobody reads drops events, as libzmq's.
    fn publish(&mut self, event: i32, value: u32, endpoint: &str);
}

struct Monitor {
    sink: Box<dyn MonitorSink>,
    /// ZMQ_EVENT_* bits this monitor wants.
    events: i32,
}

/// A socket's monitor, if any; shared with its sessions in the I/O threads.
#[derive(Clone, Default)]
pub struct MonitorSlot(Arc<Mutex<Option<Monitor>>>);

impl MonitorSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Monitor>> {
        // A panic while publishing leaves nothing half-updated: poisoning is harmless.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publish an event, if a monitor wants it.
    pub fn emit(&self, event: i32, value: u32, endpoint: &str) {
        if let Some(m) = self.lock().as_mut() {
            if m.events & event != 0 {
                m.sink.publish(event, value, endpoint);
            }
        }
    }

    pub fn is_active(&self) -> bool {
        self.lock().is_some()
    }

    /// Replace the monitor (None: stop monitoring). The old one, if any, says
    /// ZMQ_EVENT_MONITOR_STOPPED when it asked for it, and is dropped.
    pub fn replace(&self, sink: Option<(Box<dyn MonitorSink>, i32)>) {
        let new = sink.map(|(sink, events)| Monitor { sink, events });
        let old = std::mem::replace(&mut *self.lock(), new);
        if let Some(mut m) = old {
            if m.events & ZMQ_EVENT_MONITOR_STOPPED != 0 {
                m.sink.publish(ZMQ_EVENT_MONITOR_STOPPED, 0, "");
            }
        }
    }

    /// The monitored socket closed.
    pub fn stop(&self) {
        self.replace(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{ZMQ_EVENT_ACCEPTED, ZMQ_EVENT_CONNECTED};

    struct Record(Arc<Mutex<Vec<(i32, u32, String)>>>);

    impl MonitorSink for Record {
        fn publish(&mut self, event: i32, value: u32, endpoint: &str) {
            self.0.lock().unwrap().push((event, value, endpoint.to_string()));
        }
    }

    #[test]
    fn emits_only_wanted_events_and_says_stopped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let slot = MonitorSlot::default();
        slot.emit(ZMQ_EVENT_CONNECTED, 1, "nobody listens");
        assert!(!slot.is_active());
        slot.replace(Some((Box::new(Record(seen.clone())), ZMQ_EVENT_CONNECTED | ZMQ_EVENT_MONITOR_STOPPED)));
        slot.clone().emit(ZMQ_EVENT_CONNECTED, 7, "tcp://a");
        slot.emit(ZMQ_EVENT_ACCEPTED, 8, "tcp://b");
        slot.stop();
        assert!(!slot.is_active());
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, vec![(ZMQ_EVENT_CONNECTED, 7, "tcp://a".into()), (ZMQ_EVENT_MONITOR_STOPPED, 0, String::new())]);
    }
}
