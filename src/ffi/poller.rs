//! zmq_poller_* (DRAFT API, exported with the `draft` feature): handles over the core's
//! `poll::Poller`. Not thread-safe, as documented: a poller is used from one thread at a
//! time.

use super::socket::socket_ref;
use super::types::{zmq_fd_t, zmq_poller_event_t};
use super::{guard, guard_ptr, non_null_mut};
use crate::error::{Error, Result};
use crate::poll::{Event, Poller};
use std::ffi::{c_int, c_long, c_short, c_void};

const LIVE: u32 = 0x706f_6c72; // "polr"
const DEAD: u32 = 0xdead_706f;

/// What the C caller registered: the socket handle (NULL for an fd) and its user_data.
#[derive(Clone, Copy)]
struct Registration {
    socket: *mut c_void,
    user_data: *mut c_void,
}

/// A poller handle. `tag` comes first so a handle can be checked by reading 4 bytes, as
/// libzmq does (its tests pass the address of a `void *` variable and expect EFAULT).
/// Sockets are borrowed for 'static: the C contract is that a socket is removed from
/// the poller before zmq_close (libzmq: undefined behaviour otherwise); ours then fails
/// the wait with ENOTSOCK, as socket handles stay allocated until the last zmq_ctx_term.
#[repr(C)]
struct PollerHandle {
    tag: u32,
    poller: Poller<'static, Registration>,
    /// Reused between waits.
    ready: Vec<Event<'static, Registration>>,
}

/// Checks a handle from C: non-null and tagged live (EFAULT otherwise).
unsafe fn check<'a>(poller: *mut c_void) -> Result<&'a mut PollerHandle> {
    if poller.is_null() || std::ptr::read_unaligned(poller as *const u32) != LIVE {
        return Err(Error::FAULT);
    }
    Ok(&mut *(poller as *mut PollerHandle))
}

/// Creates a poller.
#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    guard_ptr(|| {
        let h = PollerHandle { tag: LIVE, poller: Poller::new(), ready: Vec::new() };
        Ok(Box::into_raw(Box::new(h)) as *mut c_void)
    })
}

/// Destroys a poller and sets `*poller_p` to NULL.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    guard(|| {
        let slot = non_null_mut(poller_p)?;
        let h = check(*slot)?;
        h.tag = DEAD;
        drop(Box::from_raw(h as *mut PollerHandle));
        *slot = std::ptr::null_mut();
        Ok(0)
    })
}

/// Number of registered sockets and descriptors.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_size(poller: *mut c_void) -> c_int {
    guard(|| Ok(check(poller)?.poller.len() as c_int))
}

/// Registers a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add(poller: *mut c_void, socket: *mut c_void, user_data: *mut c_void, events: c_short) -> c_int {
    guard(|| {
        let h = check(poller)?;
        h.poller.add(socket_ref(socket)?, Registration { socket, user_data }, events)?;
        Ok(0)
    })
}

/// Changes the events watched on a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify(poller: *mut c_void, socket: *mut c_void, events: c_short) -> c_int {
    guard(|| {
        let h = check(poller)?;
        h.poller.modify(socket_ref(socket)?, events)?;
        Ok(0)
    })
}

/// Unregisters a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove(poller: *mut c_void, socket: *mut c_void) -> c_int {
    guard(|| {
        let h = check(poller)?;
        h.poller.remove(socket_ref(socket)?)?;
        Ok(0)
    })
}

/// Waits for one event; on failure `*event` is cleared (NULL socket, fd -1), as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait(poller: *mut c_void, event: *mut zmq_poller_event_t, timeout: c_long) -> c_int {
    let rc = zmq_poller_wait_all(poller, event, 1, timeout);
    if rc < 0 && !event.is_null() {
        *event = NO_EVENT;
    }
    rc.min(0)
}

/// An event slot holding nothing (libzmq's, for the slots a wait leaves unused).
const NO_EVENT: zmq_poller_event_t = zmq_poller_event_t { socket: std::ptr::null_mut(), fd: -1, user_data: std::ptr::null_mut(), events: 0 };

/// Waits for up to `n_events` events; returns how many were stored.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    guard(|| {
        let h = check(poller)?;
        let events = non_null_mut(events)?;
        if n_events < 0 {
            return Err(Error::INVAL);
        }
        h.poller.wait(&mut h.ready, n_events as usize, timeout as i64)?;
        for (i, ev) in h.ready.iter().enumerate() {
            *events.add(i) = zmq_poller_event_t {
                socket: ev.user_data.socket,
                fd: ev.fd,
                user_data: ev.user_data.user_data,
                events: ev.events,
            };
        }
        // The slots after the last event are cleared (libzmq does so too): a caller that
        // walks all n_events slots, not just the count returned, must not see the
        // events of an earlier wait again.
        for i in h.ready.len()..n_events as usize {
            *events.add(i) = NO_EVENT;
        }
        Ok(h.ready.len() as c_int)
    })
}

