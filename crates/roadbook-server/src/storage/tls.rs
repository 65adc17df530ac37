//! TLS to PostgreSQL, read from the database URL the way libpq reads it: `sslmode` (`disable`,
//! `prefer` (the default), `require`, `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file
//! of the CAs to trust, or `system` for the machine's roots), over rustls.
//!
//! tokio-postgres itself knows only disable, prefer and require, and no `sslrootcert`; so the two
//! are taken out of the URL here, the rest is tokio-postgres's to read, and what a mode checks
//! is the rustls verifier's job:
//! - `prefer` and `require` (without `sslrootcert`) encrypt and check nothing of the certificate,
//!   as libpq does;
//! - `verify-ca` (and `require` with `sslrootcert`, as in libpq) check the chain to a trusted CA;
//! - `verify-full` checks the chain and that the certificate names the host connected to.

use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};
use tokio_postgres::config::SslMode as PgSslMode;
pub use tokio_postgres_rustls::MakeRustlsConnect;

/// How much of the database's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "disable" => SslMode::Disable,
            // libpq's `allow` tries plain first; nothing here prefers plain, so it is `prefer`.
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }
}

/// What to connect with: tokio-postgres's settings and the TLS connector for them.
#[derive(Clone)]
pub struct Connection {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
    pub mode: SslMode,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The name connections carry in `pg_stat_activity`: the server, and the pod it runs in when
/// Kubernetes says (`POD_NAME`, else `HOSTNAME`), at most the 63 bytes PostgreSQL keeps.
pub fn application_name() -> String {
    let pod = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default();
    let mut name = if pod.trim().is_empty() {
        "roadbook-server".to_owned()
    } else {
        format!("roadbook-server {}", pod.trim())
    };
    while name.len() > 63 {
        name.pop();
    }
    name
}

/// Reads `url` (a `postgres://` URL or `key=value` settings) with its TLS settings.
pub fn connection(url: &str) -> Result<Connection, String> {
    let (rest, sslmode, rootcert) = take_tls_settings(url)?;
    let mut config = tokio_postgres::Config::from_str(&rest)
        .map_err(|e| format!("the URL cannot be read: {e}"))?;
    let system = rootcert.as_deref() == Some("system");
    let mode = match sslmode.as_deref() {
        // libpq 16: the machine's CAs are worth trusting only with the name checked too.
        None if system => SslMode::VerifyFull,
        None => SslMode::Prefer,
        Some(text) => text.parse()?,
    };
    if system && mode != SslMode::VerifyFull {
        return Err(
            "sslrootcert=system trusts every public CA, so it needs sslmode=verify-full (or leave sslmode out)"
                .into(),
        );
    }
    // libpq: a CA file given with `require` checks the chain, as verify-ca does.
    let mode = match (mode, &rootcert) {
        (SslMode::Require, Some(_)) => SslMode::VerifyCa,
        (mode, _) => mode,
    };
    config.ssl_mode(match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
    });
    if config.get_application_name().is_none() {
        config.application_name(application_name());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, &rootcert) {
        (SslMode::Disable | SslMode::Require, _) | (SslMode::Prefer, None) => Arc::new(Encrypted {
            provider: provider.clone(),
        }),
        // libpq checks the chain whenever it has a CA file, `prefer` included.
        (SslMode::Prefer | SslMode::VerifyCa | SslMode::VerifyFull, _) => {
            let roots = roots(rootcert.as_deref())?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("the trusted CAs cannot be used: {e}"))?;
            if mode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(ChainOnly { inner: webpki })
            }
        }
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Connection {
        config,
        tls: MakeRustlsConnect::new(tls),
        mode,
    })
}

/// The CAs `sslrootcert` names: a PEM file, or `system` for the machine's.
fn roots(rootcert: Option<&str>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    match rootcert {
        None => {
            return Err(
                "sslmode=verify-ca and verify-full need sslrootcert: the PEM file of the CA that signed the database's certificate (or sslrootcert=system for this machine's CAs)"
                    .into(),
            );
        }
        Some("system") => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err("sslrootcert=system, but this machine has no CA certificates".into());
            }
        }
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert={path} cannot be read ({e})"))?
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    format!("sslrootcert={path} is not a PEM file of certificates ({e})")
                })?;
            if certs.is_empty() {
                return Err(format!("sslrootcert={path} holds no certificate"));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    format!("sslrootcert={path} holds a certificate rustls cannot use ({e})")
                })?;
            }
        }
    }
    Ok(roots)
}

/// Takes `sslmode` and `sslrootcert` out of the settings: tokio-postgres refuses the modes it
/// does not know and ignores the CA file. Keys are read as tokio-postgres reads them
/// (percent-decoded in a URL, quoted values in key=value settings), so no spelling of a key
/// slips past here to tokio-postgres with a weaker meaning. Errors name the key, never a value
/// (a value may be the password).
fn take_tls_settings(url: &str) -> Result<(String, Option<String>, Option<String>), String> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), None, None));
        };
        let (mut sslmode, mut rootcert) = (None, None);
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key).map_err(|why| format!("a key in the URL {why}"))?;
            match key.as_str() {
                "sslmode" => {
                    sslmode = Some(percent_decode(value).map_err(|why| format!("sslmode {why}"))?);
                }
                "sslrootcert" => {
                    rootcert =
                        Some(percent_decode(value).map_err(|why| format!("sslrootcert {why}"))?);
                }
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, sslmode, rootcert));
    }
    let (mut sslmode, mut rootcert) = (None, None);
    let mut kept = Vec::new();
    for (key, value, text) in key_values(url)? {
        match key.as_str() {
            "sslmode" => sslmode = Some(value),
            "sslrootcert" => rootcert = Some(value),
            _ => kept.push(text),
        }
    }
    Ok((kept.join(" "), sslmode, rootcert))
}

