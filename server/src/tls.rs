//! HTTPS of its own (contract v2, "Operations"): tablets need a secure context for the
//! service worker, persistent storage and WebCrypto, and a closed government network often
//! has no TLS proxy to put in front. This module owns the certificate the server presents:
//! loading and checking a PEM certificate chain and key, and swapping them while the server
//! runs (when the files change, and on SIGHUP) without touching open connections, because
//! rustls asks the resolver for a certificate at each new handshake only.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use anyhow::{Context, bail};
use der::Decode;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The crypto provider of every TLS config the server makes: aws-lc-rs, already in the
/// build for tokens and signatures.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A certificate chain and key in PEM files, loaded and checked.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads and checks the pair: the chain parses, the key parses and belongs to the first
    /// certificate, and that certificate is valid now. Errors name the file and the fault.
    pub fn load(&self) -> anyhow::Result<CertifiedKey> {
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .with_context(|| format!("TLS certificate {}", self.cert.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("TLS certificate {}", self.cert.display()))?;
        let Some(leaf) = certs.first() else {
            bail!(
                "TLS certificate {}: no certificate in the file",
                self.cert.display()
            );
        };
        check_validity(leaf, SystemTime::now())
            .with_context(|| format!("TLS certificate {}", self.cert.display()))?;
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .with_context(|| format!("TLS key {}", self.key.display()))?;
        let signing = provider()
            .key_provider
            .load_private_key(key)
            .with_context(|| format!("TLS key {}", self.key.display()))?;
        let certified = CertifiedKey::new(certs, signing);
        certified.keys_match().map_err(|e| {
            anyhow::anyhow!(
                "TLS key {} does not belong to the certificate {}: {e}",
                self.key.display(),
                self.cert.display()
            )
        })?;
        Ok(certified)
    }

    /// When either file was last changed, to notice a renewal.
    fn stamp(&self) -> Option<(SystemTime, SystemTime)> {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Some((modified(&self.cert)?, modified(&self.key)?))
    }
}

/// The leaf's not-before and not-after, refusing one that is not valid at `now`.
pub fn check_validity(leaf: &CertificateDer<'_>, now: SystemTime) -> anyhow::Result<()> {
    let (not_before, not_after) = validity(leaf)?;
    if now < not_before {
        bail!(
            "the certificate is not valid before {}",
            rfc3339(not_before)
        );
    }
    if now > not_after {
        bail!("the certificate expired on {}", rfc3339(not_after));
    }
    Ok(())
}

/// A certificate's validity period.
pub fn validity(leaf: &CertificateDer<'_>) -> anyhow::Result<(SystemTime, SystemTime)> {
    let cert = x509_cert::Certificate::from_der(leaf.as_ref())
        .context("the certificate is not valid DER")?;
    let v = &cert.tbs_certificate.validity;
    Ok((v.not_before.to_system_time(), v.not_after.to_system_time()))
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()
}

/// Hands rustls the current certificate at every handshake; `reload` swaps it.
#[derive(Debug)]
pub struct Reloading {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
    stamp: RwLock<Option<(SystemTime, SystemTime)>>,
}

impl Reloading {
    /// Loads the pair, failing at start when it is unusable.
    pub fn new(files: TlsFiles) -> anyhow::Result<Arc<Self>> {
        let stamp = files.stamp();
        let key = files.load()?;
        Ok(Arc::new(Self {
            files,
            current: RwLock::new(Arc::new(key)),
            stamp: RwLock::new(stamp),
        }))
    }

