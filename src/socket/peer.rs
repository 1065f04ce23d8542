//! PEER: talks to other PEERs, each both connecting and bound. Its routing is SERVER's
//! (`server.rs`: routing ids on messages, single-part only); what it adds is
//! zmq_connect_peer, a connect that answers the routing id of the peer it makes.

use super::Socket;
use crate::constants::*;
use crate::error::{Error, Result};

impl Socket {
    /// zmq_connect_peer: ENOTSUP on anything but a PEER socket; EFAULT with
    /// ZMQ_IMMEDIATE set, as then no peer exists before the connection does.
    pub fn connect_peer(&mut self, endpoint: &str) -> Result<u32> {
        if self.kind() != ZMQ_PEER {
            return Err(Error::NOTSUP);
        }
        if self.core.options.immediate {
            return Err(Error::FAULT);
        }
        let before = self.pattern.last_attached_routing_id();
        self.connect(endpoint)?;
        // connect attaches the new pipe last (without ZMQ_IMMEDIATE there always is one).
        match self.pattern.last_attached_routing_id() {
            Some(rid) if Some(rid) != before => Ok(rid),
            _ => Err(Error::FAULT),
        }
    }
}
