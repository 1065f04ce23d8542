//! Byte streams and listeners of the stream transports (tcp, ipc, ws), behind one type so
//! sessions don't care which they run on. A ws stream is a tcp stream under the ZWS
//! translation layer (`io/ws/`): the session reads and writes ZMTP bytes all the same.

use mio::event::Source;
use mio::{Interest, Registry, Token};
use socket2::{Domain, SockAddr, Socket, Type};
use std::io::{self, Read, Write};
use super::ws::{WsListen, WsStream};
use crate::transport::endpoint::IpcBinding;
use std::os::fd::{AsFd, FromRawFd, IntoRawFd};

pub enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
    /// ZMTP over WebSocket on a tcp (or TLS) stream.
    Ws(Box<WsStream>),
    /// TLS on a tcp stream (under a wss:// one).
    #[cfg(feature = "draft")]
    Tls(Box<super::ws::tls::TlsStream>),
}

/// ZMQ_SNDBUF and ZMQ_RCVBUF: the kernel buffer sizes of tcp sockets, as libzmq sets them
/// on connecting and listening sockets (accepted ones inherit them); -1 leaves the
/// system's. ipc sockets keep the system's.
#[derive(Clone, Copy, Debug)]
pub struct TcpBuffers {
    pub snd: i32,
    pub rcv: i32,
}

impl TcpBuffers {
    pub fn of(o: &crate::options::Options) -> TcpBuffers {
        TcpBuffers { snd: o.sndbuf, rcv: o.rcvbuf }
    }

    fn apply(self, sock: &Socket) -> io::Result<()> {
        if self.snd >= 0 {
            sock.set_send_buffer_size(self.snd as usize)?;
        }
        if self.rcv >= 0 {
            sock.set_recv_buffer_size(self.rcv as usize)?;
        }
        Ok(())
    }
}

pub enum Listener {
    Tcp(mio::net::TcpListener),
    /// With the files to remove when it closes (ipc://* binds).
    Unix(mio::net::UnixListener, Option<IpcBinding>),
    /// A tcp listener whose connections speak ZWS (over TLS for wss).
    Ws(Box<Listener>, WsListen),
}

impl Stream {
    /// The stream that carries the bytes (the tcp stream under a ws one).
    fn base(&self) -> &Stream {
        match self {
            Stream::Ws(w) => w.inner.base(),
            #[cfg(feature = "draft")]
            Stream::Tls(t) => t.inner.base(),
            s => s,
        }
    }

    fn base_mut(&mut self) -> &mut Stream {
        match self {
            Stream::Ws(w) => w.inner.base_mut(),
            #[cfg(feature = "draft")]
            Stream::Tls(t) => t.inner.base_mut(),
            s => s,
        }
    }

    /// Whether a read that fails with EAGAIN or returns less than asked leaves the socket
    /// empty until its next readiness event (tcp, ipc: as tokio assumes on Linux). Not
    /// so for ws and TLS, whose reads stop at the end of what they decoded.
    pub fn short_read_drains(&self) -> bool {
        matches!(self, Stream::Tcp(_) | Stream::Unix(_))
    }

    pub fn ws(&mut self) -> Option<&mut WsStream> {
        match self {
            Stream::Ws(w) => Some(w),
            _ => None,
        }
    }

    /// Output a layer above the socket (ws) holds, not yet written; Ok(progress) of
    /// writing it now.
    pub fn flush_pending(&mut self) -> io::Result<bool> {
        match self {
            Stream::Ws(w) => Ok(w.flush_tx()? | w.inner.flush_pending()?),
            #[cfg(feature = "draft")]
            Stream::Tls(t) => t.flush_records(),
            _ => Ok(false),
        }
    }

    pub fn pending_out(&self) -> usize {
        match self {
            Stream::Ws(w) => w.pending_out() + w.inner.pending_out(),
            #[cfg(feature = "draft")]
            Stream::Tls(t) => t.pending_out(),
            _ => 0,
        }
    }

    /// Start a non-blocking connect (tcp when `addr` is an IP address, else unix), with
    /// SO_PRIORITY `priority` (ZMQ_PRIORITY) from the first packet on and the kernel
    /// buffer sizes `buffers` (tcp).
    pub fn connect(addr: &SockAddr, source: Option<&SockAddr>, priority: i32, buffers: TcpBuffers) -> io::Result<Stream> {
        let tcp = addr.as_socket().is_some();
        let domain = match addr.as_socket() {
            Some(sa) => Domain::for_address(sa),
            None => Domain::UNIX,
        };
        let sock = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?;
        if tcp {
            sock.set_nodelay(true)?;
            buffers.apply(&sock)?;
        }
        // Best effort, as the option is a hint: a refusal (EPERM above 6 without
        // CAP_NET_ADMIN) leaves the default priority rather than failing the connect.
        let _ = super::so_priority::set(sock.as_fd(), priority);
        if let Some(src) = source {
            sock.set_reuse_address(true)?;
            sock.bind(src)?;
        }
        match sock.connect(addr) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        let fd = sock.into_raw_fd();
        // SAFETY: fd is a connected/connecting stream socket we own.
        Ok(unsafe {
            if tcp {
                Stream::Tcp(mio::net::TcpStream::from_raw_fd(fd))
            } else {
                Stream::Unix(mio::net::UnixStream::from_raw_fd(fd))
            }
        })
    }

