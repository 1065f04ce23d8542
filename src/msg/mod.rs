//! Messages: the unit that travels through pipes and over the wire.
//!
//! A `Msg` is exactly as large as the C `zmq_msg_t` (64 bytes) so the FFI layer can keep it
//! in the caller's struct by value. It never points into itself, because bindings move
//! `zmq_msg_t` with memcpy. Small payloads live inline (no allocation); larger ones live in
//! a reference-counted buffer, so copying a message (`zmq_msg_copy`, PUB fan-out) is a
//! refcount increment. User buffers handed over with a free function (`zmq_msg_init_data`)
//! are wrapped without copying; the free function runs wherever the last reference drops,
//! which may be an I/O thread.

mod buf_ring;
pub mod group;
mod metadata;
mod read_buf;
mod recycle;
mod slab;

pub use metadata::Metadata;
pub use read_buf::ReadBuf;
pub use recycle::{context_ended as recycling_context_ended, context_started as recycling_context_started};
use group::ShortGroup;
use recycle::OwnedBuf;

use std::ffi::c_void;
use std::sync::Arc;

/// Payloads up to this size are stored inside the message itself.
pub const INLINE_MAX: usize = 32;

/// Up to this size `with_size_unfilled` makes refcount and bytes one allocation.
const SINGLE_ALLOC_MAX: usize = 1 << 30;

/// Marks a live message inside a `zmq_msg_t`, so the C layer can reject garbage. A type
/// with one value: every other u32 is free for enums around a message to keep their
/// discriminant in, so `Option<Msg>`, `Result<Msg>` and the pipe's queue items stay 64
/// bytes (a cache line) instead of 72.
#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Magic {
    Live = 0x6d73_6721,
}

/// Message flags (bit values are internal; the C API exposes MORE via zmq_msg_more/get).
pub mod flags {
    /// More frames of the same message follow.
    pub const MORE: u8 = 1;
    /// A ZMTP command frame (never handed to the application).
    pub const COMMAND: u8 = 2;
    /// A subscription (1) or cancellation (0) followed by the topic, made by SUB/XSUB
    /// itself (ZMQ_SUBSCRIBE, replays to new publishers): sessions send it to ZMTP 3.1
    /// peers as a SUBSCRIBE/CANCEL command. Raw XSUB sends lack it and stay messages.
    pub const SUBSCRIPTION: u8 = 4;
    /// Only inside a pipe: the message's metadata is the last one the pipe carried
    /// (see `pipe::metadata`); the reader puts it back and clears the flag.
    pub const SAME_META: u8 = 8;
    /// zmq_msg_copy (or a fan-out to several pipes) shared this message's buffer:
    /// ZMQ_SHARED says 1 from then on, even after the other copies are gone, as libzmq's
    /// own flag does. Travels with the message through in-process pipes.
    pub const SHARED: u8 = 16;
}

/// libzmq keeps payloads of up to 33 bytes that the application makes inside its 64-byte
/// message (its max_vsm_size on 64-bit), so copies of those are independent and never
/// ZMQ_SHARED. Ours keep only up to `INLINE_MAX` inline; copies of a payload from there up
/// to this size copy the bytes, so that a copy never aliases where libzmq's would not.
pub const LIBZMQ_INLINE_MAX: usize = 33;

/// The C signature of a zero-copy free function: `void ffn(void *data, void *hint)`.
pub type FreeFn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// How a shared buffer is released when its last reference drops.
enum Release {
    /// Allocated by us as a `Box<[u8]>` of `len` bytes.
    Owned,
    /// The caller's buffer: call its free function, if any, with its hint.
    Foreign(Option<FreeFn>, *mut c_void),
    /// `zmq_send_const`: the caller promises the data outlives every use.
    Const,
}

/// A heap buffer shared by every copy of a large message.
struct Content {
    ptr: *mut u8,
    len: usize,
    release: Release,
}

// SAFETY: `Content` is the unique owner of its buffer (or, for foreign/const buffers, the
// C contract of zmq_msg_init_data/zmq_send_const hands that ownership to us). The free
// function may run on any thread, as libzmq documents.
unsafe impl Send for Content {}
unsafe impl Sync for Content {}

