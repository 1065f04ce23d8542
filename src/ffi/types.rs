//! The C API's types, laid out exactly as in libzmq 4.3.4's zmq.h (cbindgen emits them).
#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_short, c_uchar, c_void};

/// A message, held by value in the caller's memory: 64 opaque bytes, pointer-aligned.
/// cbindgen:field-names=[_]
#[repr(C, align(8))]
pub struct zmq_msg_t {
    pub bytes: [c_uchar; 64],
}

// libzmq aligns zmq_msg_t to sizeof(void *); align(8) above assumes a 64-bit target.
const _: () = assert!(std::mem::size_of::<*const c_void>() == 8);
// The Rust message must fit in (and need no more alignment than) the C struct.
const _: () = assert!(std::mem::size_of::<crate::msg::Msg>() <= std::mem::size_of::<zmq_msg_t>());
const _: () = assert!(std::mem::align_of::<crate::msg::Msg>() <= std::mem::align_of::<zmq_msg_t>());

/// A socket descriptor as zmq_poll and ZMQ_FD see it.
pub type zmq_fd_t = c_int;

/// One entry of a zmq_poll set: a 0MQ socket, or (when `socket` is NULL) a plain descriptor.
#[repr(C)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub events: c_short,
    pub revents: c_short,
}

/// One ready entry reported by zmq_poller_wait / zmq_poller_wait_all (DRAFT).
#[cfg(zmq_draft_api)]
#[repr(C)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub user_data: *mut c_void,
    pub events: c_short,
}

// C declares the callback types as *function* typedefs (`typedef void (zmq_free_fn) (...)`),
// which Rust cannot name, so the header spells them in cbindgen.toml and these aliases are
// excluded from export and renamed there: parameters of type `FreeFnPtr` print as
// `zmq_free_fn *`, exactly as in libzmq. Option: C may pass NULL.

/// `zmq_free_fn *`: frees a zero-copy message buffer (zmq_msg_init_data).
pub type FreeFnPtr = Option<crate::msg::FreeFn>;
/// `zmq_timer_fn` (a function parameter, so C adjusts it to a pointer).
pub type TimerFnPtr = Option<unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void)>;
/// `zmq_thread_fn *`: body of a zmq_threadstart thread.
pub type ThreadFnPtr = Option<unsafe extern "C" fn(arg: *mut c_void)>;