    /// After a writable event on a connecting stream: Ok if connected.
    pub fn finish_connect(&self) -> io::Result<()> {
        let err = match self.base() {
            Stream::Tcp(s) => s.take_error()?,
            Stream::Unix(s) => s.take_error()?,
            _ => None,
        };
        if let Some(e) = err {
            return Err(e);
        }
        match self.base() {
            Stream::Tcp(s) => s.peer_addr().map(|_| ()),
            Stream::Unix(s) => s.peer_addr().map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Whether the accept filters let this peer in: tcp by address mask, ipc by the
    /// peer process's uid, gid or pid (any list that is set must match).
    pub fn accepted_by(&self, o: &crate::options::Options) -> bool {
        match self.base() {
            Stream::Tcp(s) => {
                o.tcp_accept_filters.is_empty()
                    || s.peer_addr().is_ok_and(|a| o.tcp_accept_filters.iter().any(|m| m.matches(&a)))
            }
            Stream::Unix(s) => {
                if o.ipc_uid_accept_filters.is_empty() && o.ipc_gid_accept_filters.is_empty() && o.ipc_pid_accept_filters.is_empty() {
                    return true;
                }
                use std::os::fd::AsRawFd;
                let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
                let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
                // SAFETY: SO_PEERCRED fills a ucred of the given size.
                let rc = unsafe {
                    libc::getsockopt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, &mut cred as *mut _ as *mut libc::c_void, &mut len)
                };
                rc == 0
                    && (o.ipc_uid_accept_filters.contains(&cred.uid)
                        || o.ipc_gid_accept_filters.contains(&cred.gid)
                        || o.ipc_pid_accept_filters.contains(&cred.pid))
            }
            _ => true,
        }
    }

    /// "Peer-Address" metadata: the peer's IP for tcp, empty for ipc (as libzmq).
    pub fn peer_address(&self) -> String {
        match self.base() {
            Stream::Tcp(s) => s.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    }

    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self.base() {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            _ => -1,
        }
    }

    /// ZMQ_PRIORITY on an accepted connection (best effort, as in `connect`).
    pub fn set_priority(&self, priority: i32) {
        let _ = super::so_priority::set(self.sock_ref().as_fd(), priority);
    }

    /// The connection's (local, remote) addresses as endpoint strings, as libzmq's
    /// get_socket_name gives them ("tcp://127.0.0.1:5555", "ipc://" for an unnamed
    /// end): what version 2 monitor events name. Empty if the system will not say.
    pub fn addresses(&self) -> (String, String) {
        let sock = self.sock_ref();
        let name = |a: io::Result<SockAddr>| a.map(|a| crate::transport::endpoint::format_sockaddr(&a)).unwrap_or_default();
        (name(sock.local_addr()), name(sock.peer_addr()))
    }

    /// The socket underneath, for socket options and addresses.
    fn sock_ref(&self) -> socket2::SockRef<'_> {
        match self.base() {
            Stream::Tcp(s) => socket2::SockRef::from(s),
            Stream::Unix(s) => socket2::SockRef::from(s),
            _ => unreachable!("base() is a tcp or unix stream"),
        }
    }