    /// Loads the files again and, when they are usable, serves them from the next
    /// handshake on. A broken pair (a renewal caught half-written, a wrong key) keeps the
    /// old one: better an old certificate than no service.
    pub fn reload(&self) -> anyhow::Result<()> {
        let stamp = self.files.stamp();
        let key = self.files.load()?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = stamp;
        tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Reloads when either file changed since the last load.
    pub fn reload_if_changed(&self) {
        let now = self.files.stamp();
        let known = *self.stamp.read().unwrap_or_else(|e| e.into_inner());
        if now.is_some()
            && now != known
            && let Err(e) = self.reload()
        {
            // Remember the broken stamp so the same files are not retried every tick;
            // the next change tries again.
            *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = now;
            tracing::error!(
                error = format!("{e:#}"),
                "TLS certificate not reloaded; keeping the previous one"
            );
        }
    }

    /// The certificate served now (for `doctor` and tests).
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The server's TLS configuration: TLS 1.2 and 1.3 only, HTTP/1.1 (the websocket upgrade
/// needs it), the certificate from `resolver`.
pub fn server_config(resolver: Arc<Reloading>) -> anyhow::Result<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Watches the files every `every` and on SIGHUP, for as long as the server runs.
pub async fn watch(resolver: Arc<Reloading>, every: std::time::Duration) {
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "no SIGHUP handler; certificate changes are still polled");
            None
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        {
            let hup = async {
                match hangup.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tick.tick() => resolver.reload_if_changed(),
                _ = hup => {
                    if let Err(e) = resolver.reload() {
                        tracing::error!(error = format!("{e:#}"), "TLS certificate not reloaded on SIGHUP; keeping the previous one");
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            tick.tick().await;
            resolver.reload_if_changed();
        }
    }
}

/// What the HTTP layer does about HTTPS: answer the plain redirect listener with 308, and
/// tell browsers on HTTPS to come back only over HTTPS (HSTS).
#[derive(Debug, Clone)]
pub struct Https {
    /// The plain listener that only redirects.
    pub redirect_listener: Option<std::net::SocketAddr>,
    /// The port of the HTTPS listener, for the redirect's `Location`.
    pub https_port: u16,
    /// The `Strict-Transport-Security` value, when one is sent.
    pub hsts: Option<actix_web::http::header::HeaderValue>,
}

impl Https {
    pub fn new(
        redirect_listener: Option<std::net::SocketAddr>,
        https_port: u16,
        hsts_max_age_secs: u64,
    ) -> Self {
        let hsts = (hsts_max_age_secs > 0).then(|| {
            actix_web::http::header::HeaderValue::from_str(&format!("max-age={hsts_max_age_secs}"))
                .unwrap_or_else(|_| actix_web::http::header::HeaderValue::from_static("max-age=0"))
        });
        Self {
            redirect_listener,
            https_port,
            hsts,
        }
    }

    /// The HTTPS address of a request that came in over plain HTTP: the same host name,
    /// the HTTPS port, the same path and query.
    fn location(&self, host: Option<&str>, fallback: std::net::SocketAddr, path: &str) -> String {
        let name = match host {
            // "[::1]:8080" or "example.vn:80": drop the port, keep IPv6 brackets.
            Some(h) if h.starts_with('[') => {
                h.split_once(']').map_or(h, |(n, _)| n).to_owned() + "]"
            }
            Some(h) => h.split(':').next().unwrap_or(h).to_owned(),
            None => match fallback.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            },
        };
        if self.https_port == 443 {
            format!("https://{name}{path}")
        } else {
            format!("https://{name}:{}{path}", self.https_port)
        }
    }
}

/// Middleware: 308 to HTTPS on the redirect listener, HSTS on HTTPS responses.
pub async fn enforce<B: actix_web::body::MessageBody>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    use actix_web::http::header;
    let Some(https) = req
        .app_data::<actix_web::web::Data<Https>>()
        .map(|d| d.get_ref().clone())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let local = req.app_config().local_addr();
    if https.redirect_listener == Some(local) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()));
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let location = https.location(host, local, &path);
        let res = actix_web::HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, location))
            .finish();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let secure = req.app_config().secure();
    let mut res = next.call(req).await?;
    if secure && let Some(hsts) = https.hsts {
        res.headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(dir: &Path, name: &str, expired: bool) -> TlsFiles {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = if expired {
            rcgen::date_time_ymd(2021, 1, 1)
        } else {
            rcgen::date_time_ymd(2090, 1, 1)
        };
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let files = TlsFiles {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }

    #[test]
    fn redirects_keep_the_host_name_and_path() {
        let https = Https::new(None, 8443, 0);
        let fallback: std::net::SocketAddr = "10.0.0.5:8080".parse().unwrap();
        assert_eq!(
            https.location(Some("ecabinet.ubnd.vn:8080"), fallback, "/m/1?x=2"),
            "https://ecabinet.ubnd.vn:8443/m/1?x=2"
        );
        assert_eq!(
            https.location(Some("[::1]:8080"), fallback, "/"),
            "https://[::1]:8443/"
        );
        assert_eq!(
            https.location(None, fallback, "/"),
            "https://10.0.0.5:8443/"
        );
        let standard = Https::new(None, 443, 0);
        assert_eq!(
            standard.location(Some("ecabinet.ubnd.vn"), fallback, "/a"),
            "https://ecabinet.ubnd.vn/a"
        );
    }

    #[test]
    fn a_good_pair_loads() {
        let dir = tempfile::tempdir().unwrap();
        let files = pair(dir.path(), "a", false);
        assert!(files.load().is_ok());
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = pair(dir.path(), "a", false);
        let b = pair(dir.path(), "b", false);
        let mixed = TlsFiles {
            cert: a.cert,
            key: b.key,
        };
        let err = format!("{:#}", mixed.load().unwrap_err());
        assert!(err.contains("does not belong"), "{err}");
    }

    #[test]
    fn an_expired_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = pair(dir.path(), "old", true);
        let err = format!("{:#}", files.load().unwrap_err());
        assert!(err.contains("expired"), "{err}");
    }

    #[test]
    fn an_unreadable_key_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = pair(dir.path(), "a", false);
        files.key = dir.path().join("missing.key");
        let err = format!("{:#}", files.load().unwrap_err());
        assert!(err.contains("missing.key"), "{err}");
    }

    #[test]
    fn a_broken_renewal_keeps_the_old_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let files = pair(dir.path(), "a", false);
        let resolver = Reloading::new(files.clone()).unwrap();
        let before = resolver.current().cert[0].clone();
        std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\ngarbage\n").unwrap();
        assert!(resolver.reload().is_err());
        assert_eq!(resolver.current().cert[0], before);
        // A good renewal is taken.
        pair(dir.path(), "a", false);
        resolver.reload().unwrap();
        assert_ne!(resolver.current().cert[0], before);
    }
}
