//! zmq_socket, zmq_close, options, bind/connect, send/recv in all their forms.

use super::ctx::ctx_ref;
use super::{bytes, guard, guard_ptr, option_buffer, option_value, with_msg, zmq_msg_t, ZMQ_SNDMORE};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::socket::shared::SharedSocket;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

const SOCKET_TAG: u32 = 0xba5e_ba11;
const DEAD_TAG: u32 = 0xdead_ba11;

/// What a `void *socket` points to. The tag lets us answer ENOTSOCK for anything else
/// (czmq passes its own objects to probe them). Handles are never freed while a context
/// lives: zmq_close empties one and keeps it for the next zmq_socket, so a call racing
/// zmq_close (or made after it) still reads a valid handle and fails with ENOTSOCK
/// instead of touching freed memory. The last zmq_ctx_term frees them.
#[repr(C)]
pub(crate) struct SocketHandle {
    tag: AtomicU32,
    pub socket: SharedSocket,
}

/// Closed handles, ready for reuse (addresses of leaked boxes).
static CLOSED_HANDLES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

pub(crate) unsafe fn socket_ref<'a>(p: *mut c_void) -> Result<&'a SharedSocket> {
    if p.is_null() || (p as usize) % std::mem::align_of::<SocketHandle>() != 0 {
        return Err(Error::NOTSOCK);
    }
    // SAFETY: as libzmq, a non-NULL aligned pointer is taken to be readable (the caller's
    // contract); only the tag says whether it is one of our handles.
    let h = &*(p as *const SocketHandle);
    if h.tag.load(Ordering::Acquire) != SOCKET_TAG {
        return Err(Error::NOTSOCK);
    }
    Ok(&h.socket)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket(context: *mut c_void, type_: c_int) -> *mut c_void {
    guard_ptr(|| {
        let ctx = ctx_ref(context)?;
        let socket = ctx.ctx.socket(type_)?;
        let reused = CLOSED_HANDLES.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let h: &SocketHandle = match reused {
            // SAFETY: addresses in CLOSED_HANDLES are leaked boxes only the last
            // zmq_ctx_term frees, and it takes them out of the list first.
            Some(addr) => {
                let h = &*(addr as *const SocketHandle);
                h.socket.reopen(socket);
                h
            }
            None => Box::leak(Box::new(SocketHandle { tag: AtomicU32::new(DEAD_TAG), socket: SharedSocket::new(socket) })),
        };
        h.tag.store(SOCKET_TAG, Ordering::Release);
        Ok(h as *const SocketHandle as *mut c_void)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    guard(|| {
        socket_ref(s)?;
        let h = &*(s as *const SocketHandle);
        // Of two racing closes, one wins; the other gets ENOTSOCK.
        h.tag.compare_exchange(SOCKET_TAG, DEAD_TAG, Ordering::AcqRel, Ordering::Acquire).map_err(|_| Error::NOTSOCK)?;
        h.socket.close()?;
        CLOSED_HANDLES.lock().unwrap_or_else(|e| e.into_inner()).push(s as usize);
        Ok(0)
    })
}

/// Frees the closed handles no call is still sleeping in (the last zmq_ctx_term: every
/// socket is closed by then). A handle a call still sleeps in (woken by its close, it is
/// about to leave) stays allocated.
pub(crate) fn free_closed_handles() {
    let mut list = CLOSED_HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|&addr| {
        // SAFETY: each address is a leaked Box<SocketHandle>, removed from the list here
        // before it is freed, so no zmq_socket can take it again.
        let h = unsafe { &*(addr as *const SocketHandle) };
        if h.socket.sleeping() > 0 {
            return true;
        }
        drop(unsafe { Box::from_raw(addr as *mut SocketHandle) });
        false
    });
    list.shrink_to_fit();
}

#[no_mangle]
pub unsafe extern "C" fn zmq_setsockopt(s: *mut c_void, option: c_int, optval: *const c_void, optvallen: usize) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let v = option_value(optval, optvallen)?;
        sock.with(|s| s.set_option(option, v))?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_getsockopt(s: *mut c_void, option: c_int, optval: *mut c_void, optvallen: *mut usize) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let out = option_buffer(optval, optvallen)?;
        let n = sock.with(|s| s.get_option(option, out))?;
        *optvallen = n;
        Ok(0)
    })
}

/// State of the peer with the given routing id (ROUTER sockets): ZMQ_POLLOUT if it can
/// take a message now. ENOTSUP on other socket types, EHOSTUNREACH for an unknown peer. DRAFT.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_get_peer_state(
    socket: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    guard(|| {
        let sock = socket_ref(socket)?;
        let rid = bytes(routing_id, routing_id_size)?;
        sock.with(|s| s.peer_state(rid))
    })
}

/// Joins a group (DISH sockets; ENOTSUP on every other type, as in libzmq). DRAFT.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    guard(|| group_call(s, group, true))
}

/// Leaves a group (DISH sockets). DRAFT.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    guard(|| group_call(s, group, false))
}

#[cfg(feature = "draft")]
unsafe fn group_call(s: *mut c_void, group: *const c_char, join: bool) -> Result<c_int> {
    let sock = socket_ref(s)?;
    if group.is_null() {
        return Err(Error::INVAL);
    }
    let group = CStr::from_ptr(group).to_bytes();
    sock.with(|s| s.group(group, join))?;
    Ok(0)
}

