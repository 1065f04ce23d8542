use super::super::errno;
use super::*;
use crate::msg::Metadata;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn new_msg() -> zmq_msg_t {
    zmq_msg_t { bytes: [0; 64] }
}

#[test]
fn closed_marker_is_never_live() {
    let mut raw = new_msg();
    unsafe {
        ptr::write_unaligned(&mut raw as *mut _ as *mut Closed, Closed { tag: CLOSED_TAG, more: 1 });
        assert!(!Msg::is_live(&raw as *const _ as *const Msg));
    }
}

#[test]
fn init_size_slab_messages_built_in_place_hold_their_own_bytes() {
    // Enough 64- to 1024-byte messages alive at once to fill several slabs (the
    // in-place path and the new-slab path), each written through zmq_msg_data.
    let sizes: Vec<usize> = (0..400).map(|i| INLINE_MAX + 1 + (i * 37) % 992).collect();
    let mut msgs: Vec<zmq_msg_t> = sizes.iter().map(|_| new_msg()).collect();
    // Slabs are carved only while a context is alive.
    let ctx = super::super::ctx::zmq_ctx_new();
    assert!(!ctx.is_null());
    unsafe {
        for (i, (m, &size)) in msgs.iter_mut().zip(&sizes).enumerate() {
            assert_eq!(zmq_msg_init_size(m, size), 0);
            assert_eq!(zmq_msg_size(m), size);
            ptr::write_bytes(zmq_msg_data(m) as *mut u8, i as u8, size);
        }
        for (i, (m, &size)) in msgs.iter_mut().zip(&sizes).enumerate() {
            let data = std::slice::from_raw_parts(zmq_msg_data(m) as *const u8, size);
            assert!(data.iter().all(|&b| b == i as u8), "message {i} kept its bytes");
            assert_eq!(zmq_msg_close(m), 0);
        }
        assert_eq!(zmq_msg_init_size(ptr::null_mut(), 64), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(super::super::ctx::zmq_ctx_term(ctx), 0);
    }
}

#[test]
fn init_size_close_and_reuse() {
    let mut m = new_msg();
    unsafe {
        assert_eq!(zmq_msg_size(&m), 0);
        assert_eq!(errno(), libc::EFAULT, "zeroed struct is not a message");
        for size in [0, 5, INLINE_MAX, INLINE_MAX + 1, 64, 1024, 1025, 100_000] {
            assert_eq!(zmq_msg_init_size(&mut m, size), 0);
            assert_eq!(zmq_msg_size(&m), size);
            let p = zmq_msg_data(&mut m) as *mut u8;
            assert!(!p.is_null());
            ptr::write_bytes(p, 0xAB, size);
            assert_eq!(zmq_msg_close(&mut m), 0);
            assert_eq!(zmq_msg_close(&mut m), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
        // Called through an opaque pointer, as C calls it: inlined into this test, the
        // optimiser may drop an allocation whose result nobody reads and take it as done.
        let init_size = std::hint::black_box(zmq_msg_init_size as unsafe extern "C" fn(*mut zmq_msg_t, usize) -> c_int);
        for huge in [usize::MAX, 1 << 60] {
            assert_eq!(init_size(&mut m, huge), -1);
            assert_eq!(errno(), libc::ENOMEM);
        }
        assert_eq!(zmq_msg_init(ptr::null_mut()), -1);
        assert_eq!(errno(), libc::EFAULT);
    }
}

#[test]
fn small_data_pointer_points_into_the_c_struct() {
    let mut m = new_msg();
    unsafe {
        zmq_msg_init_size(&mut m, 4);
        let p = zmq_msg_data(&mut m) as *mut u8;
        let base = &m as *const _ as usize;
        assert!((p as usize) >= base && (p as usize) < base + 64);
        ptr::copy_nonoverlapping(b"abcd".as_ptr(), p, 4);
        assert_eq!(peek(&m).unwrap().data(), b"abcd");
        zmq_msg_close(&mut m);
    }
}

#[test]
fn misaligned_struct_works() {
    // A binding may hand us a zmq_msg_t at any address.
    let mut buf = [0u64; 10];
    let raw = unsafe { (buf.as_mut_ptr() as *mut u8).add(3) } as *mut zmq_msg_t;
    unsafe {
        assert_eq!(zmq_msg_init_size(raw, 3), 0);
        ptr::copy_nonoverlapping(b"xyz".as_ptr(), zmq_msg_data(raw) as *mut u8, 3);
        assert_eq!(zmq_msg_size(raw), 3);
        let mut other = new_msg();
        zmq_msg_init(&mut other);
        assert_eq!(zmq_msg_copy(&mut other, raw), 0);
        assert_eq!(peek(&other).unwrap().data(), b"xyz");
        assert_eq!(zmq_msg_close(raw), 0);
        assert_eq!(zmq_msg_close(&mut other), 0);
    }
}

static FREED: AtomicUsize = AtomicUsize::new(0);
unsafe extern "C" fn free_box(data: *mut c_void, hint: *mut c_void) {
    drop(Box::from_raw(data as *mut [u8; 64]));
    assert_eq!(hint as usize, 0x1234);
    FREED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn init_data_copy_move_and_free() {
    let data = Box::into_raw(Box::new([7u8; 64])) as *mut c_void;
    let (mut a, mut b, mut c) = (new_msg(), new_msg(), new_msg());
    unsafe {
        assert_eq!(zmq_msg_init_data(&mut a, data, 64, Some(free_box), 0x1234 as *mut c_void), 0);
        assert_eq!(zmq_msg_data(&mut a), data, "zero copy");
        assert_eq!(zmq_msg_get(&a, ZMQ_SHARED), 0);
        zmq_msg_init(&mut b);
        assert_eq!(zmq_msg_copy(&mut b, &mut a), 0);
        assert_eq!(zmq_msg_get(&a, ZMQ_SHARED), 1);
        assert_eq!(zmq_msg_data(&mut b), data);
        zmq_msg_init_size(&mut c, 3);
        assert_eq!(zmq_msg_move(&mut c, &mut b), 0);
        assert_eq!(zmq_msg_size(&b), 0, "source of a move is an empty, live message");
        assert_eq!(zmq_msg_data(&mut c), data);
        assert_eq!(zmq_msg_close(&mut a), 0);
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        assert_eq!(zmq_msg_close(&mut c), 0);
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
        assert_eq!(zmq_msg_close(&mut b), 0);
        // Null data is fine when empty, not otherwise.
        assert_eq!(zmq_msg_init_data(&mut a, ptr::null_mut(), 0, None, ptr::null_mut()), 0);
        assert_eq!(zmq_msg_size(&a), 0);
        assert_eq!(zmq_msg_close(&mut a), 0);
        assert_eq!(zmq_msg_init_data(&mut a, ptr::null_mut(), 1, None, ptr::null_mut()), -1);
        assert_eq!(errno(), libc::EFAULT);
    }
}

#[test]
fn move_and_copy_need_live_messages() {
    let (mut a, mut b) = (new_msg(), new_msg());
    unsafe {
        zmq_msg_init_size(&mut a, 10);
        assert_eq!(zmq_msg_move(&mut b, &mut a), -1, "dest not initialised");
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_msg_copy(&mut b, &mut a), -1);
        assert_eq!(zmq_msg_size(&a), 10, "failed calls leave src alone");
        assert_eq!(zmq_msg_move(&mut a, &mut a), 0);
        assert_eq!(zmq_msg_copy(&mut a, &mut a), 0);
        assert_eq!(zmq_msg_size(&a), 10);
        zmq_msg_close(&mut a);
    }
}

#[test]
fn more_get_set_and_metadata() {
    let mut m = new_msg();
    unsafe {
        zmq_msg_init(&mut m);
        assert_eq!(zmq_msg_more(&m), 0);
        // The core sets MORE on received frames; emulate one.
        let mut inner = ManuallyDrop::into_inner(peek(&m).unwrap());
        inner.set_more(true);
        let mut meta = Metadata::new();
        meta.set("Socket-Type", b"DEALER");
        meta.set("Routing-Id", b"abc");
        meta.set("__fd", b"17");
        inner.set_metadata(Some(Arc::new(meta)));
        store(&mut m, inner);

        assert_eq!(zmq_msg_more(&m), 1);
        assert_eq!(zmq_msg_get(&m, ZMQ_MORE), 1);
        assert_eq!(zmq_msg_get(&m, ZMQ_SRCFD), 17);
        assert_eq!(zmq_msg_get(&m, 12345), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_msg_set(&mut m, ZMQ_MORE, 0), -1);
        assert_eq!(errno(), libc::EINVAL);
        let st = zmq_msg_gets(&m, c"Socket-Type".as_ptr());
        assert_eq!(CStr::from_ptr(st).to_bytes(), b"DEALER");
        let id = zmq_msg_gets(&m, c"Identity".as_ptr());
        assert_eq!(CStr::from_ptr(id).to_bytes(), b"abc");
        assert!(zmq_msg_gets(&m, c"X-Nope".as_ptr()).is_null());
        assert_eq!(errno(), libc::EINVAL);

        assert_eq!(zmq_msg_close(&mut m), 0);
        assert_eq!(zmq_msg_more(&m), 1, "MORE survives close");
        assert_eq!(zmq_msg_get(&m, ZMQ_MORE), 1);
        assert_eq!(zmq_msg_get(&m, ZMQ_SHARED), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert!(zmq_msg_gets(&m, c"Socket-Type".as_ptr()).is_null());

        zmq_msg_init(&mut m);
        assert_eq!(zmq_msg_get(&m, ZMQ_SRCFD), -1, "no fd recorded");
        assert_eq!(errno(), libc::EINVAL);
        zmq_msg_close(&mut m);

        let garbage = new_msg();
        assert_eq!(zmq_msg_more(&garbage), 0);
        assert_eq!(errno(), libc::EFAULT);
    }
}

#[test]
fn msg_mut_writes_back() {
    let mut buf = [0u64; 10];
    let raw = unsafe { (buf.as_mut_ptr() as *mut u8).add(1) } as *mut zmq_msg_t;
    unsafe {
        assert!(msg_mut(raw).is_err());
        zmq_msg_init_size(raw, 1000);
        {
            let mut m = msg_mut(raw).unwrap();
            assert_eq!(m.len(), 1000);
            *m = Msg::from_slice(b"replaced"); // releases the 1000-byte buffer
            m.set_more(true);
        }
        assert_eq!(zmq_msg_size(raw), 8);
        assert_eq!(zmq_msg_more(raw), 1);
        // Written back on unwind too.
        let r = std::panic::catch_unwind(|| {
            let mut m = msg_mut(raw).unwrap();
            *m = Msg::from_slice(b"x");
            panic!("core bug");
        });
        assert!(r.is_err());
        assert_eq!(zmq_msg_size(raw), 1);
        assert_eq!(zmq_msg_close(raw), 0);
    }
}

#[test]
fn take_put_replace_for_the_core() {
    let mut m = new_msg();
    unsafe {
        zmq_msg_init_size(&mut m, 50);
        let taken = take(&mut m).unwrap();
        assert_eq!(taken.len(), 50);
        assert_eq!(zmq_msg_size(&m), 0);
        put(&mut m, taken).unwrap();
        assert_eq!(zmq_msg_size(&m), 50);
        replace(&mut m, Msg::from_slice(b"hi")).unwrap();
        assert_eq!(zmq_msg_size(&m), 2);
        zmq_msg_close(&mut m);
        assert_eq!(replace(&mut m, Msg::new()), Err(Error::FAULT));
    }
}
