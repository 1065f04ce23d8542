//! ipc endpoints, as libzmq's ipc_address_t (paths and "@abstract" names), and what its
//! ipc_listener does before bind (wildcard directories, stale socket files).

use std::ffi::CString;
use std::path::PathBuf;

use socket2::SockAddr;

use crate::error::{Error, Result};

/// sizeof(sockaddr_un.sun_path) on Linux. A path must be shorter (room for the NUL).
pub const IPC_PATH_MAX: usize = 108;

/// A unix-domain socket address: a path, or "@name" for the abstract namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpcEndpoint {
    path: String,
}

/// libzmq's ipc_address_t::resolve: ENAMETOOLONG if the path does not fit sun_path with
/// its NUL (>= 108 bytes), EINVAL for the empty abstract name "@".
pub fn resolve_ipc(path: &str) -> Result<IpcEndpoint> {
    if path.len() >= IPC_PATH_MAX {
        return Err(Error(libc::ENAMETOOLONG));
    }
    if path == "@" {
        return Err(Error::INVAL);
    }
    Ok(IpcEndpoint { path: path.to_owned() })
}

impl IpcEndpoint {
    /// The path as given after "ipc://" ("@name" for abstract names).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn is_abstract(&self) -> bool {
        self.path.starts_with('@')
    }

    /// The sockaddr_un: abstract names get their leading NUL in place of '@'.
    pub fn sock_addr(&self) -> SockAddr {
        use std::os::unix::ffi::OsStrExt;
        let mut bytes = self.path.as_bytes().to_vec();
        if self.is_abstract() {
            bytes[0] = 0;
        }
        // Cannot fail: resolve_ipc checked the length.
        SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes)).expect("ipc path fits sun_path")
    }

    /// "ipc:///tmp/x", "ipc://@name", "ipc://relative/path".
    pub fn last_endpoint(&self) -> String {
        format!("ipc://{}", self.path)
    }
}

/// An ipc endpoint ready to bind, and the files it owns.
#[derive(Debug)]
pub struct IpcBinding {
    pub endpoint: IpcEndpoint,
    /// The directory created for "ipc://*", removed with the socket file on close.
    pub tmp_dir: Option<PathBuf>,
}

/// Everything libzmq's ipc_listener does before bind(): "ipc://*" (any path starting
/// with '*') becomes "<dir>/socket" in a fresh mkdtemp directory "tmpXXXXXX" under
/// [`ipc_wildcard_base`]; a stale file at the path is unlinked; then the path is
/// resolved. With ZMQ_USE_FD set (`use_fd`) neither the wildcard nor the unlink applies.
///
/// Deliberate difference: libzmq also unlinks "@name" (a relative file) for abstract
/// names; we don't.
pub fn prepare_ipc_bind(path: &str, use_fd: bool) -> Result<IpcBinding> {
    prepare_ipc_bind_in(path, use_fd, &ipc_wildcard_base())
}

/// [`prepare_ipc_bind`] with the wildcard base directory given ("" or ending in '/').
pub fn prepare_ipc_bind_in(path: &str, use_fd: bool, wildcard_base: &str) -> Result<IpcBinding> {
    let mut path = path.to_owned();
    let mut tmp_dir = None;
    if !use_fd && path.starts_with('*') {
        let dir = create_wildcard_dir(wildcard_base)?;
        path = format!("{}/socket", dir.display());
        tmp_dir = Some(dir);
    }
    if !use_fd && !path.starts_with('@') {
        let _ = std::fs::remove_file(&path);
    }
    match resolve_ipc(&path) {
        Ok(endpoint) => Ok(IpcBinding { endpoint, tmp_dir }),
        Err(e) => {
            if let Some(dir) = tmp_dir {
                let _ = std::fs::remove_dir(dir);
            }
            Err(e)
        }
    }
}

/// Where "ipc://*" directories go, as libzmq: $TMPDIR, $TEMPDIR or $TMP (the first that
/// is a directory) with a trailing '/', or "" (the current directory: the endpoint is
/// then relative, "ipc://tmpAbC123/socket").
pub fn ipc_wildcard_base() -> String {
    let mut base = ["TMPDIR", "TEMPDIR", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|d| std::path::Path::new(d).is_dir())
        .map(|d| d.into_string().unwrap_or_default())
        .unwrap_or_default();
    if !base.is_empty() && !base.ends_with('/') {
        base.push('/');
    }
    base
}

impl IpcBinding {
    /// Call after closing the listening socket: like libzmq, removes the socket file
    /// and its directory only for wildcard binds (other socket files are left behind
    /// and unlinked by the next bind).
    pub fn remove_files(&mut self) -> std::io::Result<()> {
        if let Some(dir) = self.tmp_dir.take() {
            std::fs::remove_file(self.endpoint.path())?;
            std::fs::remove_dir(dir)?;
        }
        Ok(())
    }
}

