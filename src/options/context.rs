//! Context options (zmq_ctx_set / zmq_ctx_get), validated as libzmq 4.3.4's ctx_t does.
//!
//! `set`/`get` take raw bytes like libzmq's internal `ctx_t::set/get` (the shape of the
//! draft zmq_ctx_set_ext/zmq_ctx_get_ext); `set_int`/`get_int` are the stable
//! zmq_ctx_set/zmq_ctx_get, which always pass one `int`.

use crate::constants::*;
use crate::error::{Error, Result};
use std::collections::BTreeSet;

/// The value ZMQ_SOCKET_LIMIT reads (get-only; it shares its number with
/// ZMQ_THREAD_PRIORITY, which is set-only). libzmq clips the socket limit to the
/// poller's fd limit; epoll has none, so 65535.
pub const SOCKET_LIMIT_VALUE: i32 = 65535;
/// The value ZMQ_MSG_T_SIZE reads (get-only): sizeof(zmq_msg_t) in zmq.h.
pub const MSG_T_SIZE_VALUE: i32 = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtxOptions {
    pub io_threads: i32,
    pub max_sockets: i32,
    /// Largest message size (stored, libzmq does not enforce it).
    pub max_msgsz: i32,
    /// Default ZMQ_IPV6 of new sockets.
    pub ipv6: bool,
    /// If true (zmq_ctx_new default) new sockets get ZMQ_LINGER -1, else 0.
    pub blocky: bool,
    pub zero_copy: bool,
    /// -1 means "leave the OS default".
    pub thread_priority: i32,
    pub thread_sched_policy: i32,
    pub thread_affinity_cpus: BTreeSet<i32>,
    /// Prefix of the I/O threads' names; libzmq stores an int set through zmq_ctx_set
    /// as its decimal text.
    pub thread_name_prefix: Vec<u8>,
}

impl Default for CtxOptions {
    fn default() -> CtxOptions {
        CtxOptions {
            io_threads: ZMQ_IO_THREADS_DFLT,
            max_sockets: ZMQ_MAX_SOCKETS_DFLT,
            max_msgsz: i32::MAX,
            ipv6: false,
            blocky: true,
            zero_copy: true,
            thread_priority: ZMQ_THREAD_PRIORITY_DFLT,
            thread_sched_policy: ZMQ_THREAD_SCHED_POLICY_DFLT,
            thread_affinity_cpus: BTreeSet::new(),
            thread_name_prefix: Vec::new(),
        }
    }
}

fn as_int(value: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(value.try_into().ok()?))
}

impl CtxOptions {
    pub fn new() -> CtxOptions {
        CtxOptions::default()
    }

    /// zmq_ctx_set: every option takes one int.
    pub fn set_int(&mut self, option: i32, value: i32) -> Result<()> {
        self.set(option, &value.to_ne_bytes())
    }

    /// zmq_ctx_get: the int value of an option (EINVAL for unknown or set-only ones).
    pub fn get_int(&self, option: i32) -> Result<i32> {
        let mut out = [0u8; 4];
        self.get(option, &mut out)?;
        Ok(i32::from_ne_bytes(out))
    }

    /// Sets an option from raw bytes. Ints must be exactly 4 bytes; EINVAL otherwise,
    /// for a value out of range, for an unknown option, and for removing a CPU that
    /// was never added.
    pub fn set(&mut self, option: i32, value: &[u8]) -> Result<()> {
        let int = as_int(value);
        let non_negative = int.filter(|v| *v >= 0);
        match option {
            // libzmq also requires the value to survive clipping to the poller's fd
            // limit; epoll has no limit.
            ZMQ_MAX_SOCKETS => self.max_sockets = int.filter(|v| *v >= 1).ok_or(Error::INVAL)?,
            ZMQ_IO_THREADS => self.io_threads = non_negative.ok_or(Error::INVAL)?,
            ZMQ_IPV6 => self.ipv6 = non_negative.ok_or(Error::INVAL)? != 0,
            ZMQ_BLOCKY => self.blocky = non_negative.ok_or(Error::INVAL)? != 0,
            ZMQ_MAX_MSGSZ => self.max_msgsz = non_negative.ok_or(Error::INVAL)?,
            ZMQ_ZERO_COPY_RECV => self.zero_copy = non_negative.ok_or(Error::INVAL)? != 0,
            ZMQ_THREAD_SCHED_POLICY => self.thread_sched_policy = non_negative.ok_or(Error::INVAL)?,
            ZMQ_THREAD_PRIORITY => self.thread_priority = non_negative.ok_or(Error::INVAL)?,
            ZMQ_THREAD_AFFINITY_CPU_ADD => {
                self.thread_affinity_cpus.insert(non_negative.ok_or(Error::INVAL)?);
            }
            ZMQ_THREAD_AFFINITY_CPU_REMOVE => {
                let cpu = non_negative.ok_or(Error::INVAL)?;
                if !self.thread_affinity_cpus.remove(&cpu) {
                    return Err(Error::INVAL);
                }
            }
            ZMQ_THREAD_NAME_PREFIX => {
                // An int (any 4 bytes) is stored as its decimal text; other values are
                // text of 1..=16 bytes (the kernel's thread name limit).
                if let Some(v) = int {
                    self.thread_name_prefix = v.to_string().into_bytes();
                } else if !value.is_empty() && value.len() <= 16 {
                    self.thread_name_prefix = value.to_vec();
                } else {
                    return Err(Error::INVAL);
                }
            }
            _ => return Err(Error::INVAL),
        }
        Ok(())
    }

