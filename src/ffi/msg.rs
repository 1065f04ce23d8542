//! zmq_msg_*: a `Msg` lives by value inside the caller's 64-byte `zmq_msg_t`.
//!
//! The struct is only ever accessed with unaligned byte copies (`peek`/`store`), because
//! bindings that allocate it as a plain byte buffer (ctypes, FFI libraries) may not align it,
//! and libzmq never cared. A `zmq_msg_t` is in one of three states:
//! - live: holds a `Msg` (`Msg::is_live`), after zmq_msg_init* / move / copy / recv;
//! - closed: after zmq_msg_close, holds a [`Closed`] marker that remembers the MORE flag,
//!   since libzmq documents zmq_msg_more as safe to call after zmq_msg_close;
//! - anything else (never initialised): every call fails with EFAULT, as libzmq's check().
//!
//! Helpers for other entry points (zmq_msg_send / zmq_msg_recv): [`msg_mut`] (a `&mut Msg`
//! that is written back when dropped), [`peek`], [`take`], [`put`], [`replace`].

use crate::constants::{ZMQ_MORE, ZMQ_SHARED, ZMQ_SRCFD};
use super::types::{zmq_msg_t, FreeFnPtr};
use super::{guard, guard_or, guard_ptr, non_null};
use crate::error::{Error, Result};
use crate::msg::{Msg, INLINE_MAX};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::{size_of, ManuallyDrop};
use std::ptr;

/// What zmq_msg_close leaves in the `zmq_msg_t`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Closed {
    /// Never equal to the live magic of `Msg` (checked by a test).
    tag: u32,
    more: u32,
}

const CLOSED_TAG: u32 = 0x434c_5344; // "CLSD"

/// Reads the message in a live `zmq_msg_t` as a bitwise copy that is never dropped: the
/// C struct keeps ownership. Use it for reads; write changes back with [`store`].
pub(crate) unsafe fn peek(raw: *const zmq_msg_t) -> Result<ManuallyDrop<Msg>> {
    // The marker is checked before the bytes are taken as a message.
    check_live(raw)?;
    Ok(ManuallyDrop::new(ptr::read_unaligned(raw as *const Msg)))
}

/// EFAULT unless `raw` holds a live message; reads only its marker (no copy).
pub(crate) unsafe fn check_live(raw: *const zmq_msg_t) -> Result<()> {
    let raw = non_null(raw)?;
    if !Msg::is_live_marker(ptr::read_unaligned(raw as *const u32)) {
        return Err(Error::FAULT);
    }
    Ok(())
}

/// The live message of a `zmq_msg_t`, borrowed as a `&mut Msg` (through `DerefMut`) and
/// written back when dropped, also when unwinding, so content released or replaced through
/// it is never left referenced by the C struct.
pub(crate) struct MsgMut {
    raw: *mut zmq_msg_t,
    msg: ManuallyDrop<Msg>,
}

impl std::ops::Deref for MsgMut {
    type Target = Msg;
    fn deref(&self) -> &Msg {
        &self.msg
    }
}

impl std::ops::DerefMut for MsgMut {
    fn deref_mut(&mut self) -> &mut Msg {
        &mut self.msg
    }
}

impl Drop for MsgMut {
    fn drop(&mut self) {
        // SAFETY: `raw` held this message when borrowed; the write hands ownership back.
        unsafe { ptr::copy_nonoverlapping(&*self.msg as *const Msg as *const u8, self.raw as *mut u8, size_of::<Msg>()) }
    }
}

/// Borrows the message of a live `zmq_msg_t` (EFAULT if null or not live). Works for any
/// alignment, unlike a plain `&mut *(raw as *mut Msg)`.
pub(crate) unsafe fn msg_mut(raw: *mut zmq_msg_t) -> Result<MsgMut> {
    Ok(MsgMut { raw, msg: peek(raw)? })
}

/// Runs `f` on the message of a live `zmq_msg_t` (EFAULT if null or not live). zmq.h
/// aligns `zmq_msg_t` as a pointer, so C's structs are used in place, without the two
/// 64-byte copies of [`msg_mut`]; only a misaligned one (a binding's byte buffer) goes
/// through the copy.
#[inline]
pub(crate) unsafe fn with_msg<T>(raw: *mut zmq_msg_t, f: impl FnOnce(&mut Msg) -> Result<T>) -> Result<T> {
    check_live(raw)?;
    if (raw as usize) % std::mem::align_of::<Msg>() == 0 {
        // SAFETY: live (checked), aligned, and the caller's struct is ours for the call
        // (the C contract: no one else touches it meanwhile), as for `msg_mut`.
        f(&mut *(raw as *mut Msg))
    } else {
        f(&mut *msg_mut(raw)?)
    }
}

