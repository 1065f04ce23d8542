//! Where a socket's monitor events go (zmq_socket_monitor, zmq_socket_monitor_versioned).
//! Events happen in I/O threads as well as in the socket's own thread, so the monitor
//! sits behind a mutex shared with the socket's sessions. What receives the events (an
//! inproc PAIR, PUB or PUSH socket) belongs to the socket layer above, which also knows
//! the wire format of each event version; this layer only knows it as a [`MonitorSink`].

use crate::constants::ZMQ_EVENT_MONITOR_STOPPED;
use std::sync::{Arc, Mutex};

/// The endpoints an event is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventAddrs<'a> {
    /// What a version 1 event names: the endpoint the socket bound or connected.
    pub endpoint: &'a str,
    /// The local and remote addresses a version 2 event names (either may be empty).
    pub local: &'a str,
    pub remote: &'a str,
}

impl<'a> EventAddrs<'a> {
    /// A bound endpoint, no connection (LISTENING, BIND_FAILED, the listener's CLOSED).
    pub fn bound(endpoint: &'a str) -> Self {
        EventAddrs { endpoint, local: endpoint, remote: "" }
    }

    /// A connect target before it has a connection (CONNECT_DELAYED, CONNECT_RETRIED,
    /// a given-up connect's CLOSED): only the remote end is known.
    pub fn connecting(endpoint: &'a str) -> Self {
        EventAddrs { endpoint, local: "", remote: endpoint }
    }
}

/// One event: its ZMQ_EVENT_* number, its values (one for every event but
/// ZMQ_EVENT_PIPES_STATS, which has two) and its endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub number: u64,
    pub values: &'a [u64],
    pub addrs: EventAddrs<'a>,
}

/// Something that publishes monitor events (the socket layer's monitor socket).
pub trait MonitorSink: Send {
    /// Publish one event. Never blocks: a monitor nobody reads drops events.
    fn publish(&mut self, event: &Event);
}

struct Monitor {
    sink: Box<dyn MonitorSink>,
    /// ZMQ_EVENT_* bits this monitor wants (64 bits since event version 2).
    events: u64,
}

/// A socket's monitor, if any; shared with its sessions in the I/O threads.
#[derive(Clone, Default)]
pub struct MonitorSlot(Arc<Mutex<Option<Monitor>>>);

impl MonitorSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Monitor>> {
        // A panic while publishing leaves nothing half-updated: poisoning is harmless.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publish an event with one value, if a monitor wants it. Values are 64 bits (v2);
    /// version 1 carries their low 32 bits, so an fd of -1 reads the same either way.
    pub fn emit(&self, event: i32, value: u64, addrs: EventAddrs) {
        self.emit_values(event, &[value], addrs);
    }

    /// Publish an event with any number of values, if a monitor wants it.
    pub fn emit_values(&self, event: i32, values: &[u64], addrs: EventAddrs) {
        if let Some(m) = self.lock().as_mut() {
            let number = event as u32 as u64;
            if m.events & number != 0 {
                m.sink.publish(&Event { number, values, addrs });
            }
        }
    }

    /// A monitor is there and asked for `event`.
    pub fn wants(&self, event: i32) -> bool {
        self.lock().as_ref().is_some_and(|m| m.events & (event as u32 as u64) != 0)
    }

    pub fn is_active(&self) -> bool {
        self.lock().is_some()
    }

    /// Replace the monitor (None: stop monitoring). The old one, if any, says
    /// ZMQ_EVENT_MONITOR_STOPPED when it asked for it, and is dropped.
    pub fn replace(&self, sink: Option<(Box<dyn MonitorSink>, u64)>) {
        let new = sink.map(|(sink, events)| Monitor { sink, events });
        let old = std::mem::replace(&mut *self.lock(), new);
        if let Some(mut m) = old {
            let number = ZMQ_EVENT_MONITOR_STOPPED as u64;
            if m.events & number != 0 {
                m.sink.publish(&Event { number, values: &[0], addrs: EventAddrs::default() });
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

    type Seen = Vec<(u64, Vec<u64>, String, String, String)>;

    struct Record(Arc<Mutex<Seen>>);

    impl MonitorSink for Record {
        fn publish(&mut self, e: &Event) {
            let a = e.addrs;
            self.0.lock().unwrap().push((e.number, e.values.to_vec(), a.endpoint.into(), a.local.into(), a.remote.into()));
        }
    }

    #[test]
    fn emits_only_wanted_events_and_says_stopped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let slot = MonitorSlot::default();
        slot.emit(ZMQ_EVENT_CONNECTED, 1, EventAddrs::connecting("nobody listens"));
        assert!(!slot.is_active());
        assert!(!slot.wants(ZMQ_EVENT_CONNECTED));
        let events = (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_MONITOR_STOPPED) as u64 | 1 << 40;
        slot.replace(Some((Box::new(Record(seen.clone())), events)));
        assert!(slot.wants(ZMQ_EVENT_CONNECTED) && !slot.wants(ZMQ_EVENT_ACCEPTED));
        let at = EventAddrs { endpoint: "tcp://a", local: "tcp://l", remote: "tcp://a" };
        slot.clone().emit(ZMQ_EVENT_CONNECTED, 7, at);
        slot.emit(ZMQ_EVENT_ACCEPTED, 8, EventAddrs::bound("tcp://b"));
        slot.stop();
        assert!(!slot.is_active());
        let seen = seen.lock().unwrap();
        let s = |x: &str| x.to_string();
        assert_eq!(
            *seen,
            vec![
                (ZMQ_EVENT_CONNECTED as u64, vec![7], s("tcp://a"), s("tcp://l"), s("tcp://a")),
                (ZMQ_EVENT_MONITOR_STOPPED as u64, vec![0], s(""), s(""), s("")),
            ]
        );
    }

    #[test]
    fn addresses_of_unconnected_endpoints() {
        assert_eq!(EventAddrs::bound("tcp://x:1"), EventAddrs { endpoint: "tcp://x:1", local: "tcp://x:1", remote: "" });
        assert_eq!(EventAddrs::connecting("ipc://p"), EventAddrs { endpoint: "ipc://p", local: "", remote: "ipc://p" });
    }
}