impl Drop for Content {
    fn drop(&mut self) {
        match self.release {
            Release::Owned => {
                // SAFETY: ptr/len came from Box::<[u8]>::into_raw in `Content::owned`.
                unsafe {
                    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr, self.len)));
                }
            }
            Release::Foreign(Some(ffn), hint) => {
                // SAFETY: the caller gave us this function for exactly this buffer.
                unsafe { ffn(self.ptr as *mut c_void, hint) }
            }
            Release::Foreign(None, _) | Release::Const => {}
        }
    }
}

impl Content {
    fn owned(data: Box<[u8]>) -> Content {
        let len = data.len();
        let ptr = Box::into_raw(data) as *mut u8;
        Content { ptr, len, release: Release::Owned }
    }
}

enum Body {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    /// A buffer we allocated for this message: one allocation, refcount and bytes together.
    /// Recycled when the last copy drops (see `recycle`).
    Owned(OwnedBuf),
    /// A buffer adopted without copying (a Vec, the caller's memory, constant data).
    Shared(Arc<Content>),
    /// `len` bytes at `off` in a socket read buffer that other received messages share
    /// (see `read_buf`). Not ZMQ_SHARED until copied (as libzmq's zero-copy receives).
    Slice { buf: OwnedBuf, off: u32, len: u32 },
    /// A small payload the application made, carved from its thread's slab (see
    /// `slab`).
    Slab { piece: slab::Piece },
}

#[repr(C)]
pub struct Msg {
    magic: Magic,
    routing_id: u32,
    meta: Option<Arc<Metadata>>,
    body: Body,
    flags: u8,
    /// The RADIO/DISH group, in what would otherwise be padding (see `group.rs`).
    group: ShortGroup,
}

const _: () = assert!(std::mem::size_of::<Msg>() <= 64);
// The marker's niche at work (see `Magic`).
const _: () = assert!(std::mem::size_of::<Option<Msg>>() == std::mem::size_of::<Msg>());
const _: () = assert!(std::mem::size_of::<crate::error::Result<Msg>>() == std::mem::size_of::<Msg>());

impl Default for Msg {
    fn default() -> Msg {
        Msg::new()
    }
}

impl Msg {
    /// An empty message (zmq_msg_init).
    pub const fn new() -> Msg {
        Msg::with_body(Body::Inline { len: 0, buf: [0; INLINE_MAX] })
    }

    /// A message with `body` and nothing else set; not `Msg { body, ..Msg::new() }`,
    /// which builds an inline body only to drop it, then copies the message piecewise.
    #[inline(always)]
    const fn with_body(body: Body) -> Msg {
        Msg { magic: Magic::Live, routing_id: 0, meta: None, body, flags: 0, group: ShortGroup::EMPTY }
    }

    /// A zero-filled message of `len` bytes, inline when small (zmq_msg_init_size).
    /// Inlined: the small case is a handful of stores straight into the caller's slot.
    #[inline]
    pub fn with_size(len: usize) -> Msg {
        if len <= INLINE_MAX {
            Msg::with_body(Body::Inline { len: len as u8, buf: [0; INLINE_MAX] })
        } else {
            Msg::with_zeroed_buf(len)
        }
    }

    #[inline(never)]
    fn with_zeroed_buf(len: usize) -> Msg {
        Msg::with_body(Body::Owned(OwnedBuf::new(zeroed_buf(len))))
    }

    /// Dropping this message would release nothing (no metadata, payload inline).
    #[inline]
    pub fn owns_nothing(&self) -> bool {
        self.meta.is_none() && matches!(self.body, Body::Inline { .. })
    }

    /// Drops the message, without running the drop glue when it owns nothing.
    #[inline]
    pub fn discard(self) {
        if self.owns_nothing() {
            std::mem::forget(self);
        }
    }

    /// `*self = msg`, without running the drop glue when the old message owns nothing
    /// (the usual receive: into an empty message from zmq_msg_init).
    #[inline]
    pub fn overwrite(&mut self, msg: Msg) {
        if self.owns_nothing() {
            std::mem::forget(std::mem::replace(self, msg));
        } else {
            *self = msg;
        }
    }

