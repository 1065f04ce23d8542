//! The C API: every `#[no_mangle] extern "C"` function of libzmq.so.5, plus the constants
//! and types of zmq.h (build.rs runs cbindgen on this module tree to write include/zmq.h).
//!
//! Rules for entry points:
//! - Every body runs inside [`guard`] (or a sibling): a panic never crosses into C, it
//!   becomes -1/NULL with errno EFAULT; an `Err(Error)` becomes -1/NULL with that errno.
//! - Handles and pointers from C are validated before use (NULL, magic tags); what cannot
//!   be validated (dangling pointers) is the caller's contract, as in libzmq.
//! - On success errno is left alone, as libzmq does.

// Each function's C contract is its zmq man page; repeating it as `# Safety` adds nothing.
#![allow(clippy::missing_safety_doc)]

pub mod types;

pub mod atomic;
pub mod ctx;
pub mod msg;
pub mod poll;
pub mod socket;
pub mod timers;
pub mod util;
#[cfg(feature = "draft")]
pub mod poller;

pub use crate::constants::*;
pub use types::*;
pub(crate) use msg::with_msg;

use crate::error::{Error, Result};
use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// errno seen by the calling C code (thread-local in libc).
pub fn errno() -> c_int {
    // SAFETY: __errno_location always returns the calling thread's valid errno slot.
    unsafe { *libc::__errno_location() }
}

pub fn set_errno(e: c_int) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = e }
}

/// Runs an entry point body: `Ok(v)` gives `v`; `Err(e)` sets errno and gives `on_err`;
/// a panic is caught (unwinding into C is undefined behaviour) and reported as EFAULT.
pub fn guard_or<T, F: FnOnce() -> Result<T>>(on_err: T, f: F) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_errno(e.errno());
            on_err
        }
        Err(payload) => {
            // Dropping the payload could panic again (outside the catch): leak it instead.
            std::mem::forget(payload);
            set_errno(Error::FAULT.errno());
            on_err
        }
    }
}

/// [`guard_or`] for the usual `int` result: -1 on error.
pub fn guard<F: FnOnce() -> Result<c_int>>(f: F) -> c_int {
    guard_or(-1, f)
}

/// [`guard_or`] for functions returning a pointer: NULL on error.
pub fn guard_ptr<T, F: FnOnce() -> Result<*mut T>>(f: F) -> *mut T {
    guard_or(std::ptr::null_mut(), f)
}

/// NULL checks for pointer arguments: EFAULT, as libzmq reports bad handles.
pub(crate) fn non_null<T>(p: *const T) -> Result<*const T> {
    if p.is_null() {
        Err(Error::FAULT)
    } else {
        Ok(p)
    }
}

pub(crate) fn non_null_mut<T>(p: *mut T) -> Result<*mut T> {
    if p.is_null() {
        Err(Error::FAULT)
    } else {
        Ok(p)
    }
}

/// A byte slice from a C pointer and length; NULL is fine only for length 0.
pub(crate) unsafe fn bytes<'a>(p: *const std::ffi::c_void, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    Ok(std::slice::from_raw_parts(non_null(p)? as *const u8, len))
}

/// An option value given to a set call (zmq_setsockopt, zmq_ctx_set_ext): None for NULL
/// with length 0 ("no value"); NULL with a length is garbage (libzmq would crash): EINVAL.
pub(crate) unsafe fn option_value<'a>(p: *const std::ffi::c_void, len: usize) -> Result<Option<&'a [u8]>> {
    if p.is_null() {
        return if len == 0 { Ok(None) } else { Err(Error::INVAL) };
    }
    bytes(p, len).map(Some)
}

/// The caller's buffer of a get call (zmq_getsockopt, zmq_ctx_get_ext): `*len` bytes at
/// `p`. EFAULT for a NULL size pointer, or a NULL buffer with a non-zero size.
pub(crate) unsafe fn option_buffer<'a>(p: *mut std::ffi::c_void, len: *mut usize) -> Result<&'a mut [u8]> {
    let len = *non_null_mut(len)?;
    if len == 0 {
        return Ok(&mut []);
    }
    Ok(std::slice::from_raw_parts_mut(non_null_mut(p)? as *mut u8, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_maps_results_errors_and_panics() {
        set_errno(0);
        assert_eq!(guard(|| Ok(7)), 7);
        assert_eq!(errno(), 0, "success leaves errno alone");
        assert_eq!(guard(|| Err(Error::INVAL)), -1);
        assert_eq!(errno(), libc::EINVAL);
        let p: *mut u8 = guard_ptr(|| Err(Error::NOMEM));
        assert!(p.is_null());
        assert_eq!(errno(), libc::ENOMEM);
        // The default hook prints the panic; that is expected here.
        assert_eq!(guard(|| panic!("boom")), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(guard_or(0usize, || -> Result<usize> { panic!("boom") }), 0);
    }
}
