//! DRAFT API entry points (libzmq's ZMQ_BUILD_DRAFT_API), exported only with the `draft`
//! feature; zmq.h always declares them, under `#ifdef ZMQ_BUILD_DRAFT_API`. The DRAFT
//! zmq_msg_* functions are in msg.rs, zmq_connect_peer in socket.rs.
// TODO(core): every body here is a stub returning ENOTSUP; move each next to its stable
// siblings (ctx.rs, socket.rs, poll.rs) when it is implemented. Compiled only with the
// `draft` feature (see `mod draft` in mod.rs, where cbindgen also sees the cfg).

use super::types::{zmq_fd_t, zmq_poller_event_t};
use super::{guard, guard_ptr};
use crate::error::Error;
use std::ffi::{c_char, c_int, c_long, c_short, c_void};

/// Sets a context option of any type (e.g. ZMQ_THREAD_NAME_PREFIX as a string).
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set_ext(
    context: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    let _ = (context, option, optval, optvallen);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Reads a context option of any type.
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get_ext(
    context: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    let _ = (context, option, optval, optvallen);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Joins a DISH socket to a group.
#[no_mangle]
pub unsafe extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    let _ = (s, group);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Leaves a DISH group.
#[no_mangle]
pub unsafe extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    let _ = (s, group);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// State of the peer with the given routing id (ROUTER sockets).
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_get_peer_state(
    socket: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    let _ = (socket, routing_id, routing_id_size);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

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

/// Creates a poller.
#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    guard_ptr(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Destroys a poller and sets `*poller_p` to NULL.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    let _ = poller_p;
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Number of registered sockets and descriptors.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_size(poller: *mut c_void) -> c_int {
    let _ = poller;
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Registers a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add(poller: *mut c_void, socket: *mut c_void, user_data: *mut c_void, events: c_short) -> c_int {
    let _ = (poller, socket, user_data, events);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Changes the events watched on a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify(poller: *mut c_void, socket: *mut c_void, events: c_short) -> c_int {
    let _ = (poller, socket, events);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Unregisters a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove(poller: *mut c_void, socket: *mut c_void) -> c_int {
    let _ = (poller, socket);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Waits for one event.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait(poller: *mut c_void, event: *mut zmq_poller_event_t, timeout: c_long) -> c_int {
    let _ = (poller, event, timeout);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Waits for up to `n_events` events; returns how many were stored.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    let _ = (poller, events, n_events, timeout);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// A descriptor that polls readable when the poller has events (thread-safe sockets only).
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_fd(poller: *mut c_void, fd: *mut zmq_fd_t) -> c_int {
    let _ = (poller, fd);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Registers a plain descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add_fd(poller: *mut c_void, fd: zmq_fd_t, user_data: *mut c_void, events: c_short) -> c_int {
    let _ = (poller, fd, user_data, events);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Changes the events watched on a descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify_fd(poller: *mut c_void, fd: zmq_fd_t, events: c_short) -> c_int {
    let _ = (poller, fd, events);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}

/// Unregisters a descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove_fd(poller: *mut c_void, fd: zmq_fd_t) -> c_int {
    let _ = (poller, fd);
    guard(|| Err(Error::NOTSUP)) // TODO(core)
}