/// A descriptor that polls readable when the poller may have events; EINVAL until a
/// thread-safe socket is registered, as in libzmq.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_fd(poller: *mut c_void, fd: *mut zmq_fd_t) -> c_int {
    guard(|| {
        let h = check(poller)?;
        let out = non_null_mut(fd)?;
        *out = h.poller.fd()?;
        Ok(0)
    })
}

/// Registers a plain descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add_fd(poller: *mut c_void, fd: zmq_fd_t, user_data: *mut c_void, events: c_short) -> c_int {
    guard(|| {
        let registration = Registration { socket: std::ptr::null_mut(), user_data };
        check(poller)?.poller.add_fd(fd, registration, events)?;
        Ok(0)
    })
}

/// Changes the events watched on a descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify_fd(poller: *mut c_void, fd: zmq_fd_t, events: c_short) -> c_int {
    guard(|| {
        check(poller)?.poller.modify_fd(fd, events)?;
        Ok(0)
    })
}

/// Unregisters a descriptor.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove_fd(poller: *mut c_void, fd: zmq_fd_t) -> c_int {
    guard(|| {
        check(poller)?.poller.remove_fd(fd)?;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::super::errno;
    use crate::constants::*;
    use super::*;
    use std::ptr::null_mut;

    fn empty_event() -> zmq_poller_event_t {
        zmq_poller_event_t { socket: std::ptr::dangling_mut(), fd: 7, user_data: std::ptr::dangling_mut(), events: 1 }
    }

    #[test]
    fn invalid_handles_are_efault() {
        let mut none: *mut c_void = null_mut();
        // The address of a variable is not a poller either.
        let not_poller = &mut none as *mut *mut c_void as *mut c_void;
        let mut ev = empty_event();
        let mut fd: zmq_fd_t = 0;
        unsafe {
            for p in [null_mut(), not_poller] {
                assert_eq!(zmq_poller_size(p), -1);
                assert_eq!(errno(), libc::EFAULT);
                assert_eq!(zmq_poller_add_fd(p, 0, null_mut(), ZMQ_POLLIN), -1);
                assert_eq!(errno(), libc::EFAULT);
                assert_eq!(zmq_poller_wait_all(p, &mut ev, 1, 0), -1);
                assert_eq!(errno(), libc::EFAULT);
                assert_eq!(zmq_poller_fd(p, &mut fd), -1);
                assert_eq!(errno(), libc::EFAULT);
            }
            assert_eq!(zmq_poller_destroy(null_mut()), -1);
            assert_eq!(zmq_poller_destroy(&mut none), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
    }

    #[test]
    fn wait_arguments_and_a_failed_wait_clears_the_event() {
        unsafe {
            let mut p = zmq_poller_new();
            assert!(!p.is_null());
            let mut ev = empty_event();
            assert_eq!(zmq_poller_wait(p, null_mut(), 0), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_poller_wait_all(p, &mut ev, -1, 0), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_poller_add(p, null_mut(), null_mut(), ZMQ_POLLIN), -1);
            assert_eq!(errno(), libc::ENOTSOCK);
            assert_eq!(zmq_poller_wait(p, &mut ev, 0), -1);
            assert_eq!(errno(), libc::EAGAIN);
            assert!(ev.socket.is_null() && ev.user_data.is_null());
            assert_eq!((ev.fd, ev.events), (-1, 0));

            // A ready fd comes back with its user data; wait returns 0, wait_all the count.
            let mut fds = [0; 2];
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            assert_eq!(libc::write(fds[1], b"x".as_ptr() as *const c_void, 1), 1);
            let tag = 42usize as *mut c_void;
            assert_eq!(zmq_poller_add_fd(p, fds[0], tag, ZMQ_POLLIN), 0);
            assert_eq!(zmq_poller_size(p), 1);
            assert_eq!(zmq_poller_wait(p, &mut ev, -1), 0);
            assert!(ev.socket.is_null());
            assert_eq!((ev.fd, ev.user_data, ev.events), (fds[0], tag, ZMQ_POLLIN));
            let mut evs = [empty_event(), empty_event()];
            assert_eq!(zmq_poller_wait_all(p, evs.as_mut_ptr(), 2, 0), 1);
            assert_eq!(evs[0].fd, fds[0]);

            assert_eq!(zmq_poller_destroy(&mut p), 0);
            assert!(p.is_null());
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
