use super::*;

#[test]
fn fits_zmq_msg_t() {
    assert!(std::mem::size_of::<Msg>() <= 64);
    assert!(std::mem::align_of::<Msg>() <= 8);
}

#[test]
fn inline_and_shared() {
    let small = Msg::from_slice(b"hello");
    assert_eq!(small.data(), b"hello");
    assert!(!small.is_shared());
    let mut big = Msg::from_slice(&[7u8; 1000]);
    assert!(!big.is_shared());
    // Internal sharing (a pipe, an output queue) does not show; zmq_msg_copy marks.
    let internal = big.clone();
    assert!(!internal.is_shared() && internal.data().as_ptr() == big.data().as_ptr());
    big.mark_copied();
    let copy = big.clone();
    assert!(big.is_shared() && copy.is_shared());
    assert_eq!(copy.data(), &[7u8; 1000][..]);
    // Sticky, as libzmq's flag: still shared once the other copies are gone.
    drop((big, internal));
    assert!(copy.is_shared());
}

/// Up to 33 bytes libzmq keeps a payload inside its message: copies are independent
/// and never ZMQ_SHARED. Ours inline only 32; a 33-byte copy copies the bytes.
#[test]
fn copies_of_what_libzmq_keeps_inline_are_independent() {
    recycle::context_started();
    for mut m in [Msg::copy_for_app(&[3u8; 33]), Msg::from_slab_unfilled(33).unwrap()] {
        unsafe { std::ptr::write_bytes(m.data_ptr(), 3, 33) };
        assert!(matches!(m.body, Body::Slab { .. }));
        m.set_more(true);
        m.mark_copied();
        let copy = m.clone();
        assert!(!m.is_shared() && !copy.is_shared());
        assert_ne!(copy.data().as_ptr(), m.data().as_ptr());
        assert_eq!((copy.data(), copy.more()), (&[3u8; 33][..], true));
    }
    recycle::context_ended();
    // What the library made, as a received frame copied out of a short read: libzmq's
    // decoder shares 33-byte frames.
    let mut received = Msg::from_slice(&[4u8; 33]);
    received.mark_copied();
    let copy = received.clone();
    assert!(received.is_shared() && copy.is_shared() && copy.data().as_ptr() == received.data().as_ptr());
    // The caller's buffer is shared at any size, as libzmq's zmq_msg_init_data.
    static BYTES: [u8; 5] = *b"hello";
    unsafe extern "C" fn keep(_: *mut c_void, _: *mut c_void) {}
    let mut small = unsafe { Msg::from_foreign(BYTES.as_ptr() as *mut u8, 5, Some(keep), std::ptr::null_mut()) };
    assert!(!small.is_shared());
    small.mark_copied();
    let copy = small.clone();
    assert!(small.is_shared() && copy.is_shared() && copy.data().as_ptr() == BYTES.as_ptr());
}

#[test]
fn foreign_free_runs_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static FREED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn ffn(data: *mut c_void, _hint: *mut c_void) {
        drop(Box::from_raw(data as *mut [u8; 100]));
        FREED.fetch_add(1, Ordering::SeqCst);
    }
    let buf = Box::into_raw(Box::new([1u8; 100])) as *mut u8;
    let m = unsafe { Msg::from_foreign(buf, 100, Some(ffn), std::ptr::null_mut()) };
    let c = m.clone();
    drop(m);
    assert_eq!(FREED.load(Ordering::SeqCst), 0);
    std::thread::spawn(move || drop(c)).join().unwrap();
    assert_eq!(FREED.load(Ordering::SeqCst), 1);
}

#[test]
fn application_messages_come_from_slabs_while_a_context_lives() {
    recycle::context_started();
    let mut m = Msg::copy_for_app(&[5u8; 64]);
    assert!(matches!(m.body, Body::Slab { .. }));
    assert_eq!(m.data(), &[5u8; 64][..]);
    assert!(!m.is_shared());
    assert!(m.data_mut().is_none(), "a slab piece is never known to be unshared");
    // C writes through zmq_msg_data's pointer.
    unsafe { std::ptr::write_bytes(m.data_ptr(), 6, 64) };
    m.mark_copied();
    let copy = m.clone();
    assert!(copy.is_shared() && m.is_shared());
    assert_eq!(copy.data(), &[6u8; 64][..]);
    let unfilled = Msg::from_slab_unfilled(1024).unwrap();
    assert!(matches!(unfilled.body, Body::Slab { .. }) && unfilled.len() == 1024);
    assert!(Msg::from_slab_unfilled(1025).is_none(), "over the slab size: not a piece");
    let big = Msg::with_size_unfilled(1025).unwrap();
    assert!(matches!(big.body, Body::Owned(_)), "over the slab size: a buffer of its own");
    assert!(matches!(Msg::copy_for_app(b"small").body, Body::Inline { .. }));
    recycle::context_ended();
}