/// libpq's `key = value` settings: each key, its value (unquoted, `\'` and `\\` read), and
/// the setting's text as written (to hand on to tokio-postgres unchanged).
pub(crate) fn key_values(text: &str) -> Result<Vec<(String, String, String)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut settings = Vec::new();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
            *i += 1;
        }
    };
    loop {
        skip_space(&mut i);
        if i >= chars.len() {
            return Ok(settings);
        }
        let start = i;
        let mut key = String::new();
        while let Some(&c) = chars.get(i) {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            i += 1;
        }
        skip_space(&mut i);
        if chars.get(i) != Some(&'=') {
            return Err(format!(
                "the settings cannot be read: '{key}' has no '=' and value"
            ));
        }
        i += 1;
        skip_space(&mut i);
        let mut value = String::new();
        if chars.get(i) == Some(&'\'') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!(
                            "the settings cannot be read: the value of {key} has no closing quote"
                        ));
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        if let Some(&c) = chars.get(i + 1) {
                            value.push(c);
                        }
                        i += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(&c) = chars.get(i) {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    if let Some(&next) = chars.get(i + 1) {
                        value.push(next);
                    }
                    i += 2;
                    continue;
                }
                value.push(c);
                i += 1;
            }
        }
        let written: String = chars.iter().take(i).skip(start).collect();
        settings.push((key, value, written));
    }
}

/// A URL's percent-encoded text decoded; the error says what is wrong, never the text.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "is not percent-encoded properly".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(if b == b'+' { b' ' } else { b });
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "is not UTF-8 once decoded".to_owned())
}

/// `prefer` and `require` as libpq has them: the connection is encrypted and the handshake's
/// signatures are checked, but not who the certificate names or who signed it.
#[derive(Debug)]
struct Encrypted {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Encrypted {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted CA; the name on the certificate is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_tls_settings_are_read_as_libpq_reads_them_and_the_rest_left_to_tokio_postgres() {
        let (rest, mode, root) = take_tls_settings(
            "postgres://app:pw@db.internal:5432/roadbook?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://app:pw@db.internal:5432/roadbook?connect_timeout=5"
        );
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (rest, mode, root) =
            take_tls_settings("host=db user=app sslmode=require dbname=roadbook").unwrap();
        assert_eq!(rest, "host=db user=app dbname=roadbook");
        assert_eq!((mode.as_deref(), root), (Some("require"), None));
        // The default is libpq's: prefer; an unknown mode says which ones there are.
        let plain = connection("postgres://app@localhost/roadbook").unwrap();
        assert_eq!(plain.mode, SslMode::Prefer);
        assert_eq!(
            plain
                .config
                .get_application_name()
                .map(|n| n.starts_with("roadbook-server")),
            Some(true)
        );
        let err = connection("postgres://app@localhost/roadbook?sslmode=maybe").unwrap_err();
        assert!(err.contains("verify-full"), "{err}");
        let err = connection("postgres://app@localhost/roadbook?sslmode=verify-full").unwrap_err();
        assert!(err.contains("need sslrootcert"), "{err}");
        let err = connection(
            "postgres://app@localhost/roadbook?sslmode=verify-full&sslrootcert=/nowhere/ca.pem",
        )
        .unwrap_err();
        assert!(err.contains("cannot be read"), "{err}");
    }

    #[test]
    fn no_spelling_of_a_key_slips_past_and_no_error_shows_a_value() {
        // A percent-encoded key is the same key tokio-postgres would read.
        let (rest, mode, _) =
            take_tls_settings("postgres://app@db/roadbook?ssl%6Dode=verify-full&x=1").unwrap();
        assert_eq!(
            (rest.as_str(), mode.as_deref()),
            ("postgres://app@db/roadbook?x=1", Some("verify-full"))
        );
        // Quoted values with spaces, and spaces around '=', as libpq allows.
        let (rest, mode, root) = take_tls_settings(
            r"host=db password='p w\'d' sslmode = verify-ca sslrootcert='/etc/my cas/ca.pem'",
        )
        .unwrap();
        assert_eq!(rest, r"host=db password='p w\'d'");
        assert_eq!(mode.as_deref(), Some("verify-ca"));
        assert_eq!(root.as_deref(), Some("/etc/my cas/ca.pem"));
        let err = take_tls_settings("host=db sslmode='require").unwrap_err();
        assert!(err.contains("no closing quote"), "{err}");
        // The machine's CAs only with the name checked: verify-full by default, weaker refused.
        assert!(
            connection("postgres://app@db/roadbook?sslrootcert=system&sslmode=require")
                .unwrap_err()
                .contains("needs sslmode=verify-full")
        );
        if let Ok(system) = connection("postgres://app@db/roadbook?sslrootcert=system") {
            assert_eq!(system.mode, SslMode::VerifyFull);
        }
        // A badly encoded password is named, not shown.
        let err = take_tls_settings("postgres://app@db/roadbook?sslmode=requi%zz").unwrap_err();
        assert!(!err.contains("requi"), "{err}");
        assert!(err.starts_with("sslmode"), "{err}");
        let err = take_tls_settings("postgres://app@db/roadbook?pass%zzword=hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
