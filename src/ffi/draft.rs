//! DRAFT API entry points (libzmq's ZMQ_BUILD_DRAFT_API), exported only with the `draft`
//! feature; zmq.h always declares them, under `#ifdef ZMQ_BUILD_DRAFT_API`. The DRAFT
//! zmq_msg_* functions are in msg.rs, zmq_connect_peer in socket.rs, zmq_poller_* in
//! poller.rs, zmq_ctx_set_ext/get_ext in ctx.rs, zmq_socket_get_peer_state, zmq_join and
//! zmq_leave in socket.rs.
// TODO(core): every body here is a stub returning ENOTSUP; move each next to its stable
// siblings (ctx.rs, socket.rs, poll.rs) when it is implemented. Compiled only with the
// `draft` feature (see `mod draft` in mod.rs, where cbindgen also sees the cfg).

use super::guard;
use crate::error::Error;
use std::ffi::{c_char, c_int, c_void};

/// zmq_socket_monitor with 64-bit event masks, event format versions and a chosen socket type.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    type_: c_int,
) -> c_int {
    let _ = (s, addr, events, event_version, type_);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Asks the socket to emit ZMQ_EVENT_PIPES_STATS on its monitor.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    let _ = s;
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}
