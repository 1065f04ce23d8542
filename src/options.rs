//! PLACEHOLDER socket options (being replaced by the full libzmq option table).
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Options {
    pub socket_type: i32,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub linger: i32,
    pub rcvtimeo: i32,
    pub sndtimeo: i32,
    pub routing_id: Vec<u8>,
    pub immediate: bool,
    pub conflate: bool,
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    pub backlog: i32,
    pub ipv6: bool,
    pub maxmsgsize: i64,
    pub last_endpoint: String,
    pub handshake_ivl: i32,
    pub heartbeat_ivl: i32,
    pub heartbeat_ttl: i32,
    pub heartbeat_timeout: i32,
}

impl Options {
    pub fn new(socket_type: i32) -> Options {
        Options {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: -1,
            rcvtimeo: -1,
            sndtimeo: -1,
            routing_id: Vec::new(),
            immediate: false,
            conflate: false,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            ipv6: false,
            maxmsgsize: -1,
            last_endpoint: String::new(),
            handshake_ivl: 30000,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
        }
    }

    pub fn set(&mut self, option: i32, value: &[u8]) -> Result<()> {
        let int = || -> Result<i32> {
            Ok(i32::from_ne_bytes(value.try_into().map_err(|_| Error::INVAL)?))
        };
        match option {
            23 => self.sndhwm = int()?,
            24 => self.rcvhwm = int()?,
            17 => self.linger = int()?,
            27 => self.rcvtimeo = int()?,
            28 => self.sndtimeo = int()?,
            5 => self.routing_id = value.to_vec(),
            _ => return Err(Error::INVAL),
        }
        Ok(())
    }

    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        let v = match option {
            16 => self.socket_type,
            23 => self.sndhwm,
            24 => self.rcvhwm,
            17 => self.linger,
            27 => self.rcvtimeo,
            28 => self.sndtimeo,
            32 => {
                let s = self.last_endpoint.as_bytes();
                if out.len() < s.len() + 1 {
                    return Err(Error::INVAL);
                }
                out[..s.len()].copy_from_slice(s);
                out[s.len()] = 0;
                return Ok(s.len() + 1);
            }
            _ => return Err(Error::INVAL),
        };
        if out.len() < 4 {
            return Err(Error::INVAL);
        }
        out[..4].copy_from_slice(&v.to_ne_bytes());
        Ok(4)
    }
}
