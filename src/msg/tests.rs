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
    let big = Msg::from_slice(&[7u8; 1000]);
    let copy = big.clone();
    assert!(big.is_shared() && copy.is_shared());
    assert_eq!(copy.data(), &[7u8; 1000][..]);
    drop(big);
    assert!(!copy.is_shared());
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
    let copy = m.clone();
    assert!(copy.is_shared());
    assert_eq!(copy.data(), &[6u8; 64][..]);
    let unfilled = Msg::for_app_unfilled(1024).unwrap();
    assert!(matches!(unfilled.body, Body::Slab { .. }) && unfilled.len() == 1024);
    let big = Msg::for_app_unfilled(1025).unwrap();
    assert!(matches!(big.body, Body::Owned(_)), "over the slab size: a buffer of its own");
    assert!(matches!(Msg::copy_for_app(b"small").body, Body::Inline { .. }));
    recycle::context_ended();
}
