//! zmq_poll, zmq_proxy, zmq_proxy_steerable, zmq_device.

use super::socket::socket_ref;
use super::{guard, zmq_pollitem_t};
use crate::error::{Error, Result};
use crate::poll::{poll, PollItem};
use crate::socket::shared::SharedSocket;
use std::ffi::{c_int, c_long, c_void};

#[no_mangle]
pub unsafe extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, nitems: c_int, timeout: c_long) -> c_int {
    guard(|| {
        if nitems < 0 || (items.is_null() && nitems > 0) {
            return Err(Error::FAULT);
        }
        let items: &mut [zmq_pollitem_t] = if nitems == 0 { &mut [] } else { std::slice::from_raw_parts_mut(items, nitems as usize) };
        // Each distinct socket once: the items' sockets sorted by address, so finding
        // duplicates costs n log n, not the n² of a scan per item.
        let mut by_addr: Vec<(*mut c_void, usize)> = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            if !it.socket.is_null() {
                socket_ref(it.socket)?;
                by_addr.push((it.socket, i));
            }
        }
        by_addr.sort_unstable();
        let mut core_items: Vec<PollItem> =
            items.iter().map(|it| PollItem { socket: None, fd: it.fd, events: it.events, revents: 0 }).collect();
        let mut sockets: Vec<&SharedSocket> = Vec::with_capacity(by_addr.len());
        for (k, &(p, i)) in by_addr.iter().enumerate() {
            if k == 0 || by_addr[k - 1].0 != p {
                sockets.push(socket_ref(p)?);
            }
            core_items[i].socket = Some(sockets.len() - 1);
        }
        let n = poll(&sockets, &mut core_items, timeout as i64)?;
        for (it, ci) in items.iter_mut().zip(core_items.iter()) {
            it.revents = ci.revents;
        }
        Ok(n as c_int)
    })
}

unsafe fn optional_socket<'a>(p: *mut c_void) -> Result<Option<&'a SharedSocket>> {
    if p.is_null() {
        Ok(None)
    } else {
        socket_ref(p).map(Some)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_proxy_steerable(frontend: *mut c_void, backend: *mut c_void, capture: *mut c_void, control: *mut c_void) -> c_int {
    guard(|| {
        // libzmq's first check: EFAULT for a missing frontend or backend (not ENOTSOCK).
        if frontend.is_null() || backend.is_null() {
            return Err(Error::FAULT);
        }
        // Distinct sockets only (a frontend may double as its own backend).
        let others = [capture, control];
        if others.iter().any(|&p| !p.is_null() && (p == frontend || p == backend)) || (!capture.is_null() && capture == control) {
            return Err(Error::INVAL);
        }
        let front = socket_ref(frontend)?;
        let back = if backend == frontend { socket_ref(backend)?; None } else { Some(socket_ref(backend)?) };
        crate::proxy::proxy(front, back, optional_socket(capture)?, optional_socket(control)?)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_proxy(frontend: *mut c_void, backend: *mut c_void, capture: *mut c_void) -> c_int {
    zmq_proxy_steerable(frontend, backend, capture, std::ptr::null_mut())
}

#[no_mangle]
pub unsafe extern "C" fn zmq_device(_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    zmq_proxy_steerable(frontend, backend, std::ptr::null_mut(), std::ptr::null_mut())
}