/// Writes `msg` into the `zmq_msg_t`, without releasing what was there before.
unsafe fn store(raw: *mut zmq_msg_t, msg: Msg) {
    ptr::write_unaligned(raw as *mut Msg, msg);
}

/// Takes the message out of a live `zmq_msg_t`, leaving an empty live message behind (what
/// libzmq leaves after a successful send, and in the source of zmq_msg_move).
pub(crate) unsafe fn take(raw: *mut zmq_msg_t) -> Result<Msg> {
    let msg = ManuallyDrop::into_inner(peek(raw)?);
    store(raw, Msg::new());
    Ok(msg)
}

/// Stores `msg` into a `zmq_msg_t` that holds nothing to release: one emptied by [`take`]
/// (e.g. to give a message back after a failed send), or fresh memory.
pub(crate) unsafe fn put(raw: *mut zmq_msg_t, msg: Msg) -> Result<()> {
    store(super::non_null_mut(raw)?, msg);
    Ok(())
}

/// Replaces the message of a live `zmq_msg_t`, releasing the old one (zmq_msg_recv).
/// EFAULT, and `msg` is dropped, if the target is not live.
pub(crate) unsafe fn replace(raw: *mut zmq_msg_t, msg: Msg) -> Result<()> {
    let old = ManuallyDrop::into_inner(peek(raw)?);
    store(raw, msg);
    drop(old);
    Ok(())
}

unsafe fn closed_more(raw: *const zmq_msg_t) -> Option<c_int> {
    let marker = ptr::read_unaligned(raw as *const Closed);
    (marker.tag == CLOSED_TAG).then_some(marker.more as c_int)
}

/// Initialises an empty message.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    // Whatever the struct held is not ours to release: it may be a memcpy'd-away message.
    guard(|| put(msg, Msg::new()).map(|_| 0))
}

/// Initialises a message of `size` bytes, left undefined as libzmq does (the caller
/// fills them through zmq_msg_data).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    if size <= INLINE_MAX && !msg.is_null() {
        // The per-message case of small sends: nothing here can fail or panic, and
        // building the message straight into the C struct saves a 64-byte copy.
        store(msg, Msg::with_size(size));
        return 0;
    }
    guard(|| {
        // Null checked first and a store per kind of body, so the message is built
        // straight into the struct: moved through an Option and a Result, its pieces
        // were reread as wider words before they reached memory (store-forwarding
        // stalls), a fifth of the CPU of a thread sending 64-byte messages.
        let raw = super::non_null_mut(msg)?;
        match Msg::from_slab_unfilled(size) {
            Some(m) => store(raw, m),
            None => store(raw, Msg::with_size_unfilled(size).ok_or(Error::NOMEM)?),
        }
        Ok(0)
    })
}

/// Wraps the caller's buffer without copying; `ffn(data, hint)` runs (possibly on another
/// thread) when the last copy is released. With `ffn` NULL the buffer is never freed.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: FreeFnPtr,
    hint: *mut c_void,
) -> c_int {
    guard(|| {
        // libzmq asserts on this; a C caller gets EFAULT instead of an abort.
        if data.is_null() && size != 0 {
            return Err(Error::FAULT);
        }
        // Check before wrapping: a failed init must not run ffn on the caller's buffer.
        super::non_null_mut(msg)?;
        put(msg, Msg::from_foreign(data as *mut u8, size, ffn, hint)).map(|_| 0)
    })
}

/// Releases the message. The struct keeps its MORE flag for zmq_msg_more.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    guard(|| {
        let m = peek(msg)?;
        // Mark the struct closed before dropping, so it never looks live with freed content.
        ptr::write_unaligned(msg as *mut Closed, Closed { tag: CLOSED_TAG, more: m.more() as u32 });
        // A message that owns nothing (small, no metadata) needs no drop glue.
        if !m.owns_nothing() {
            drop(ManuallyDrop::into_inner(m));
        }
        Ok(0)
    })
}

/// Moves `src`'s content to `dest` (both must be live), releasing `dest`'s old content;
/// `src` becomes an empty message.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(|| {
        peek(src)?;
        peek(dest)?;
        // libzmq would release the content first and leave an empty message; do nothing.
        if ptr::eq(dest, src) {
            return Ok(0);
        }
        let m = take(src)?;
        replace(dest, m).map(|_| 0)
    })
}

/// Makes `dest` (live) another reference to `src`'s content: large payloads are shared, not
/// copied, so neither should be modified afterwards.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(|| {
        peek(src)?;
        peek(dest)?;
        // libzmq would end up with a dead message here; copying onto itself changes nothing.
        if ptr::eq(dest, src) {
            return Ok(0);
        }
        // Both report ZMQ_SHARED from now on (if the copy shares the buffer), as libzmq
        // marks both.
        msg_mut(src)?.mark_copied();
        let copy = Msg::clone(&*peek(src)?);
        replace(dest, copy)?;
        Ok(0)
    })
}

