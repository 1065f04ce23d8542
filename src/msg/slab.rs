//! Slabs: the payloads of small messages an application sends, carved one after the other
//! from a per-thread block instead of one malloc each.
//!
//! Why: a message of 33 to 1024 bytes (too big to live inline) is allocated by the sending
//! thread and freed by the I/O thread (or the receiving one) after it is written. glibc
//! sends such frees back to the allocating thread's arena, and that thread's next mallocs
//! walk a list of chunks last touched by the other core: a cache miss each. Profiled on
//! tcp 64-byte throughput (remote_thr), malloc and free were a third of the sender's
//! CPU, for libzmq as for us. Here a message takes the next bytes of its thread's
//! current slab (no atomic operation, no shared cache line); the other thread drops it
//! with one atomic decrement on the slab's own line, which stays on that core while the
//! sender carves. A slab whose pieces are all gone when it fills up is carved again from
//! the start, so a steady stream reuses one block. Measured against the previous main
//! (ci/perf, 3 alternating runs): sender CPU per message 0.52-0.79x at 64 and 256 bytes
//! over tcp and ipc, 0.78-0.87x at 1 KiB; throughput tcp 64 B 1.36x, 256 B 1.59x,
//! inproc 64 B 3.3x, 256 B 1.4x, 1 KiB 1.4x.
//!
//! Counting, biased (the reason this is its own small unsafe module and not an `Arc`):
//! a new slab starts with `BIAS` references, all held by its carver. Handing out a piece
//! moves one of them to the piece without touching the count (the carver just counts
//! `handed`). So `refs = BIAS - handed + live`, where `live` counts the pieces and copies
//! still alive, and it cannot reach 0 while the carver holds the slab. When the carver
//! lets the slab go it gives back the `BIAS - handed` references it still holds: `refs`
//! is then `live`, and whoever brings it to 0 frees the slab. Reuse: `refs == BIAS -
//! handed` means nothing carved is alive (nothing can copy a piece that is gone), so the
//! carver, the slab's only holder, sets `refs` back to `BIAS` and starts over.
//!
//! Cost: a message kept long after it was made keeps its whole slab (32 KiB) allocated,
//! as a received message keeps its read buffer (`read_buf`). Slabs are used only while a
//! context is alive; a thread's slab goes when the thread ends, or at its first message
//! after the last context ended.

use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// Messages of up to this many bytes come from slabs.
pub const PIECE_MAX: usize = 1024;
/// Payload bytes per slab.
const SLAB_BYTES: usize = 32768;
/// Pieces start at multiples of this, as malloc's memory would (C callers put structs
/// in zmq_msg_data).
const PIECE_ALIGN: usize = 16;
/// The references a carver holds in bulk; far more than a slab has pieces.
const BIAS: usize = usize::MAX / 4;

/// The start of a slab: its reference count, alone on its cache line; the payload
/// bytes follow.
#[repr(C, align(64))]
struct Header {
    refs: AtomicUsize,
}

const HEADER: usize = std::mem::size_of::<Header>();

fn layout() -> Layout {
    Layout::from_size_align(HEADER + SLAB_BYTES, std::mem::align_of::<Header>()).expect("a valid slab layout")
}

/// A new slab with `BIAS` references, or None if memory is short.
fn new_slab() -> Option<NonNull<Header>> {
    // SAFETY: the layout has a non-zero size.
    let slab = NonNull::new(unsafe { alloc(layout()) } as *mut Header)?;
    // SAFETY: freshly allocated, aligned for Header, not yet shared.
    unsafe { slab.as_ptr().write(Header { refs: AtomicUsize::new(BIAS) }) };
    Some(slab)
}

/// Drop `n` references to `slab`; the last one frees it.
///
/// # Safety
/// The caller owns `n` of the slab's references and uses none of its bytes afterwards.
unsafe fn release(slab: NonNull<Header>, n: usize) {
    // Release: our reads and writes of the bytes come before whoever frees them.
    if slab.as_ref().refs.fetch_sub(n, Ordering::Release) == n {
        // Acquire: every other holder's accesses come before the free.
        fence(Ordering::Acquire);
        dealloc(slab.as_ptr() as *mut u8, layout());
    }
}

/// A message's payload: `len` bytes at `off` in a slab, holding one reference to it.
pub struct Piece {
    slab: NonNull<Header>,
    // Word-sized, though 32 bits would do: a piece made by `Carver::piece` is read soon
    // after as whole words, and two 4-byte stores read back as one 8-byte load stall
    // the store forwarding (profiled in zmq_msg_init_size).
    off: usize,
    len: usize,
}

