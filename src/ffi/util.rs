//! Library-level helpers: version, errors, capabilities, Z85, CURVE keys, stopwatch, sleep,
//! threads.

use crate::constants::{ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH};
use super::types::ThreadFnPtr;
use super::{bytes, errno, guard, guard_or, guard_ptr, non_null, non_null_mut};
use crate::error::Error;
use std::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use std::time::{Duration, Instant};

/// Reports the library version (4.3.4); NULL arguments are skipped.
#[no_mangle]
pub unsafe extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    for (p, v) in [(major, ZMQ_VERSION_MAJOR), (minor, ZMQ_VERSION_MINOR), (patch, ZMQ_VERSION_PATCH)] {
        if !p.is_null() {
            *p = v;
        }
    }
}

/// The calling thread's errno.
#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

/// Text for a system or 0MQ errno value; the string is static.
#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    guard_or(c"Unknown error".as_ptr(), || Ok(crate::error::strerror_cstr(errnum).as_ptr()))
}

/// 1 if the library has the named capability ("ipc", "curve", "draft", ...), else 0.
#[no_mangle]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    guard_or(0, || {
        if capability.is_null() {
            return Ok(0);
        }
        let has = match CStr::from_ptr(capability).to_bytes() {
            b"ipc" => true,
            b"draft" => cfg!(feature = "draft"),
            b"curve" => true,
            // libzmq 4.3.4 spells it "WS" (and answers false to "ws"); both are true here.
            b"WS" | b"ws" => true,
            // wss:// over rustls, in the draft build (libzmq's needs its draft options).
            b"WSS" | b"wss" => cfg!(feature = "draft"),
            // Never: pgm, tipc, norm, gssapi, vmci.
            _ => false,
        };
        Ok(has as c_int)
    })
}

/// Z85-encodes `size` bytes (a multiple of 4) into `dest` (size * 5 / 4 + 1 bytes, NUL
/// terminated). NULL with EINVAL on a bad size.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char {
    guard_ptr(|| {
        // Checked first: libzmq's tests pass NULL buffers with a bad size and expect EINVAL.
        if !size.is_multiple_of(4) {
            return Err(Error::INVAL);
        }
        let text = crate::z85::encode(bytes(data as *const c_void, size)?).ok_or(Error::INVAL)?;
        let dest = non_null_mut(dest)?;
        std::ptr::copy_nonoverlapping(text.as_ptr(), dest as *mut u8, text.len());
        *dest.add(text.len()) = 0;
        Ok(dest)
    })
}

/// Decodes a NUL-terminated Z85 string (length a non-zero multiple of 5) into `dest`
/// (strlen * 4 / 5 bytes). NULL with EINVAL on bad input, as libzmq, after writing the
/// groups before the bad one.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    guard_ptr(|| {
        let text = CStr::from_ptr(non_null(string)?).to_bytes();
        let len = text.len() / 5 * 4;
        let out = if len == 0 { &mut [][..] } else { std::slice::from_raw_parts_mut(non_null_mut(dest)?, len) };
        crate::z85::decode_into(out, text).ok_or(Error::INVAL)?;
        Ok(dest)
    })
}

/// Generates a CURVE key pair as two 40-character Z85 strings (41 bytes with the NUL).
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_keypair(z85_public_key: *mut c_char, z85_secret_key: *mut c_char) -> c_int {
    guard(|| {
        let (public, secret) = crate::zmtp::mechanism::curve::keypair();
        write_z85_key(z85_public_key, &public)?;
        write_z85_key(z85_secret_key, &secret)?;
        Ok(0)
    })
}

