//! The C API: the only `extern "C"` code. Every entry point validates its handles and
//! sizes, runs the safe core, turns its `Error` into errno, and catches panics so none
//! crosses into the caller.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod ctx;
pub mod poll;
pub mod socket;

use crate::error::{Error, Result};
use crate::msg::Msg;
use std::ffi::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The 64-byte opaque message of zmq.h; holds a `Msg` by value.
#[repr(C, align(8))]
pub struct zmq_msg_t {
    pub _d: [u8; 64],
}

const _: () = assert!(std::mem::size_of::<Msg>() <= std::mem::size_of::<zmq_msg_t>());

#[repr(C)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub events: c_short,
    pub revents: c_short,
}

pub(crate) fn set_errno(e: i32) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

/// Run an int-returning entry point: errors become -1 + errno, panics become EFAULT.
pub(crate) fn guard(f: impl FnOnce() -> Result<c_int>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_errno(e.errno());
            -1
        }
        Err(_) => {
            set_errno(libc::EFAULT);
            -1
        }
    }
}

/// The same for pointer-returning entry points: errors become NULL + errno.
pub(crate) fn guard_ptr<T>(f: impl FnOnce() -> Result<*mut T>) -> *mut T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            set_errno(e.errno());
            std::ptr::null_mut()
        }
        Err(_) => {
            set_errno(libc::EFAULT);
            std::ptr::null_mut()
        }
    }
}

/// A live message inside a caller's zmq_msg_t, or EFAULT.
pub(crate) unsafe fn msg_mut<'a>(p: *mut zmq_msg_t) -> Result<&'a mut Msg> {
    if p.is_null() || (p as usize) % std::mem::align_of::<Msg>() != 0 {
        return Err(Error::FAULT);
    }
    let m = p as *mut Msg;
    if !Msg::is_live(m) {
        return Err(Error::FAULT);
    }
    Ok(&mut *m)
}

/// A byte slice from a C pointer and length; NULL is fine only for length 0.
pub(crate) unsafe fn bytes<'a>(p: *const c_void, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::FAULT);
    }
    Ok(std::slice::from_raw_parts(p as *const u8, len))
}
