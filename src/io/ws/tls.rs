//! wss://: TLS between the tcp stream and the ZWS layer, over rustls (draft build only,
//! as libzmq's wss needs its draft API options). A [`TlsStream`] reads and writes
//! plaintext like any stream; underneath, rustls's records go to and come from the tcp
//! stream, never blocking. Certificates and keys come from ZMQ_WSS_CERT_PEM/KEY_PEM
//! (server) and ZMQ_WSS_TRUST_PEM/TRUST_SYSTEM/HOSTNAME (client; `trust.rs`).

use super::super::stream::Stream;
use crate::error::{Error, Result};
use crate::options::Options;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;

pub type ServerConfig = Arc<rustls::ServerConfig>;

/// What a wss client needs: its TLS configuration and the name the server must prove.
#[derive(Clone)]
pub struct ClientConfig {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

/// rustls over *ring* (it builds with just a C compiler). Deprecated in rustls 0.23.48 for
/// lacking post-quantum key exchange, which libzmq's GnuTLS peers do not offer either.
#[allow(deprecated)]
pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The bind side: the socket's certificate chain and key (EINVAL if missing or bad).
pub fn server_config(o: &Options) -> Result<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&o.wss_cert_pem).collect::<std::result::Result<_, _>>().map_err(|_| Error::INVAL)?;
    let key = PrivateKeyDer::from_pem_slice(&o.wss_key_pem).map_err(|_| Error::INVAL)?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::INVAL)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|_| Error::INVAL)?;
    Ok(Arc::new(config))
}

/// The connect side for `host` (ZMQ_WSS_HOSTNAME overrides it as the name to verify).
pub fn client_config(o: &Options, host: &str) -> Result<ClientConfig> {
    let name = if o.wss_hostname.is_empty() { host.trim_start_matches('[').trim_end_matches(']').to_string() } else { String::from_utf8_lossy(&o.wss_hostname).into_owned() };
    let name = ServerName::try_from(name).map_err(|_| Error::INVAL)?;
    let verifier = super::trust::Verifier::new(&o.wss_trust_pem, o.wss_trust_system)?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::INVAL)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(ClientConfig { config: Arc::new(config), name })
}

pub struct TlsStream {
    pub(in crate::io) inner: Stream,
    conn: rustls::Connection,
}

impl TlsStream {
    pub fn server(inner: Stream, config: &ServerConfig) -> io::Result<TlsStream> {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        Ok(TlsStream { inner, conn: conn.into() })
    }

    pub fn client(inner: Stream, config: &ClientConfig) -> io::Result<TlsStream> {
        let conn = rustls::ClientConnection::new(config.config.clone(), config.name.clone()).map_err(io::Error::other)?;
        Ok(TlsStream { inner, conn: conn.into() })
    }

    /// Writes the records rustls has ready; Ok(progress). WouldBlock is not an error here.
    pub fn flush_records(&mut self) -> io::Result<bool> {
        let mut progress = false;
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.inner) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(_) => progress = true,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(progress)
    }

    pub fn pending_out(&self) -> usize {
        self.conn.wants_write() as usize
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.inner_read()? == 0 {
                return Ok(0);
            }
        }
    }
}

impl TlsStream {
    /// Reads records from the tcp stream and processes them (answering handshake messages
    /// at once). Ok(0) at EOF.
    fn inner_read(&mut self) -> io::Result<usize> {
        let n = match self.conn.read_tls(&mut self.inner) {
            Ok(n) => n,
            Err(e) => return Err(e),
        };
        let processed = self.conn.process_new_packets();
        // Our handshake messages, or the alert telling the peer why we stop.
        let flushed = self.flush_records();
        processed.map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
        flushed?;
        Ok(n)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_records()?;
        // rustls takes as much as its buffer limit allows: 0 means the records already
        // queued wait for the tcp stream, which said WouldBlock.
        let n = self.conn.writer().write(buf)?;
        self.flush_records()?;
        if n == 0 && !buf.is_empty() {
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