    pub fn register(&mut self, r: &Registry, t: Token) -> io::Result<()> {
        match self.base_mut() {
            Stream::Tcp(s) => s.register(r, t, Interest::READABLE | Interest::WRITABLE),
            Stream::Unix(s) => s.register(r, t, Interest::READABLE | Interest::WRITABLE),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    pub fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self.base_mut() {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Ws(s) => s.read(buf),
            #[cfg(feature = "draft")]
            Stream::Tls(s) => s.read(buf),
        }
    }

    /// One readv on tcp and ipc; ws and TLS fill the first buffer only (Read's default).
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read_vectored(bufs),
            Stream::Unix(s) => s.read_vectored(bufs),
            Stream::Ws(s) => s.read_vectored(bufs),
            #[cfg(feature = "draft")]
            Stream::Tls(s) => s.read_vectored(bufs),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Ws(s) => s.write(buf),
            #[cfg(feature = "draft")]
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Unix(s) => s.write_vectored(bufs),
            Stream::Ws(s) => s.write_vectored(bufs),
            #[cfg(feature = "draft")]
            Stream::Tls(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Listener {
    /// Adopt a socket the application bound and listens on itself (ZMQ_USE_FD).
    pub fn from_fd(fd: i32, tcp: bool) -> io::Result<Listener> {
        // SAFETY: the application hands this descriptor over to the socket (ZMQ_USE_FD).
        let sock = unsafe { Socket::from_raw_fd(fd) };
        sock.set_nonblocking(true)?;
        let fd = sock.into_raw_fd();
        // SAFETY: as above; now non-blocking and still ours.
        Ok(unsafe {
            if tcp {
                Listener::Tcp(mio::net::TcpListener::from_raw_fd(fd))
            } else {
                Listener::Unix(mio::net::UnixListener::from_raw_fd(fd), None)
            }
        })
    }

    /// Bind and listen. An ipc binding's files are removed again on close.
    pub fn bind(addr: &SockAddr, tcp: bool, backlog: i32, buffers: TcpBuffers, path: Option<IpcBinding>) -> io::Result<Listener> {
        let domain = if tcp { Domain::for_address(addr.as_socket().ok_or(io::ErrorKind::InvalidInput)?) } else { Domain::UNIX };
        let sock = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?;
        if tcp {
            // Rebinding right after a close must work, as it does with libzmq.
            sock.set_reuse_address(true)?;
            if domain == Domain::IPV6 {
                let _ = sock.set_only_v6(false);
            }
            buffers.apply(&sock)?;
        }
        sock.bind(addr)?;
        sock.listen(backlog.max(1))?;
        let fd = sock.into_raw_fd();
        // SAFETY: fd is a listening socket we own.
        Ok(unsafe {
            if tcp {
                Listener::Tcp(mio::net::TcpListener::from_raw_fd(fd))
            } else {
                Listener::Unix(mio::net::UnixListener::from_raw_fd(fd), path)
            }
        })
    }

    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
            Listener::Ws(l, ..) => l.raw_fd(),
        }
    }

    /// The bound address (to resolve ephemeral ports).
    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr(),
            Listener::Unix(..) => Err(io::ErrorKind::InvalidInput.into()),
            Listener::Ws(l, ..) => l.local_addr(),
        }
    }

    pub fn accept(&mut self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                s.set_nodelay(true)?;
                Ok(Stream::Tcp(s))
            }
            Listener::Unix(l, _) => Ok(Stream::Unix(l.accept()?.0)),
            Listener::Ws(l, ws) => super::ws::accepted(l.accept()?, ws),
        }
    }

    pub fn register(&mut self, r: &Registry, t: Token) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.register(r, t, Interest::READABLE),
            Listener::Unix(l, _) => l.register(r, t, Interest::READABLE),
            Listener::Ws(l, ..) => l.register(r, t),
        }
    }

    pub fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.deregister(r),
            Listener::Unix(l, _) => l.deregister(r),
            Listener::Ws(l, ..) => l.deregister(r),
        }
    }

    /// Remove the files of an ipc://* bind (libzmq does on unbind/close).
    pub fn cleanup(&mut self) {
        if let Listener::Unix(_, Some(b)) = self {
            let _ = b.remove_files();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(s: &Stream) -> (usize, usize) {
        let sock = s.sock_ref();
        (sock.send_buffer_size().unwrap(), sock.recv_buffer_size().unwrap())
    }

    /// A connected stream and the listener's accepted end, both made with `buffers`.
    fn connection(buffers: TcpBuffers) -> (Stream, Stream) {
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut l = Listener::bind(&SockAddr::from(any), true, 4, buffers, None).unwrap();
        let c = Stream::connect(&SockAddr::from(l.local_addr().unwrap()), None, 0, buffers).unwrap();
        for _ in 0..1000 {
            match l.accept() {
                Ok(a) => return (c, a),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(std::time::Duration::from_millis(2)),
                Err(e) => panic!("accept: {e}"),
            }
        }
        panic!("no connection accepted");
    }

    #[test]
    fn tcp_buffer_sizes_reach_both_ends() {
        // Linux doubles what it is given (for its bookkeeping): 4096 reads back as 8192.
        let (c, a) = connection(TcpBuffers { snd: 4096, rcv: 4096 });
        assert_eq!(sizes(&c), (8192, 8192));
        assert_eq!(sizes(&a), (8192, 8192), "accepted sockets inherit the listener's");
        let (c, _) = connection(TcpBuffers { snd: -1, rcv: -1 });
        assert!(sizes(&c).1 > 8192, "-1 keeps the system's default");
    }
}