fn create_wildcard_dir(base: &str) -> Result<PathBuf> {
    let template = CString::new(format!("{base}tmpXXXXXX")).map_err(|_| Error::INVAL)?;
    let mut buf = template.into_bytes_with_nul();
    // SAFETY: buf is a writable NUL-terminated template, as mkdtemp requires.
    let p = unsafe { libc::mkdtemp(buf.as_mut_ptr().cast()) };
    if p.is_null() {
        return Err(std::io::Error::last_os_error().into());
    }
    buf.pop();
    Ok(PathBuf::from(String::from_utf8_lossy(&buf).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::super::endpoint::format_sockaddr;
    use super::*;

    #[test]
    fn ipc_resolution_and_strings() {
        let ep = resolve_ipc("/tmp/x").unwrap();
        assert!(!ep.is_abstract());
        assert_eq!(ep.last_endpoint(), "ipc:///tmp/x");
        assert_eq!(format_sockaddr(&ep.sock_addr()), "ipc:///tmp/x");
        let ab = resolve_ipc("@name").unwrap();
        assert!(ab.is_abstract());
        assert_eq!(ab.sock_addr().as_abstract_namespace(), Some(&b"name"[..]));
        assert_eq!(ab.last_endpoint(), "ipc://@name");
        assert_eq!(format_sockaddr(&ab.sock_addr()), "ipc://@name");
        assert_eq!(resolve_ipc("@"), Err(Error::INVAL));
        let longest = "x".repeat(IPC_PATH_MAX - 1);
        assert!(resolve_ipc(&longest).is_ok());
        assert_eq!(resolve_ipc(&"x".repeat(IPC_PATH_MAX)), Err(Error(libc::ENAMETOOLONG)));
        assert_eq!(resolve_ipc(&format!("@{longest}")), Err(Error(libc::ENAMETOOLONG)));
    }

    #[test]
    fn ipc_abstract_bind_and_connect() {
        let name = format!("@zmq-oxide-endpoint-test-{}", std::process::id());
        let b = prepare_ipc_bind(&name, false).unwrap();
        let l = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        l.bind(&b.endpoint.sock_addr()).unwrap();
        l.listen(1).unwrap();
        assert_eq!(format_sockaddr(&l.local_addr().unwrap()), format!("ipc://{name}"));
        let c = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        c.connect(&resolve_ipc(&name).unwrap().sock_addr()).unwrap();
        assert_eq!(format_sockaddr(&c.peer_addr().unwrap()), format!("ipc://{name}"));
        assert_eq!(format_sockaddr(&c.local_addr().unwrap()), "ipc://"); // unnamed
    }

    #[test]
    fn ipc_wildcard_bind_creates_and_removes_a_temp_dir() {
        let base = std::env::temp_dir().join(format!("zmq-oxide-ep-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let mut b = prepare_ipc_bind_in("*", false, &format!("{}/", base.display())).unwrap();
        let dir = b.tmp_dir.clone().unwrap();
        let expected_prefix = format!("{}/tmp", base.display());
        assert!(dir.to_str().unwrap().starts_with(&expected_prefix), "{dir:?}");
        assert_eq!(dir.file_name().unwrap().len(), "tmpXXXXXX".len());
        assert_eq!(b.endpoint.path(), format!("{}/socket", dir.display()));
        assert_eq!(b.endpoint.last_endpoint(), format!("ipc://{}/socket", dir.display()));
        let l = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        l.bind(&b.endpoint.sock_addr()).unwrap();
        drop(l);
        b.remove_files().unwrap();
        assert!(!dir.exists());
        std::fs::remove_dir(&base).unwrap();
        // With "ZMQ_USE_FD" the '*' is taken literally.
        assert_eq!(prepare_ipc_bind_in("*", true, "/nonexistent/").unwrap().endpoint.path(), "*");
    }

    #[test]
    fn ipc_bind_removes_stale_socket_file() {
        let path = std::env::temp_dir().join(format!("zmq-oxide-stale-{}", std::process::id()));
        let path = path.to_str().unwrap().to_owned();
        std::fs::write(&path, b"").unwrap();
        let mut b = prepare_ipc_bind(&path, false).unwrap();
        assert!(!std::path::Path::new(&path).exists());
        b.remove_files().unwrap(); // not a wildcard: nothing to remove, like libzmq
        std::fs::write(&path, b"").unwrap();
        prepare_ipc_bind(&path, true).unwrap(); // ZMQ_USE_FD: the file is the user's
        assert!(std::path::Path::new(&path).exists());
        std::fs::remove_file(&path).unwrap();
    }
}
