//! DRAFT ZMQ_PRIORITY: SO_PRIORITY on a connection's OS socket (tcp and ipc), set before
//! a connect starts and on each accepted connection. socket2 has no call for it, hence
//! the one `setsockopt` here.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Set SO_PRIORITY to `priority`; 0 (the option's default, and the kernel's) leaves the
/// socket as it is. Linux wants CAP_NET_ADMIN for values above 6; the caller decides
/// whether a refusal matters.
pub(super) fn set(fd: BorrowedFd<'_>, priority: i32) -> io::Result<()> {
    if priority == 0 {
        return Ok(());
    }
    // SAFETY: `fd` is a live descriptor for the duration of the borrow; the value is an
    // int, passed by pointer with its exact size, which setsockopt only reads.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PRIORITY,
            &priority as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Socket, Type};
    use std::os::fd::AsFd;

    fn priority_of(s: &Socket) -> i32 {
        let mut v: i32 = -1;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: reads an int option into a local of that size.
        let rc = unsafe {
            libc::getsockopt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PRIORITY, &mut v as *mut i32 as *mut libc::c_void, &mut len)
        };
        assert_eq!(rc, 0);
        v
    }

    #[test]
    fn sets_the_priority_of_tcp_and_unix_sockets() {
        for domain in [Domain::IPV4, Domain::UNIX] {
            let s = Socket::new(domain, Type::STREAM, None).unwrap();
            set(s.as_fd(), 0).unwrap();
            assert_eq!(priority_of(&s), 0);
            set(s.as_fd(), 3).unwrap();
            assert_eq!(priority_of(&s), 3);
        }
    }
}