/// Derives the Z85 CURVE public key from a Z85 secret key; EINVAL if that is not Z85.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_public(z85_public_key: *mut c_char, z85_secret_key: *const c_char) -> c_int {
    guard(|| {
        let text = CStr::from_ptr(non_null(z85_secret_key)?).to_bytes();
        // libzmq decodes whatever length it is given into a 32-byte key: only 40
        // characters fit.
        if text.len() != 40 {
            return Err(Error::INVAL);
        }
        let mut secret = [0u8; 32];
        crate::z85::decode_into(&mut secret, text).ok_or(Error::INVAL)?;
        write_z85_key(z85_public_key, &crate::zmtp::mechanism::curve::public_key(&secret))?;
        Ok(0)
    })
}

/// Writes a key as 40 Z85 characters and a NUL.
unsafe fn write_z85_key(dest: *mut c_char, key: &[u8; 32]) -> Result<(), Error> {
    let dest = non_null_mut(dest)?;
    let text = crate::z85::encode(key).expect("32 is a multiple of 4");
    std::ptr::copy_nonoverlapping(text.as_ptr(), dest as *mut u8, text.len());
    *dest.add(text.len()) = 0;
    Ok(())
}

/// Starts a stopwatch; free it with zmq_stopwatch_stop.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    guard_ptr(|| Ok(Box::into_raw(Box::new(Instant::now())) as *mut c_void))
}

/// Microseconds since the stopwatch started (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    guard_or(0, || {
        let start = &*(non_null(watch)? as *const Instant);
        Ok(start.elapsed().as_micros() as c_ulong)
    })
}

/// Microseconds since the stopwatch started; frees the stopwatch.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    guard_or(0, || {
        let start = Box::from_raw(non_null_mut(watch)? as *mut Instant);
        Ok(start.elapsed().as_micros() as c_ulong)
    })
}

/// Sleeps for `seconds` (nothing for zero or negative values).
#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    if seconds > 0 {
        std::thread::sleep(Duration::from_secs(seconds as u64));
    }
}

/// Thread stack size for zmq_threadstart: glibc's usual default, since C thread bodies may
/// expect more than Rust's 2 MiB.
const THREAD_STACK: usize = 8 << 20;

/// A C pointer handed to the new thread; C owns what it points to.
struct SendPtr(*mut c_void);
// SAFETY: the C caller passes `arg` to its own thread function; it is opaque to us.
unsafe impl Send for SendPtr {}
impl SendPtr {
    // A method, so closures capture the whole (Send) wrapper, not the raw field.
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// Runs `func(arg)` on a new thread (named "ZMQapp", all signals blocked, as libzmq does);
/// returns a handle for zmq_threadclose, or NULL with errno set.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadstart(func: ThreadFnPtr, arg: *mut c_void) -> *mut c_void {
    guard_ptr(|| {
        let func = func.ok_or(Error::FAULT)?;
        let arg = SendPtr(arg);
        let builder = std::thread::Builder::new().name("ZMQapp".into()).stack_size(THREAD_STACK);
        let handle = crate::thread::spawn_blocking_signals(builder, move || {
            // SAFETY: the caller's contract: `func` is callable with `arg` on any thread.
            unsafe { func(arg.get()) }
        })
        .map_err(Error::from)?;
        Ok(Box::into_raw(Box::new(handle)) as *mut c_void)
    })
}