    /// A message holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Msg {
        if data.len() <= INLINE_MAX {
            let mut buf = [0; INLINE_MAX];
            buf[..data.len()].copy_from_slice(data);
            Msg::with_body(Body::Inline { len: data.len() as u8, buf })
        } else {
            let buf = match recycle::take(data.len()) {
                Some(mut buf) => {
                    Arc::get_mut(&mut buf).expect("recycled buffers are unique").copy_from_slice(data);
                    buf
                }
                None => Arc::from(data),
            };
            Msg::with_body(Body::Owned(OwnedBuf::new(buf)))
        }
    }

    /// A message of `len` bytes whose content is whatever the allocator returned
    /// (zmq_msg_init_size: libzmq leaves it undefined, the caller fills it through
    /// zmq_msg_data). Skipping the zeroing matters: zeroing a 64 KiB buffer costs more than
    /// the rest of an inproc send and receive. None if the memory cannot be had.
    #[inline(never)]
    pub fn with_size_unfilled(len: usize) -> Option<Msg> {
        if len <= INLINE_MAX {
            return Some(Msg::with_size(len));
        }
        let body = if let Some(buf) = recycle::take(len) {
            // Its bytes are an earlier message's: as undefined to the caller as malloc's.
            Body::Owned(OwnedBuf::new(buf))
        } else if len <= SINGLE_ALLOC_MAX {
            // One allocation for refcount and bytes. Its failure would abort, but at this
            // size that only happens when the process is out of memory anyway.
            Body::Owned(OwnedBuf::new(unfilled_buf(len)))
        } else {
            // Huge sizes: a fallible allocation, so the caller gets ENOMEM, not an abort.
            let mut v: Vec<std::mem::MaybeUninit<u8>> = Vec::new();
            v.try_reserve_exact(len).ok()?;
            // SAFETY: capacity is `len`; MaybeUninit needs no initialisation.
            unsafe { v.set_len(len) };
            let raw = Box::into_raw(v.into_boxed_slice()) as *mut [u8];
            // SAFETY: same layout as Box<[u8]>; the bytes are the caller's to fill (above).
            Body::Shared(Arc::new(Content::owned(unsafe { Box::from_raw(raw) })))
        };
        Some(Msg::with_body(body))
    }

    /// A message of `len` bytes the application fills (zmq_msg_init_size), carved from
    /// this thread's slab (see `slab`: no malloc here, no free on the thread that drops
    /// it). None for sizes kept inline or too big for a piece: `with_size_unfilled` then.
    /// Separate from it so that zmq_msg_init_size builds each straight into the C struct.
    #[inline(always)]
    pub fn from_slab_unfilled(len: usize) -> Option<Msg> {
        if len <= INLINE_MAX {
            return None;
        }
        let piece = slab::piece(len, recycle::contexts_alive())?;
        Some(Msg::with_body(Body::Slab { piece }))
    }

    /// A copy of the application's `data` (zmq_send): as `from_slice`, small payloads
    /// from this thread's slab.
    pub fn copy_for_app(data: &[u8]) -> Msg {
        if data.len() > INLINE_MAX {
            if let Some(piece) = slab::copy_of(data, recycle::contexts_alive()) {
                return Msg::with_body(Body::Slab { piece });
            }
        }
        Msg::from_slice(data)
    }

    /// A message taking ownership of `data` without copying (when large).
    pub fn from_vec(data: Vec<u8>) -> Msg {
        if data.len() <= INLINE_MAX {
            Msg::from_slice(&data)
        } else {
            Msg::from_boxed(data.into_boxed_slice())
        }
    }

    fn from_boxed(data: Box<[u8]>) -> Msg {
        Msg::with_body(Body::Shared(Arc::new(Content::owned(data))))
    }

    /// Wrap a caller's buffer without copying (zmq_msg_init_data). `ffn(data, hint)` runs
    /// when the last copy of the message is dropped, possibly on another thread.
    ///
    /// # Safety
    /// `data` must be valid for reads and writes of `len` bytes until `ffn` is called
    /// (or forever if `ffn` is None). It may be null when `len` is 0 (C allows that).
    pub unsafe fn from_foreign(data: *mut u8, len: usize, ffn: Option<FreeFn>, hint: *mut c_void) -> Msg {
        let content = Content { ptr: data, len, release: Release::Foreign(ffn, hint) };
        Msg::with_body(Body::Shared(Arc::new(content)))
    }

    /// Wrap constant data without copying (zmq_send_const).
    ///
    /// # Safety
    /// `data` must stay valid and unmodified for `len` bytes for as long as any copy lives.
    /// It may be null when `len` is 0.
    pub unsafe fn from_const(data: *const u8, len: usize) -> Msg {
        let content = Content { ptr: data as *mut u8, len, release: Release::Const };
        Msg::with_body(Body::Shared(Arc::new(content)))
    }

    pub fn len(&self) -> usize {
        match &self.body {
            Body::Inline { len, .. } => *len as usize,
            Body::Owned(a) => a.len(),
            Body::Shared(c) => c.len,
            Body::Slice { len, .. } => *len as usize,
            Body::Slab { piece, .. } => piece.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn data(&self) -> &[u8] {
        match &self.body {
            Body::Inline { len, buf } => &buf[..*len as usize],
            Body::Owned(a) => a,
            // C may hand over NULL for an empty buffer; a slice must not be built from it.
            Body::Shared(c) if c.len == 0 => &[],
            // SAFETY: ptr/len describe a live buffer owned by the Arc for as long as self.
            Body::Shared(c) => unsafe { std::slice::from_raw_parts(c.ptr, c.len) },
            // Only this message's range is borrowed (not the whole buffer): C may write
            // through another message's zmq_msg_data into its own range meanwhile.
            // SAFETY: off + len lies within the buffer (`ReadBuf::message`), which the
            // Arc keeps alive as long as self.
            Body::Slice { buf, off, len, .. } => unsafe {
                std::slice::from_raw_parts((Arc::as_ptr(buf) as *const u8).add(*off as usize), *len as usize)
            },
            Body::Slab { piece, .. } => piece.bytes(),
        }
    }

    /// Mutable payload. For a shared buffer this is only handed out while this message is
    /// its sole owner; otherwise None (the C layer uses `data_ptr` instead, as libzmq does).
    pub fn data_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.body {
            Body::Inline { len, buf } => Some(&mut buf[..*len as usize]),
            Body::Owned(a) => Arc::get_mut(a),
            Body::Shared(c) => {
                let c = Arc::get_mut(c)?;
                if matches!(c.release, Release::Const) {
                    return None;
                }
                if c.len == 0 {
                    return Some(&mut []);
                }
                // SAFETY: we are the only owner of the buffer, which is live and writable.
                Some(unsafe { std::slice::from_raw_parts_mut(c.ptr, c.len) })
            }
            Body::Slice { buf, off, len, .. } => Some(&mut Arc::get_mut(buf)?[*off as usize..(*off + *len) as usize]),
            // Copies of a piece are not counted apart from the rest of its slab: never
            // known to be the sole owner. (Only messages the library builds itself are
            // written through data_mut; these are the application's.)
            Body::Slab { .. } => None,
        }
    }

    /// Raw payload pointer for zmq_msg_data (libzmq lets the caller write through it).
    pub fn data_ptr(&mut self) -> *mut u8 {
        match &mut self.body {
            Body::Inline { buf, .. } => buf.as_mut_ptr(),
            // The pointer comes straight from the allocation (no shared reference in
            // between); libzmq lets C write through it, as zmq_msg_init_size users do.
            Body::Owned(a) => Arc::as_ptr(a) as *const u8 as *mut u8,
            Body::Shared(c) => c.ptr,
            // As for Owned: C writes only within this message's own range.
            Body::Slice { buf, off, .. } => (Arc::as_ptr(buf) as *const u8 as *mut u8).wrapping_add(*off as usize),
            Body::Slab { piece, .. } => piece.as_ptr(),
        }
    }

    pub fn flags(&self) -> u8 {
        self.flags
    }

    pub fn set_flags(&mut self, flags: u8) {
        self.flags |= flags;
    }

    pub fn reset_flags(&mut self, flags: u8) {
        self.flags &= !flags;
    }

    pub fn more(&self) -> bool {
        self.flags & flags::MORE != 0
    }

    pub fn set_more(&mut self, more: bool) {
        if more {
            self.flags |= flags::MORE
        } else {
            self.flags &= !flags::MORE
        }
    }

    pub fn is_command(&self) -> bool {
        self.flags & flags::COMMAND != 0
    }

    pub fn routing_id(&self) -> u32 {
        self.routing_id
    }

    pub fn set_routing_id(&mut self, id: u32) {
        self.routing_id = id;
    }

    /// The RADIO/DISH group ("" if none), NUL-terminated for zmq_msg_group.
    pub fn group(&self) -> &std::ffi::CStr {
        if self.group.is_long() {
            if let Some(g) = self.meta.as_deref().and_then(Metadata::group) {
                return g;
            }
        }
        self.group.as_c_str()
    }

    /// zmq_msg_group's pointer for this message, a bitwise copy of the one stored at
    /// `stored` (the caller's zmq_msg_t): a short group is read in place there, so the
    /// pointer lives as long as the caller's message, not as long as this copy.
    pub fn group_ptr_at(&self, stored: *const u8) -> *const std::ffi::c_char {
        if self.group.is_long() {
            if let Some(g) = self.meta.as_deref().and_then(Metadata::group) {
                return g.as_ptr();
            }
        }
        stored.wrapping_add(std::mem::offset_of!(Msg, group)) as *const std::ffi::c_char
    }

    /// Set the group: `group` has no NUL and at most ZMQ_GROUP_MAX_LENGTH bytes
    /// (`group::clamp` makes it so). Long groups go with the metadata (one allocation).
    pub fn set_group(&mut self, group: &[u8]) {
        debug_assert!(group.len() <= crate::constants::ZMQ_GROUP_MAX_LENGTH as usize && !group.contains(&0));
        match ShortGroup::new(group) {
            Some(g) => self.group = g,
            None => {
                let mut meta = self.meta.as_deref().cloned().unwrap_or_default();
                meta.set_group(group);
                self.meta = Some(Arc::new(meta));
                self.group = ShortGroup::long();
            }
        }
    }

    /// The metadata as it is (a long group in it stays in it), out of the message.
    pub fn take_metadata_as_is(&mut self) -> Option<Arc<Metadata>> {
        self.meta.take()
    }

    /// Puts back what `take_metadata_as_is` took (or an equal copy of it).
    pub fn put_metadata_as_is(&mut self, meta: Option<Arc<Metadata>>) {
        self.meta = meta;
    }

    pub fn metadata(&self) -> Option<&Arc<Metadata>> {
        self.meta.as_ref()
    }

    pub fn set_metadata(&mut self, meta: Option<Arc<Metadata>>) {
        // A long group lives in the metadata: it stays with the message.
        let long_group = self.group.is_long().then(|| self.group().to_bytes().to_vec());
        self.meta = meta;
        if let Some(g) = long_group {
            self.set_group(&g);
        }
    }

    /// ZMQ_SHARED: this message's buffer was shared by a copy (`mark_copied`), or is the
    /// caller's constant data (no free function), which libzmq always reports shared.
    pub fn is_shared(&self) -> bool {
        match &self.body {
            Body::Inline { .. } => false,
            Body::Shared(c) if matches!(c.release, Release::Const | Release::Foreign(None, _)) => true,
            _ => self.flags & flags::SHARED != 0,
        }
    }

    /// Whether a copy (`clone`) shares this message's buffer rather than copying it.
    fn copies_share(&self) -> bool {
        match &self.body {
            Body::Inline { .. } => false,
            // The caller's buffer (zmq_msg_init_data): libzmq shares it at any size.
            Body::Shared(_) => true,
            // Received frames (slices of a read buffer, or copied out of a short read):
            // libzmq's decoder keeps only frames under 33 bytes inline (as our INLINE_MAX)
            // and shares the rest. (An application's 33-byte message is a slab piece
            // while a context lives; made with none alive, it is Owned and shared too.)
            Body::Slice { .. } | Body::Owned(_) => true,
            // The application's messages (zmq_msg_init_size, zmq_send's copy).
            Body::Slab { .. } => self.len() > LIBZMQ_INLINE_MAX,
        }
    }

    /// zmq_msg_copy is about to share this message's buffer (or a fan-out to several
    /// pipes is): ZMQ_SHARED reports it from now on, on this message and its copies.
    pub fn mark_copied(&mut self) {
        if self.copies_share() {
            self.flags |= flags::SHARED;
        }
    }

    /// Whether the first 4 bytes of a `zmq_msg_t` (read by the caller, at any alignment)
    /// are the marker of a live message.
    pub fn is_live_marker(first_word: u32) -> bool {
        first_word == Magic::Live as u32
    }

    /// Whether a raw 64-byte `zmq_msg_t` holds a live message (checked before any use).
    ///
    /// # Safety
    /// `raw` must point to at least 4 readable, 4-aligned bytes.
    pub unsafe fn is_live(raw: *const Msg) -> bool {
        Msg::is_live_marker(std::ptr::read(raw as *const u32))
    }

    /// Mark a raw `zmq_msg_t` as no longer holding a message (after close/move).
    ///
    /// # Safety
    /// `raw` must point to a writable `zmq_msg_t` whose message was already moved out.
    pub unsafe fn mark_dead(raw: *mut Msg) {
        std::ptr::write(raw as *mut u32, 0);
    }

    /// Take the payload, leaving an empty message with the same flags.
    pub fn take(&mut self) -> Msg {
        std::mem::take(self)
    }
}

