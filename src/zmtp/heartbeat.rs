//! ZMTP 3.1 heartbeat timers (RFC 37 §"Connection Heartbeating"; ZMQ_HEARTBEAT_IVL,
//! _TTL and _TIMEOUT), kept as deadlines the engine checks in `tick`.
//!
//! - every `ivl` we send a PING carrying our TTL;
//! - after sending a PING, if nothing arrives within `timeout`, the connection is dead;
//! - a peer's PING with a non-zero TTL means: if nothing arrives from it within that
//!   TTL, the connection is dead.
//!
//! libzmq resets the last two only when a whole frame arrives; we reset them on any
//! bytes received, so a peer busy sending one huge frame is not taken for dead.
//!
//! Timers that start on receipt are armed by the next `tick` (on_read has no clock), so
//! the caller must tick after feeding input; see the engine's docs.

use std::time::{Duration, Instant};

pub struct Heartbeat {
    ivl: Duration,
    timeout: Duration,
    /// The TTL we put in our PINGs, in deciseconds.
    ttl_deciseconds: u16,
    running: bool,
    next_ping: Option<Instant>,
    timeout_at: Option<Instant>,
    ttl_at: Option<Instant>,
    /// A peer TTL received since the last tick, to be armed then.
    pending_ttl: Option<Duration>,
    /// The transport pings instead of us (ws: WebSocket pings); a PING due sets `ping_due`.
    by_transport: bool,
    ping_due: bool,
}

/// What a tick asks the engine to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Due {
    Nothing,
    SendPing,
    /// The peer went silent for too long.
    Expired(&'static str),
}

impl Heartbeat {
    /// Zero `ivl` means no PINGs, zero `timeout` no timeout after them.
    pub fn new(ivl: Duration, ttl: Duration, timeout: Duration) -> Heartbeat {
        let ttl_deciseconds = (ttl.as_millis() / 100).min(u16::MAX as u128) as u16;
        Heartbeat {
            ivl,
            timeout,
            ttl_deciseconds,
            running: false,
            next_ping: None,
            timeout_at: None,
            ttl_at: None,
            pending_ttl: None,
            by_transport: false,
            ping_due: false,
        }
    }

    /// PINGs become the transport's own (see `take_transport_ping`); its pongs count as
    /// traffic (`on_traffic`).
    pub fn set_transport_pings(&mut self) {
        self.by_transport = true;
    }

    /// Whether the transport must send a ping now (once per PING due).
    pub fn take_transport_ping(&mut self) -> bool {
        std::mem::take(&mut self.ping_due)
    }

    pub fn ttl_deciseconds(&self) -> u16 {
        self.ttl_deciseconds
    }

    /// The handshake is done: PINGs start one interval from the next tick.
    pub fn start(&mut self) {
        self.running = true;
    }

    /// Bytes arrived from the peer: it is alive.
    pub fn on_traffic(&mut self) {
        self.timeout_at = None;
        self.ttl_at = None;
        self.pending_ttl = None;
    }

    /// The peer sent PING with this TTL (deciseconds, 0 = none).
    pub fn on_peer_ping(&mut self, ttl_deciseconds: u16) {
        if ttl_deciseconds > 0 {
            self.pending_ttl = Some(Duration::from_millis(ttl_deciseconds as u64 * 100));
        }
    }

    /// Advances the timers to `now`; call again at `next_deadline()` at the latest.
    pub fn tick(&mut self, now: Instant) -> Due {
        if let Some(ttl) = self.pending_ttl.take() {
            self.ttl_at = Some(now + ttl);
        }
        if self.ttl_at.is_some_and(|t| now >= t) {
            return Due::Expired("peer heartbeat TTL expired");
        }
        if self.timeout_at.is_some_and(|t| now >= t) {
            return Due::Expired("heartbeat timeout");
        }
        if !self.running || self.ivl.is_zero() {
            return Due::Nothing;
        }
        match self.next_ping {
            None => {
                self.next_ping = Some(now + self.ivl);
                Due::Nothing
            }
            Some(t) if now >= t => {
                self.next_ping = Some(now + self.ivl);
                if !self.timeout.is_zero() && self.timeout_at.is_none() {
                    self.timeout_at = Some(now + self.timeout);
                }
                if self.by_transport {
                    self.ping_due = true;
                    return Due::Nothing;
                }
                Due::SendPing
            }
            Some(_) => Due::Nothing,
        }
    }

