//! Connecting to the fleet: the `postgres` crate (pure Rust, over its own small tokio runtime,
//! started here and only here) with rustls and ring, TLS as libpq's `sslmode` defines it.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::config::{Host, SslMode, Target};
use crate::error::{Error, Result};

/// A connection to the fleet, as the role the target names.
pub fn connect(target: &Target) -> Result<postgres::Client> {
    let mut timer = crate::ui::Timer::start();
    let mut config = postgres::Config::new();
    config
        .port(target.port)
        .user(&target.user)
        .dbname(&target.dbname)
        .connect_timeout(target.connect_timeout)
        .application_name(&target.application_name);
    if let Some(p) = &target.password {
        config.password(p);
    }
    let unreachable = |e: postgres::Error| {
        Error::Unavailable(format!(
            "cannot connect to the fleet at {} ({}): {}",
            target.display(),
            target.source,
            describe(&e)
        ))
    };
    // As libpq: a Unix socket carries no TLS, whatever sslmode says.
    let client = match &target.host {
        Host::Unix(dir) => {
            config
                .host_path(dir)
                .ssl_mode(postgres::config::SslMode::Disable);
            config.connect(postgres::NoTls).map_err(unreachable)?
        }
        Host::Tcp(host) => {
            config.host(host);
            match target.sslmode {
                SslMode::Disable => {
                    config.ssl_mode(postgres::config::SslMode::Disable);
                    config.connect(postgres::NoTls).map_err(unreachable)?
                }
                mode => {
                    config.ssl_mode(if mode == SslMode::Prefer {
                        postgres::config::SslMode::Prefer
                    } else {
                        postgres::config::SslMode::Require
                    });
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(target)?);
                    config.connect(tls).map_err(unreachable)?
                }
            }
        }
    };
    timer.mark("fleet: connected");
    Ok(client)
}

/// A PostgreSQL error as one line: the server's message and detail when it sent them.
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; {h}"));
            }
            s
        }
        None => {
            // The driver's own error names only its kind; the cause says what happened.
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                s.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            s
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(target: &Target) -> Result<rustls::ClientConfig> {
    let bad = |what: String| Error::Config(format!("fleet TLS: {what}"));
    let roots = roots(&target.sslrootcert).map_err(bad)?;
    let verify = matches!(target.sslmode, SslMode::VerifyCa | SslMode::VerifyFull);
    if verify && roots.is_none() {
        return Err(bad(format!(
            "sslmode={} needs a root certificate, and {} does not exist (set sslrootcert or PGSSLROOTCERT; `system` for the public web roots)",
            if target.sslmode == SslMode::VerifyCa {
                "verify-ca"
            } else {
                "verify-full"
            },
            target.sslrootcert
        )));
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?;
    // As libpq: prefer and require check the server against a root certificate when there is
    // one (as verify-ca does), and take any certificate when there is none.
    let verifier: Arc<dyn ServerCertVerifier> = match roots {
        Some(roots) => {
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .map_err(|e| bad(e.to_string()))?;
            if target.sslmode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(AnyName(webpki))
            }
        }
        None => Arc::new(Unchecked(provider())),
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    if target.sslcert.is_file() {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&target.sslcert)
            .and_then(|i| i.collect())
            .map_err(|e| bad(format!("cannot read {}: {e}", target.sslcert.display())))?;
        check_key_mode(&target.sslkey).map_err(bad)?;
        let key = PrivateKeyDer::from_pem_file(&target.sslkey).map_err(|e| {
            bad(format!(
                "cannot read the key {}: {e}",
                target.sslkey.display()
            ))
        })?;
        builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| bad(e.to_string()))
    } else {
        Ok(builder.with_no_client_auth())
    }
}

/// The root certificates to check the server with: a PEM file, `system` (the bundled web
/// roots), or none when the file is not there.
fn roots(spec: &str) -> std::result::Result<Option<rustls::RootCertStore>, String> {
    let mut store = rustls::RootCertStore::empty();
    if spec == "system" {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(Some(store));
    }
    let path = Path::new(spec);
    if spec.is_empty() || !path.exists() {
        return Ok(None);
    }
    for cert in
        CertificateDer::pem_file_iter(path).map_err(|e| format!("cannot read {spec}: {e}"))?
    {
        let cert = cert.map_err(|e| format!("cannot read {spec}: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("bad root certificate in {spec}: {e}"))?;
    }
    Ok(Some(store))
}

/// As libpq: a private key others can read is refused (0640 is allowed when root owns it).
fn check_key_mode(key: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(key)
        .map_err(|e| format!("cannot read the key {}: {e}", key.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    let allowed = if meta.uid() == 0 { 0o640 } else { 0o600 };
    if mode & !allowed != 0 {
        return Err(format!(
            "the private key {} has mode {mode:o}; it must be u=rw (0600) or less, as libpq requires",
            key.display()
        ));
    }
    Ok(())
}

/// verify-ca: the chain must lead to a root, whatever name the certificate gives.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                NotValidForName | NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// prefer and require without a root certificate: encrypted, not authenticated (libpq's
/// meaning of those modes). The handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
