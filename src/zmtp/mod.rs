//! PLACEHOLDER until the ZMTP engine lands: API shape only.
use crate::msg::{Metadata, Msg};
use std::time::{Duration, Instant};

pub struct Config {
    pub socket_type: i32,
    pub routing_id: Vec<u8>,
    pub as_server: bool,
    pub heartbeat_ivl: Duration,
    pub heartbeat_ttl: Duration,
    pub heartbeat_timeout: Duration,
    pub max_msg_size: i64,
}

pub enum Event {
    HandshakeDone { peer_socket_type: i32, peer_routing_id: Vec<u8>, metadata: Metadata },
    Message(Msg),
    Subscribe(Vec<u8>),
    Cancel(Vec<u8>),
    Error(String),
}

pub struct Engine {
    out: Vec<u8>,
}

impl Engine {
    pub fn new(_cfg: Config) -> Engine {
        Engine { out: Vec::new() }
    }
    pub fn on_read(&mut self, _data: &[u8]) -> Result<(), ()> {
        Err(())
    }
    pub fn has_events(&self) -> bool {
        false
    }
    pub fn poll_event(&mut self) -> Option<Event> {
        None
    }
    pub fn send(&mut self, _msg: &Msg) {}
    pub fn out_bytes(&self) -> &[u8] {
        &self.out
    }
    pub fn consume_out(&mut self, _n: usize) {}
    pub fn handshake_done(&self) -> bool {
        false
    }
    pub fn tick(&mut self, _now: Instant) -> Option<Instant> {
        None
    }
}