    /// No timer is armed or pending: `tick` would do nothing, so a caller may skip it
    /// (and reading the clock) until traffic or `start` changes that.
    pub fn idle(&self) -> bool {
        self.pending_ttl.is_none()
            && self.ttl_at.is_none()
            && self.timeout_at.is_none()
            && !(self.running && !self.ivl.is_zero())
    }

    /// The earliest armed deadline. A pending (not yet armed) timer counts as due now.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if self.pending_ttl.is_some() || (self.running && !self.ivl.is_zero() && self.next_ping.is_none()) {
            return Some(now);
        }
        [self.next_ping, self.timeout_at, self.ttl_at].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pings_and_times_out() {
        let t0 = Instant::now();
        let mut h = Heartbeat::new(100 * MS, 1000 * MS, 250 * MS);
        assert_eq!(h.ttl_deciseconds(), 10);
        assert_eq!(h.tick(t0), Due::Nothing);
        assert!(h.idle(), "not started");
        h.start();
        assert!(!h.idle(), "PINGs every ivl");
        assert_eq!(h.next_deadline(t0), Some(t0));
        assert_eq!(h.tick(t0), Due::Nothing);
        assert_eq!(h.next_deadline(t0), Some(t0 + 100 * MS));
        assert_eq!(h.tick(t0 + 99 * MS), Due::Nothing);
        assert_eq!(h.tick(t0 + 100 * MS), Due::SendPing);
        // Timeout armed at the first PING, not re-armed by the second.
        assert_eq!(h.tick(t0 + 200 * MS), Due::SendPing);
        assert_eq!(h.next_deadline(t0), Some(t0 + 300 * MS));
        h.on_traffic();
        assert_eq!(h.tick(t0 + 300 * MS), Due::SendPing);
        assert_eq!(h.tick(t0 + 549 * MS), Due::SendPing, "late tick: one PING, not a burst");
        assert_eq!(h.tick(t0 + 550 * MS), Due::Expired("heartbeat timeout"));
    }

    #[test]
    fn transport_pings() {
        let t0 = Instant::now();
        let mut h = Heartbeat::new(100 * MS, Duration::ZERO, 100 * MS);
        h.set_transport_pings();
        h.start();
        h.tick(t0);
        assert!(!h.take_transport_ping());
        assert_eq!(h.tick(t0 + 100 * MS), Due::Nothing);
        assert!(h.take_transport_ping());
        assert!(!h.take_transport_ping());
        h.on_traffic();
        assert_eq!(h.tick(t0 + 150 * MS), Due::Nothing);
        assert_eq!(h.tick(t0 + 200 * MS), Due::Nothing);
        assert_eq!(h.tick(t0 + 300 * MS), Due::Expired("heartbeat timeout"));
    }

    #[test]
    fn peer_ttl() {
        let t0 = Instant::now();
        let mut h = Heartbeat::new(Duration::ZERO, Duration::ZERO, Duration::ZERO);
        h.start();
        h.on_peer_ping(3);
        assert_eq!(h.next_deadline(t0), Some(t0));
        assert_eq!(h.tick(t0), Due::Nothing);
        assert_eq!(h.next_deadline(t0), Some(t0 + 300 * MS));
        assert_eq!(h.tick(t0 + 299 * MS), Due::Nothing);
        h.on_traffic();
        assert_eq!(h.tick(t0 + 400 * MS), Due::Nothing);
        assert_eq!(h.next_deadline(t0), None);
        assert!(h.idle(), "no ivl, no TTL armed: nothing to tick");
        h.on_peer_ping(1);
        assert!(!h.idle());
        h.tick(t0 + 400 * MS);
        assert_eq!(h.tick(t0 + 500 * MS), Due::Expired("peer heartbeat TTL expired"));
    }
}
