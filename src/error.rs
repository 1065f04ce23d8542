//! The core's error type. Every failure the C API can report is one errno value, so the
//! core speaks in those values too; `src/ffi` only copies `Error::errno()` into `errno`.

use crate::constants::*;
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error(pub i32);

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub const AGAIN: Error = Error(libc::EAGAIN);
    pub const INVAL: Error = Error(libc::EINVAL);
    pub const FAULT: Error = Error(libc::EFAULT);
    pub const NOTSOCK: Error = Error(libc::ENOTSOCK);
    pub const NOTSUP: Error = Error(libc::ENOTSUP);
    pub const INTR: Error = Error(libc::EINTR);
    pub const NOMEM: Error = Error(libc::ENOMEM);
    pub const BADF: Error = Error(libc::EBADF);
    pub const NOENT: Error = Error(libc::ENOENT);
    pub const NODEV: Error = Error(libc::ENODEV);
    pub const MFILE: Error = Error(libc::EMFILE);
    pub const HOSTUNREACH: Error = Error(libc::EHOSTUNREACH);
    pub const PROTONOSUPPORT: Error = Error(libc::EPROTONOSUPPORT);
    pub const ADDRINUSE: Error = Error(libc::EADDRINUSE);
    pub const ADDRNOTAVAIL: Error = Error(libc::EADDRNOTAVAIL);
    pub const CONNREFUSED: Error = Error(libc::ECONNREFUSED);
    pub const NOCOMPATPROTO: Error = Error(ENOCOMPATPROTO);
    pub const FSM: Error = Error(EFSM);
    pub const TERM: Error = Error(ETERM);
    pub const MTHREAD: Error = Error(EMTHREAD);

    pub fn errno(self) -> i32 {
        self.0
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {})", self.0, strerror(self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(strerror(self.0))
    }
}

/// Text for an errno value, libzmq's own wording for its private codes.
pub fn strerror(errno: i32) -> &'static str {
    strerror_cstr(errno).to_str().unwrap_or("Unknown error")
}

/// The same text NUL-terminated, for zmq_strerror.
pub fn strerror_cstr(errno: i32) -> &'static std::ffi::CStr {
    match errno {
        EFSM => c"Operation cannot be accomplished in current state",
        ENOCOMPATPROTO => c"The protocol is not compatible with the socket type",
        ETERM => c"Context was terminated",
        EMTHREAD => c"No thread available",
        _ => {
            // libc's strerror may reuse its buffer; copy each text once into a leaked table.
            static TABLE: std::sync::OnceLock<Vec<&'static std::ffi::CStr>> = std::sync::OnceLock::new();
            let table = TABLE.get_or_init(|| {
                (0..256)
                    .map(|e| {
                        // SAFETY: strerror returns a valid NUL-terminated string for any int.
                        let s = unsafe { std::ffi::CStr::from_ptr(libc::strerror(e)) };
                        &*Box::leak(s.to_owned().into_boxed_c_str())
                    })
                    .collect()
            });
            table.get(errno as usize).copied().unwrap_or(c"Unknown error")
        }
    }
}