/// A buffer of `len` bytes whose content is whatever the allocator returned: for bytes
/// that are written before they are read (zmq_msg_init_size's, which the C caller fills;
/// a socket read buffer, which the kernel fills).
fn unfilled_buf(len: usize) -> Arc<[u8]> {
    let buf = Arc::<[u8]>::new_uninit_slice(len);
    // SAFETY: u8 has no invalid bit patterns; the bytes are the caller's to fill, exactly
    // like libzmq's malloc'd content and read buffer.
    unsafe { buf.assume_init() }
}

/// A zeroed buffer of `len` bytes, refcount and bytes in one allocation (plain malloc +
/// memset: calloc of large blocks goes through fresh mmap'd pages, a page fault per 4 KiB
/// every time).
fn zeroed_buf(len: usize) -> Arc<[u8]> {
    let mut buf = Arc::<[u8]>::new_uninit_slice(len);
    let slot = Arc::get_mut(&mut buf).expect("fresh Arc is unique");
    // SAFETY: writing `len` zero bytes over the uninitialised slice we own.
    unsafe { std::ptr::write_bytes(slot.as_mut_ptr(), 0, len) };
    // SAFETY: every byte was just initialised.
    unsafe { buf.assume_init() }
}

impl Clone for Msg {
    /// zmq_msg_copy: payloads libzmq would keep inline are copied, larger ones shared by
    /// reference count. The flags go along (SHARED too: see `mark_copied`).
    fn clone(&self) -> Msg {
        let body = match &self.body {
            Body::Inline { len, buf } => Body::Inline { len: *len, buf: *buf },
            _ if !self.copies_share() => Msg::copy_for_app(self.data()).body,
            Body::Owned(a) => Body::Owned(OwnedBuf::new(Arc::clone(a))),
            Body::Shared(c) => Body::Shared(Arc::clone(c)),
            Body::Slice { buf, off, len } => Body::Slice { buf: OwnedBuf::new(Arc::clone(buf)), off: *off, len: *len },
            Body::Slab { piece } => Body::Slab { piece: piece.share() },
        };
        Msg { magic: Magic::Live, routing_id: self.routing_id, meta: self.meta.clone(), body, flags: self.flags, group: self.group }
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg").field("len", &self.len()).field("flags", &self.flags).finish()
    }
}

#[cfg(test)]
mod tests;