/// Waits for a zmq_threadstart thread to finish and frees its handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    guard_or((), || {
        let handle = Box::from_raw(non_null_mut(thread)? as *mut std::thread::JoinHandle<()>);
        // The body is C code and cannot panic; a join error would only mean it did.
        let _ = handle.join();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::super::set_errno;
    use super::*;

    #[test]
    fn version_and_strerror() {
        let (mut a, mut b, mut c) = (0, 0, 0);
        unsafe { zmq_version(&mut a, &mut b, &mut c) };
        assert_eq!((a, b, c), (4, 3, 4));
        unsafe { zmq_version(std::ptr::null_mut(), &mut b, std::ptr::null_mut()) };
        let s = unsafe { CStr::from_ptr(zmq_strerror(crate::constants::ETERM)) };
        assert_eq!(s.to_str().unwrap(), "Context was terminated");
        set_errno(libc::EAGAIN);
        assert_eq!(zmq_errno(), libc::EAGAIN);
    }

    #[test]
    fn capabilities() {
        unsafe {
            assert_eq!(zmq_has(c"ipc".as_ptr()), 1);
            assert_eq!(zmq_has(c"pgm".as_ptr()), 0);
            assert_eq!(zmq_has(c"curve".as_ptr()), 1);
            assert_eq!(zmq_has(c"draft".as_ptr()), cfg!(feature = "draft") as c_int);
            assert_eq!(zmq_has(std::ptr::null()), 0);
        }
    }

    #[test]
    fn z85_c_entry_points() {
        let data = [0x86u8, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        let mut text = [0x55 as c_char; 11];
        let mut back = [0u8; 8];
        unsafe {
            assert_eq!(zmq_z85_encode(text.as_mut_ptr(), data.as_ptr(), 8), text.as_mut_ptr());
            assert_eq!(CStr::from_ptr(text.as_ptr()).to_bytes(), b"HelloWorld");
            assert_eq!(zmq_z85_decode(back.as_mut_ptr(), text.as_ptr()), back.as_mut_ptr());
            assert_eq!(back, data);

            set_errno(0);
            assert!(zmq_z85_encode(std::ptr::null_mut(), std::ptr::null(), 1).is_null());
            assert_eq!(errno(), libc::EINVAL);
            for bad in [c"", c"0", c"01234567", c"#####", c"%nSc1", c"####\x047"] {
                set_errno(0);
                assert!(zmq_z85_decode(back.as_mut_ptr(), bad.as_ptr()).is_null(), "{bad:?}");
                assert_eq!(errno(), libc::EINVAL);
            }
            assert_eq!(back, data, "no group of those was valid");
            // Like libzmq, groups before an invalid one are already written.
            assert!(zmq_z85_decode(back.as_mut_ptr(), c"00000orld\"".as_ptr()).is_null());
            assert_eq!(back[..4], [0; 4]);
            assert_eq!(back[4..], data[4..]);
        }
    }

    #[test]
    fn curve_keys() {
        let mut public = [0 as c_char; 41];
        let mut secret = [0 as c_char; 41];
        let mut derived = [0 as c_char; 41];
        unsafe {
            assert_eq!(zmq_has(c"curve".as_ptr()), 1);
            assert_eq!(zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()), 0);
            assert_eq!(CStr::from_ptr(public.as_ptr()).to_bytes().len(), 40);
            assert_eq!(zmq_curve_public(derived.as_mut_ptr(), secret.as_ptr()), 0);
            assert_eq!(derived, public);
            // The server key pair of the zmq_curve(7) example.
            assert_eq!(zmq_curve_public(derived.as_mut_ptr(), c"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6".as_ptr()), 0);
            assert_eq!(CStr::from_ptr(derived.as_ptr()).to_bytes(), b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
            assert_eq!(zmq_curve_public(derived.as_mut_ptr(), c"not z85".as_ptr()), -1);
            assert_eq!(errno(), libc::EINVAL);
        }
    }

    #[test]
    fn stopwatch_and_threads() {
        unsafe extern "C" fn body(arg: *mut c_void) {
            *(arg as *mut c_int) = 42;
        }
        let watch = zmq_stopwatch_start();
        let mut out: c_int = 0;
        unsafe {
            let t = zmq_threadstart(Some(body), &mut out as *mut c_int as *mut c_void);
            assert!(!t.is_null());
            zmq_threadclose(t);
            assert_eq!(out, 42);
            std::thread::sleep(Duration::from_millis(2));
            assert!(zmq_stopwatch_intermediate(watch) >= 2000);
            assert!(zmq_stopwatch_stop(watch) >= 2000);
            assert!(zmq_threadstart(None, std::ptr::null_mut()).is_null());
            assert_eq!(zmq_stopwatch_intermediate(std::ptr::null_mut()), 0);
        }
    }
}
