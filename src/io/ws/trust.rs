//! How a wss client decides to trust the server's certificate, as libzmq (over GnuTLS)
//! does: the usual chain check against the trusted certificates (ZMQ_WSS_TRUST_PEM, and
//! the system's store with ZMQ_WSS_TRUST_SYSTEM) and the name (ZMQ_WSS_HOSTNAME, else the
//! host connected to). GnuTLS also accepts what rustls's WebPKI check refuses and
//! libzmq's own test relies on: a server certificate that IS one of the trusted ones
//! (self-signed, even marked CA) and names its host only in the subject's Common Name.
//! That second way is exact: the certificate must be byte for byte a trusted one, be
//! valid now, and its CN must be the name asked for.

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// Debian's bundle of the system's trusted CAs.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

#[derive(Debug)]
pub struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    trusted: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Verifier {
    pub fn new(trust_pem: &[u8], trust_system: bool) -> Result<Verifier> {
        let mut trusted: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(trust_pem).collect::<std::result::Result<_, _>>().map_err(|_| Error::INVAL)?;
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(trusted.iter().cloned());
        if trust_system {
            if let Ok(bundle) = std::fs::read(SYSTEM_BUNDLE) {
                roots.add_parsable_certificates(CertificateDer::pem_slice_iter(&bundle).flatten());
            }
        }
        let provider = super::tls::provider();
        let algorithms = provider.signature_verification_algorithms;
        let webpki = (!roots.is_empty())
            .then(|| WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build().ok())
            .flatten();
        trusted.shrink_to_fit();
        Ok(Verifier { webpki, trusted, algorithms })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let chain = match &self.webpki {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)),
        };
        let err = match chain {
            Ok(ok) => return Ok(ok),
            Err(e) => e,
        };
        let pinned = self.trusted.iter().any(|t| t.as_ref() == end_entity.as_ref());
        let name = match server_name {
            ServerName::DnsName(d) => d.as_ref().to_string(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            _ => return Err(err),
        };
        match der::subject_cn_and_validity(end_entity.as_ref()) {
            Some((cn, not_before, not_after))
                if pinned && cn.eq_ignore_ascii_case(&name) && (not_before..=not_after).contains(&(now.as_secs() as i64)) =>
            {
                Ok(ServerCertVerified::assertion())
            }
            _ => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Just enough DER (X.690) to read a certificate's subject Common Name and validity.
mod der {
    /// One TLV: (tag, contents, what follows).
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = b.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7F) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |a, &x| a << 8 | x as usize), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// (CN, notBefore, notAfter as Unix seconds) of a Certificate.
    pub fn subject_cn_and_validity(cert: &[u8]) -> Option<(String, i64, i64)> {
        let (0x30, cert, _) = tlv(cert)? else { return None };
        let (0x30, tbs, _) = tlv(cert)? else { return None };
        let (tag, _, mut rest) = tlv(tbs)?;
        if tag != 0xA0 {
            rest = tbs; // no explicit version: v1
        }
        let (_serial, _, rest) = tlv(rest)?;
        let (_signature, _, rest) = tlv(rest)?;
        let (_issuer, _, rest) = tlv(rest)?;
        let (0x30, validity, rest) = tlv(rest)? else { return None };
        let (0x30, mut subject, _) = tlv(rest)? else { return None };
        let (t1, before, after_rest) = tlv(validity)?;
        let (t2, after, _) = tlv(after_rest)?;
        let (not_before, not_after) = (time(t1, before)?, time(t2, after)?);
        while !subject.is_empty() {
            let (_set, rdn, next) = tlv(subject)?;
            subject = next;
            let (_seq, attr, _) = tlv(rdn)?;
            let (0x06, oid, value) = tlv(attr)? else { return None };
            if oid == [0x55, 0x04, 0x03] {
                let (_, v, _) = tlv(value)?;
                return Some((String::from_utf8(v.to_vec()).ok()?, not_before, not_after));
            }
        }
        None
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as Unix seconds.
    fn time(tag: u8, v: &[u8]) -> Option<i64> {
        let s = std::str::from_utf8(v).ok()?.strip_suffix('Z')?;
        let (year, rest) = match tag {
            0x17 if s.len() == 12 => {
                let yy: i64 = s[..2].parse().ok()?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
            }
            0x18 if s.len() == 14 => (s[..4].parse().ok()?, &s[4..]),
            _ => return None,
        };
        let n = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
        let (month, day, h, m, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
        // Days from the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146097 + doe - 719468;
        Some(days * 86400 + h * 3600 + m * 60 + sec)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn times() {
            assert_eq!(super::time(0x17, b"700101000000Z"), Some(0));
            assert_eq!(super::time(0x17, b"191110083318Z"), Some(1573374798));
            assert_eq!(super::time(0x18, b"21191017083318Z"), Some(4726974798));
            assert_eq!(super::time(0x17, b"19111008331Z"), None);
        }
    }
}