// SAFETY: a piece owns a counted reference to memory that lives until the last one goes
// (atomically counted); its bytes are its own range, which `bytes` only reads.
unsafe impl Send for Piece {}
unsafe impl Sync for Piece {}

impl Piece {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Where the bytes are (libzmq lets C write through zmq_msg_data's pointer).
    pub fn as_ptr(&self) -> *mut u8 {
        // SAFETY: off + len lies within the slab's payload (`Carver::piece`).
        unsafe { (self.slab.as_ptr() as *mut u8).add(HEADER + self.off) }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: this piece's range of a live slab (our reference keeps it); the bytes
        // were written when the piece was made (`copy_of`) or are the C caller's to fill,
        // like malloc's; only this range is borrowed.
        unsafe { std::slice::from_raw_parts(self.as_ptr(), self.len) }
    }

    /// Another piece for the same bytes (a copy of the message): one more reference.
    pub fn share(&self) -> Piece {
        // Relaxed, as Arc's clone: we already hold a reference, so the slab is alive.
        // SAFETY: our reference keeps the header alive.
        unsafe { self.slab.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
        Piece { slab: self.slab, off: self.off, len: self.len }
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        // SAFETY: this piece's reference, given up; its bytes are not used again.
        unsafe { release(self.slab, 1) }
    }
}

/// A thread's current slab and how much of it is carved.
struct Carver {
    slab: Option<NonNull<Header>>,
    used: usize,
    handed: usize,
}

impl Carver {
    const EMPTY: Carver = Carver { slab: None, used: 0, handed: 0 };

    /// The next `len` bytes (`len <= PIECE_MAX`), from a fresh slab if this one is full.
    /// Inlined for the common case (room left in the current slab): the piece then
    /// stays in registers on its way into the message (see `Msg::with_body`).
    #[inline(always)]
    fn piece(&mut self, len: usize) -> Option<Piece> {
        debug_assert!(len <= PIECE_MAX);
        let need = len.div_ceil(PIECE_ALIGN).max(1) * PIECE_ALIGN;
        match self.slab {
            Some(slab) if self.used + need <= SLAB_BYTES => Some(self.carve(slab, len, need)),
            _ => self.piece_from_new_slab(len, need),
        }
    }

    /// The `len` bytes at `used` in `slab` (the current one, with `need` bytes left).
    #[inline(always)]
    fn carve(&mut self, slab: NonNull<Header>, len: usize, need: usize) -> Piece {
        let off = self.used;
        self.used += need;
        self.handed += 1;
        Piece { slab, off, len }
    }

    /// `piece` when the current slab is full or missing.
    #[inline(never)]
    fn piece_from_new_slab(&mut self, len: usize, need: usize) -> Option<Piece> {
        if let Some(slab) = self.slab {
            if self.used + need > SLAB_BYTES {
                // Acquire: the pieces' last users are done with the bytes we rewrite.
                // SAFETY: we hold references to the slab, so it is alive.
                let refs = &unsafe { slab.as_ref() }.refs;
                if refs.load(Ordering::Acquire) == BIAS - self.handed {
                    // Nothing else refers to the slab: the carver holds all BIAS again.
                    refs.store(BIAS, Ordering::Relaxed);
                    self.used = 0;
                    self.handed = 0;
                } else {
                    self.let_go();
                }
            }
        }
        let slab = match self.slab {
            Some(s) => s,
            None => {
                // Without a slab, `used` and `handed` are 0 (`let_go`, `EMPTY`).
                let s = new_slab()?;
                self.slab = Some(s);
                s
            }
        };
        Some(self.carve(slab, len, need))
    }

    /// Give back the references not handed out; the slab lives on while pieces do. Out
    /// of line: keeps `piece`'s thread-local access small enough to inline.
    #[cold]
    #[inline(never)]
    fn let_go(&mut self) {
        if let Some(slab) = self.slab.take() {
            // SAFETY: the carver holds exactly BIAS - handed references and no bytes.
            unsafe { release(slab, BIAS - self.handed) };
        }
        self.used = 0;
        self.handed = 0;
    }
}

impl Drop for Carver {
    fn drop(&mut self) {
        self.let_go();
    }
}

thread_local! {
    static CARVER: RefCell<Carver> = const { RefCell::new(Carver::EMPTY) };
}

/// A piece of `len` bytes (undefined content) from this thread's slab; None when `len`
/// is over `PIECE_MAX`, no context is alive (then this thread's slab is let go), or
/// memory is short. The caller then allocates as usual.
#[inline(always)]
pub fn piece(len: usize, contexts_alive: bool) -> Option<Piece> {
    if len > PIECE_MAX {
        return None;
    }
    // try_with/try_borrow_mut: never fails a send, even from a thread-local destructor.
    CARVER
        .try_with(|c| {
            let mut c = c.try_borrow_mut().ok()?;
            if !contexts_alive {
                c.let_go();
                return None;
            }
            c.piece(len)
        })
        .ok()
        .flatten()
}

/// A piece holding a copy of `data` (see `piece`).
pub fn copy_of(data: &[u8], contexts_alive: bool) -> Option<Piece> {
    let p = piece(data.len(), contexts_alive)?;
    // SAFETY: the piece's range is fresh and ours alone; `data` cannot overlap it (it is
    // borrowed from elsewhere: nothing else has this range yet).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p.as_ptr(), data.len()) };
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(p: &Piece) -> usize {
        unsafe { p.slab.as_ref() }.refs.load(Ordering::SeqCst)
    }

    #[test]
    fn pieces_are_aligned_disjoint_and_hold_their_bytes() {
        let mut c = Carver::EMPTY;
        let a = c.piece(33).unwrap();
        let b = c.piece(64).unwrap();
        let e = c.piece(0).unwrap();
        assert_eq!((a.off, b.off, e.off), (0, 48, 112));
        assert_eq!(a.as_ptr() as usize % PIECE_ALIGN, 0);
        unsafe {
            std::ptr::write_bytes(a.as_ptr(), 1, 33);
            std::ptr::write_bytes(b.as_ptr(), 2, 64);
        }
        assert_eq!((a.bytes(), b.bytes(), e.bytes()), (&[1u8; 33][..], &[2u8; 64][..], &[][..]));
        assert_eq!(refs(&a), BIAS - 3 + 3);
    }

    #[test]
    fn a_full_slab_is_reused_when_its_pieces_are_gone_and_kept_while_they_live() {
        let mut c = Carver::EMPTY;
        let per_slab = SLAB_BYTES / 256;
        let first: Vec<Piece> = (0..per_slab).map(|_| c.piece(256).unwrap()).collect();
        let slab = first[0].slab;
        drop(first);
        // All gone: the next piece starts the same slab over.
        let again = c.piece(256).unwrap();
        assert_eq!((again.slab, again.off), (slab, 0));
        let mut kept: Vec<Piece> = (1..per_slab).map(|_| c.piece(256).unwrap()).collect();
        kept.push(again.share());
        drop(again);
        // A copy of a piece still lives: the carver moves to a new slab, the old one
        // stays for the copy and the other pieces.
        let next = c.piece(256).unwrap();
        assert_ne!(next.slab, slab);
        assert_eq!(refs(&kept[0]), per_slab, "the carver's references were given back");
        drop(kept);
        drop(next);
        drop(c);
    }

    #[test]
    fn the_last_of_carver_and_pieces_frees_on_any_thread() {
        // Under valgrind (ci runs the C suites so), a slab freed twice or never shows.
        let mut c = Carver::EMPTY;
        let pieces: Vec<Piece> = (0..50).map(|i| copy_into(&mut c, &[i as u8; 100])).collect();
        drop(c);
        let t = std::thread::spawn(move || {
            for (i, p) in pieces.iter().enumerate() {
                assert_eq!(p.bytes(), &[i as u8; 100][..]);
            }
            let copies: Vec<Piece> = pieces.iter().map(Piece::share).collect();
            drop(pieces);
            copies
        });
        let copies = t.join().unwrap();
        assert_eq!(copies.len(), 50);
        assert_eq!(refs(&copies[0]), 50);
    }

    fn copy_into(c: &mut Carver, data: &[u8]) -> Piece {
        let p = c.piece(data.len()).unwrap();
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p.as_ptr(), data.len()) };
        p
    }

    #[test]
    fn two_threads_carve_and_drop_at_once() {
        // A sender carving while another thread drops what it sent, many slabs over.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(64);
        let reader = std::thread::spawn(move || {
            let mut n = 0u32;
            for p in rx {
                assert_eq!(p.bytes(), &[(n % 251) as u8; 200][..]);
                n += 1;
            }
            n
        });
        for n in 0..20_000u32 {
            tx.send(copy_of(&[(n % 251) as u8; 200], true).unwrap()).unwrap();
        }
        drop(tx);
        assert_eq!(reader.join().unwrap(), 20_000);
        assert!(piece(PIECE_MAX + 1, true).is_none(), "over PIECE_MAX");
        assert!(piece(10, false).is_none(), "no context alive");
    }
}