/// Pointer to the content, writable (NULL with EFAULT for an invalid message).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    guard_ptr(|| {
        let mut m = peek(msg)?;
        let p = m.data_ptr();
        // Small payloads live inside the Msg: translate from our copy back to the C struct.
        let copy_start = &*m as *const Msg as usize;
        let offset = (p as usize).wrapping_sub(copy_start);
        if offset < size_of::<Msg>() {
            return Ok((msg as *mut u8).add(offset) as *mut c_void);
        }
        Ok(p as *mut c_void)
    })
}

/// Content size in bytes (0 with EFAULT for an invalid message).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    guard_or(0, || Ok(peek(msg)?.len()))
}

/// 1 if more frames of the same message follow. Also answers for a closed message, as
/// libzmq documents; for an invalid one, 0 with EFAULT (not -1, which loops read as true).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    guard_or(0, || more(msg))
}

unsafe fn more(msg: *const zmq_msg_t) -> Result<c_int> {
    match peek(msg) {
        Ok(m) => Ok(m.more() as c_int),
        Err(e) => closed_more(non_null(msg)?).ok_or(e),
    }
}

/// Integer message properties: ZMQ_MORE, ZMQ_SRCFD (-1 when unknown), ZMQ_SHARED.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    guard(|| match property {
        ZMQ_MORE => more(msg),
        ZMQ_SRCFD => {
            // The engine records the connection's descriptor as the "__fd" property.
            let m = peek(msg)?;
            let fd = metadata(&m, c"__fd")?;
            Ok(fd.to_str().ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0))
        }
        ZMQ_SHARED => Ok(peek(msg)?.is_shared() as c_int),
        _ => Err(Error::INVAL),
    })
}

/// No property is settable (EINVAL), as in libzmq.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set(msg: *mut zmq_msg_t, property: c_int, optval: c_int) -> c_int {
    let _ = (msg, property, optval);
    guard(|| Err(Error::INVAL))
}

/// Connection metadata of a received message ("Socket-Type", "Routing-Id", "Peer-Address",
/// "User-Id", "X-..."). The string lives as long as the message. NULL with EINVAL if unknown.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_gets(msg: *const zmq_msg_t, property: *const c_char) -> *const c_char {
    guard_or(ptr::null(), || {
        let m = peek(msg)?;
        let name = CStr::from_ptr(non_null(property)?);
        Ok(metadata(&m, name)?.as_ptr())
    })
}

/// Looks a property up; the returned string is owned by the message's metadata.
fn metadata<'a>(m: &'a Msg, name: &CStr) -> Result<&'a CStr> {
    let meta = m.metadata().ok_or(Error::INVAL)?;
    let name = name.to_str().map_err(|_| Error::INVAL)?;
    meta.get(name)
        // "Identity" is the deprecated name of "Routing-Id".
        .or_else(|| if name == "Identity" { meta.get("Routing-Id") } else { None })
        .ok_or(Error::INVAL)
}

// ---- DRAFT API ----

/// Sets the routing id used by SERVER/PEER sockets; 0 is not a valid id (EINVAL).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    guard(|| {
        if routing_id == 0 {
            return Err(Error::INVAL);
        }
        msg_mut(msg)?.set_routing_id(routing_id);
        Ok(0)
    })
}

/// The routing id of a message received on a SERVER/PEER socket (0 if none).
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    guard_or(0, || Ok(peek(msg)?.routing_id()))
}

/// Sets the RADIO/DISH group of a message. Like libzmq, a group longer than
/// ZMQ_GROUP_MAX_LENGTH is cut to that length rather than refused.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    guard(|| {
        let group = non_null(group as *const c_void)? as *const c_char;
        // strnlen: never read past ZMQ_GROUP_MAX_LENGTH bytes of the caller's string.
        let len = libc::strnlen(group, crate::constants::ZMQ_GROUP_MAX_LENGTH as usize);
        let bytes = std::slice::from_raw_parts(group as *const u8, len);
        msg_mut(msg)?.set_group(crate::msg::group::clamp(bytes));
        Ok(0)
    })
}

/// The RADIO/DISH group of a message ("" if it has none); the text lives as long as
/// the message is neither changed nor moved.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    guard_or(ptr::null(), || Ok(peek(msg)?.group_ptr_at(msg as *const u8)))
}

/// Initialises a message holding a copy of `size` bytes at `buf`.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_buffer(msg: *mut zmq_msg_t, buf: *const c_void, size: usize) -> c_int {
    guard(|| {
        let data = if size == 0 { &[][..] } else { std::slice::from_raw_parts(non_null(buf)? as *const u8, size) };
        put(msg, Msg::copy_for_app(data)).map(|_| 0)
    })
}

#[cfg(test)]
mod tests;