unsafe fn endpoint<'a>(addr: *const c_char) -> Result<&'a str> {
    if addr.is_null() {
        return Err(Error::INVAL);
    }
    CStr::from_ptr(addr).to_str().map_err(|_| Error::INVAL)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_bind(s: *mut c_void, addr: *const c_char) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = endpoint(addr)?;
        sock.with(|s| s.bind(addr))?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_connect(s: *mut c_void, addr: *const c_char) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = endpoint(addr)?;
        sock.with(|s| s.connect(addr))?;
        Ok(0)
    })
}

/// DRAFT: connects a PEER socket; returns the new peer's routing id (0 on error, with
/// errno: ENOTSUP for other socket types).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_connect_peer(s: *mut c_void, addr: *const c_char) -> u32 {
    super::guard_or(0, || {
        let sock = socket_ref(s)?;
        let addr = endpoint(addr)?;
        sock.with(|s| s.connect_peer(addr))
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = endpoint(addr)?;
        sock.with(|s| s.unattach(addr, true))?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = endpoint(addr)?;
        sock.with(|s| s.unattach(addr, false))?;
        Ok(0)
    })
}

fn size_result(n: usize) -> Result<c_int> {
    Ok(n.min(c_int::MAX as usize) as c_int)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let mut msg = Msg::copy_for_app(bytes(buf, len)?);
        sock.send(&mut msg, flags)?;
        // Sent: what is left is an empty message.
        msg.discard();
        size_result(len)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_send_const(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        bytes(buf, len)?;
        let mut msg = Msg::from_const(buf as *const u8, len);
        sock.send(&mut msg, flags)?;
        size_result(len)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recv(s: *mut c_void, buf: *mut c_void, len: usize, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        // libzmq receives first and checks the buffer only when there is something to copy
        // (EAGAIN, ENOTSUP, ETERM win over a NULL buffer); where it would then crash on a
        // NULL buffer we refuse with EFAULT, and the message is dropped.
        let mut msg = Msg::new();
        if let Err(e) = sock.recv_bare(flags, &mut msg) {
            // Nothing received (EAGAIN, the common case of a non-blocking loop).
            msg.discard();
            return Err(e);
        }
        let n = msg.len().min(len);
        if n > 0 && buf.is_null() {
            return Err(Error::FAULT);
        }
        if n > 0 {
            std::ptr::copy_nonoverlapping(msg.data().as_ptr(), buf as *mut u8, n);
        }
        // The message's real size, even when it was truncated to the buffer.
        let size = msg.len();
        msg.discard();
        size_result(size)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        with_msg(msg, |m| {
            let len = m.len();
            // On success the message is sent and `m` left empty, as libzmq leaves it.
            sock.send(m, flags)?;
            size_result(len)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        // A bad zmq_msg_t fails before a message is taken from the socket.
        with_msg(msg, |m| {
            sock.recv_into(flags, m)?;
            size_result(m.len())
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_send(msg, s, flags)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_recv(msg, s, flags)
}

/// zmq_sendiov: each buffer is one frame of a single message.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendiov(s: *mut c_void, iov: *mut libc::iovec, count: usize, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        if count == 0 || iov.is_null() {
            return Err(Error::INVAL);
        }
        let iovs = std::slice::from_raw_parts(iov, count);
        // libzmq returns the size of the last frame sent; the last one never has MORE.
        let mut last = 0;
        for (i, v) in iovs.iter().enumerate() {
            let mut msg = Msg::copy_for_app(bytes(v.iov_base, v.iov_len)?);
            let f = if i + 1 < count { flags | ZMQ_SNDMORE } else { flags & !ZMQ_SNDMORE };
            sock.send(&mut msg, f)?;
            last = v.iov_len;
        }
        size_result(last)
    })
}

/// zmq_recviov: receive up to *count frames into malloc'd buffers the caller frees;
/// returns (and stores in *count) how many frames were received.
#[no_mangle]
pub unsafe extern "C" fn zmq_recviov(s: *mut c_void, iov: *mut libc::iovec, count: *mut usize, flags: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        if iov.is_null() || count.is_null() || *count == 0 {
            return Err(Error::INVAL);
        }
        let max = *count;
        let mut n = 0;
        loop {
            let msg = sock.recv(flags)?;
            let len = msg.len();
            let buf = libc::malloc(len.max(1)) as *mut u8;
            if buf.is_null() {
                return Err(Error::NOMEM);
            }
            std::ptr::copy_nonoverlapping(msg.data().as_ptr(), buf, len);
            *iov.add(n) = libc::iovec { iov_base: buf as *mut c_void, iov_len: len };
            n += 1;
            if !msg.more() || n == max {
                break;
            }
        }
        *count = n;
        size_result(n)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor(s: *mut c_void, addr: *const c_char, events: c_int) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = if addr.is_null() { None } else { Some(endpoint(addr)?) };
        sock.with(|s| s.monitor(addr, events))?;
        Ok(0)
    })
}

/// zmq_socket_monitor with a 64-bit event mask, an event format version (1 or 2) and the
/// monitor's socket type (PAIR, PUB or PUSH).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    type_: c_int,
) -> c_int {
    guard(|| {
        let sock = socket_ref(s)?;
        let addr = if addr.is_null() { None } else { Some(endpoint(addr)?) };
        let req = crate::socket::monitor::MonitorRequest { addr, events, version: event_version, socket_type: type_ };
        sock.with(|s| s.monitor_versioned(&req))?;
        Ok(0)
    })
}

/// One ZMQ_EVENT_PIPES_STATS per pipe of the socket, on its monitor.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    guard(|| {
        socket_ref(s)?.with(|s| s.monitor_pipes_stats())?;
        Ok(0)
    })
}
