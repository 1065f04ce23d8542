//! zmq_atomic_counter_*: a heap-allocated 32-bit counter shared between application threads.
//! Arithmetic wraps like libzmq's unsigned 32-bit counter. libzmq does not check handles at
//! all; here NULL is caught (EFAULT: -1 from the getters, nothing done by the others).

use super::{guard, guard_or, guard_ptr, non_null, non_null_mut};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicU32, Ordering};

/// Allocates a counter set to 0.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    guard_ptr(|| Ok(Box::into_raw(Box::new(AtomicU32::new(0))) as *mut c_void))
}

unsafe fn counter<'a>(p: *mut c_void) -> crate::error::Result<&'a AtomicU32> {
    Ok(&*(non_null(p)? as *const AtomicU32))
}

/// Sets the counter.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter_p: *mut c_void, value: c_int) {
    guard_or((), || {
        counter(counter_p)?.store(value as u32, Ordering::SeqCst);
        Ok(())
    })
}

/// Increments the counter; returns the value before the increment.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter_p: *mut c_void) -> c_int {
    guard(|| Ok(counter(counter_p)?.fetch_add(1, Ordering::AcqRel) as c_int))
}

/// Decrements the counter; returns 1 if it is still non-zero afterwards, else 0.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter_p: *mut c_void) -> c_int {
    guard(|| {
        let old = counter(counter_p)?.fetch_sub(1, Ordering::AcqRel);
        Ok((old.wrapping_sub(1) != 0) as c_int)
    })
}

/// Current value.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter_p: *mut c_void) -> c_int {
    guard(|| Ok(counter(counter_p)?.load(Ordering::SeqCst) as c_int))
}

/// Frees the counter and sets `*counter_p` to NULL (a NULL counter is ignored).
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    guard_or((), || {
        let slot = non_null_mut(counter_p)?;
        if !(*slot).is_null() {
            drop(Box::from_raw(*slot as *mut AtomicU32));
            *slot = std::ptr::null_mut();
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_sequence() {
        unsafe {
            let mut c = zmq_atomic_counter_new();
            assert_eq!(zmq_atomic_counter_value(c), 0);
            assert_eq!(zmq_atomic_counter_inc(c), 0);
            assert_eq!(zmq_atomic_counter_inc(c), 1);
            assert_eq!(zmq_atomic_counter_inc(c), 2);
            assert_eq!(zmq_atomic_counter_value(c), 3);
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_dec(c), 0);
            zmq_atomic_counter_set(c, 2);
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_dec(c), 0);
            // Wraps below zero like libzmq's unsigned counter.
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_value(c), -1);
            zmq_atomic_counter_destroy(&mut c);
            assert!(c.is_null());
            zmq_atomic_counter_destroy(&mut c);
            zmq_atomic_counter_destroy(std::ptr::null_mut());
            assert_eq!(zmq_atomic_counter_inc(c), -1);
            assert_eq!(super::super::errno(), libc::EFAULT);
        }
    }

    #[test]
    fn shared_between_threads() {
        struct P(*mut c_void);
        unsafe impl Send for P {}
        unsafe impl Sync for P {}
        let c = P(zmq_atomic_counter_new());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let p = &c;
                    for _ in 0..1000 {
                        unsafe { zmq_atomic_counter_inc(p.0) };
                    }
                });
            }
        });
        let mut p = c.0;
        unsafe {
            assert_eq!(zmq_atomic_counter_value(p), 4000);
            zmq_atomic_counter_destroy(&mut p);
        }
    }
}