    /// Reads an option into `out`, whose length is the caller's buffer size. Ints need
    /// exactly 4 bytes. Returns the caller's size unchanged, as libzmq never updates it
    /// here; THREAD_NAME_PREFIX into a non-4-byte buffer copies the text without NUL.
    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        let value = match option {
            ZMQ_MAX_SOCKETS => self.max_sockets,
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT_VALUE,
            ZMQ_IO_THREADS => self.io_threads,
            ZMQ_IPV6 => self.ipv6 as i32,
            ZMQ_BLOCKY => self.blocky as i32,
            ZMQ_MAX_MSGSZ => self.max_msgsz,
            ZMQ_MSG_T_SIZE => MSG_T_SIZE_VALUE,
            ZMQ_ZERO_COPY_RECV => self.zero_copy as i32,
            ZMQ_THREAD_SCHED_POLICY => self.thread_sched_policy,
            ZMQ_THREAD_NAME_PREFIX => {
                if out.len() != 4 {
                    let name = &self.thread_name_prefix;
                    if out.len() < name.len() {
                        return Err(Error::INVAL);
                    }
                    out[..name.len()].copy_from_slice(name);
                    return Ok(out.len());
                }
                // Read back as a number the way libzmq does (atoi).
                crate::c_number::atoi(&self.thread_name_prefix)
            }
            _ => return Err(Error::INVAL),
        };
        if out.len() != 4 {
            return Err(Error::INVAL);
        }
        out.copy_from_slice(&value.to_ne_bytes());
        Ok(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_libzmq() {
        let c = CtxOptions::new();
        assert_eq!(c.get_int(ZMQ_IO_THREADS), Ok(1));
        assert_eq!(c.get_int(ZMQ_MAX_SOCKETS), Ok(1023));
        assert_eq!(c.get_int(ZMQ_SOCKET_LIMIT), Ok(65535));
        assert_eq!(c.get_int(ZMQ_THREAD_PRIORITY), Ok(65535)); // same number as ZMQ_SOCKET_LIMIT
        assert_eq!(c.get_int(ZMQ_THREAD_SCHED_POLICY), Ok(-1));
        assert_eq!(c.get_int(ZMQ_MAX_MSGSZ), Ok(i32::MAX));
        assert_eq!(c.get_int(ZMQ_MSG_T_SIZE), Ok(64));
        assert_eq!(c.get_int(ZMQ_IPV6), Ok(0));
        assert_eq!(c.get_int(ZMQ_BLOCKY), Ok(1));
        assert_eq!(c.get_int(ZMQ_ZERO_COPY_RECV), Ok(1));
        assert_eq!(c.get_int(ZMQ_THREAD_NAME_PREFIX), Ok(0));
        for set_only in [ZMQ_THREAD_AFFINITY_CPU_ADD, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0, 11, 99] {
            assert_eq!(c.get_int(set_only), Err(Error::INVAL), "option {set_only}");
        }
    }

    #[test]
    fn set_validation() {
        let mut c = CtxOptions::new();
        assert_eq!(c.set_int(ZMQ_MAX_SOCKETS, 0), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_MAX_SOCKETS, 1), Ok(()));
        assert_eq!(c.set_int(ZMQ_IO_THREADS, -1), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_IO_THREADS, 0), Ok(()));
        assert_eq!(c.set_int(ZMQ_IPV6, 5), Ok(()));
        assert_eq!(c.get_int(ZMQ_IPV6), Ok(1));
        assert_eq!(c.set_int(ZMQ_BLOCKY, -1), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_BLOCKY, 0), Ok(()));
        assert!(!c.blocky);
        assert_eq!(c.set_int(ZMQ_SOCKET_LIMIT, 5), Ok(())); // it is ZMQ_THREAD_PRIORITY when set
        assert_eq!(c.thread_priority, 5);
        assert_eq!(c.set_int(ZMQ_MSG_T_SIZE, 5), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_THREAD_AFFINITY_CPU_ADD, 1), Ok(()));
        assert_eq!(c.set_int(ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1), Ok(()));
        assert_eq!(c.set_int(ZMQ_THREAD_NAME_PREFIX, -42), Ok(()));
        assert_eq!(c.get_int(ZMQ_THREAD_NAME_PREFIX), Ok(-42));
        assert_eq!(c.set(ZMQ_IO_THREADS, &[1, 0]), Err(Error::INVAL));
        assert_eq!(c.set(ZMQ_THREAD_NAME_PREFIX, b"abc"), Ok(()));
        assert_eq!(c.set(ZMQ_THREAD_NAME_PREFIX, &[b'x'; 17]), Err(Error::INVAL));
        assert_eq!(c.set(ZMQ_THREAD_NAME_PREFIX, b""), Err(Error::INVAL));
        let mut buf = [0xAA; 8];
        assert_eq!(c.get(ZMQ_THREAD_NAME_PREFIX, &mut buf), Ok(8));
        assert_eq!(&buf[..4], b"abc\xAA");
        assert_eq!(c.get(ZMQ_THREAD_NAME_PREFIX, &mut buf[..2]), Err(Error::INVAL));
        assert_eq!(c.set_int(ZMQ_MAX_MSGSZ, 1000), Ok(()));
        assert_eq!(c.get(ZMQ_MAX_MSGSZ, &mut buf), Err(Error::INVAL)); // ints need exactly 4
        assert_eq!(c.set_int(12345, 0), Err(Error::INVAL));
    }
}
