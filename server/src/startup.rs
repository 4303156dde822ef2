//! Building the application from settings: database, secrets, shared state, the HTTP server
//! bound to its listener. Tests build it with port 0 and read `port()`.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{self, from_fn};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::tokens::TokenService;
use crate::auth::{password, secret};
use crate::config::Settings;
use crate::db::{Backend, Db};
use crate::error;
use crate::live::{Hub, hub};
use crate::metrics::{self, Metrics};
use crate::state::AppState;
use tokio::sync::mpsc;

pub struct Application {
    server: Server,
    port: u16,
    metrics_port: Option<u16>,
    state: web::Data<AppState>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Removes orphaned files at start and then periodically.
async fn sweep_files(files: Arc<crate::documents::files::Files>, db: Db) {
    let every = std::time::Duration::from_secs(files.settings().sweep_interval_secs.max(1));
    loop {
        match files.sweep(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "swept orphaned document files"),
            Err(err) => tracing::warn!(%err, "document file sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Sends the reminders due of open written meetings (`meetings::reminders`): a read finds the
/// meetings with one due, and each is sent in its own transaction.
async fn remind(db: &Db, hub: &Arc<Hub>, rules: &Arc<crate::meetings::reminders::Rules>) {
    use crate::meetings::{reminders, written};
    let r = rules.clone();
    let due = db
        .read(move |c| {
            let mut due = Vec::new();
            for id in written::open(c)? {
                if reminders::is_due(c, &id, &r)? {
                    due.push(id);
                }
            }
            Ok(due)
        })
        .await;
    match due {
        Ok(ids) => {
            for id in ids {
                let r = rules.clone();
                match db.write(move |c| reminders::remind(c, &id, &r)).await {
                    Ok(created) => {
                        crate::live::notify::push(hub.clone(), db.clone(), created).await;
                    }
                    Err(err) => tracing::warn!(%err, "sending reminders failed"),
                }
            }
        }
        Err(err) => tracing::warn!(%err, "looking for reminders due failed"),
    }
}

/// Closes written meetings whose deadline passed: at start (a deadline that passed while the
/// server was down), then every `meetings.deadline_check_ms`. Each closes in its own
/// transaction under the meeting's lock, so of several instances only one closes it. Then
/// sends the reminders due (`notifications.reminders`), on the same cadence.
async fn close_due_meetings(
    db: Db,
    bus: crate::events::EventBus,
    hub: Arc<Hub>,
    every: std::time::Duration,
    rules: Arc<crate::meetings::reminders::Rules>,
) {
    loop {
        match db.read(crate::meetings::written::due).await {
            Ok(ids) => {
                for id in ids {
                    match db
                        .write(move |c| crate::meetings::written::close_if_due(c, &id))
                        .await
                    {
                        Ok(events) => bus.publish(events),
                        Err(err) => tracing::warn!(%err, "closing a written meeting failed"),
                    }
                }
            }
            Err(err) => {
                tracing::warn!(%err, "looking for written meetings past their deadline failed")
            }
        }
        remind(&db, &hub, &rules).await;
        tokio::time::sleep(every).await;
    }
}

/// Makes what the server writes its own: the process's umask is narrowed so that the
/// database (and SQLite's `-wal`/`-shm` files), stored files, board books and the checker's
/// plans are created 0600 and their directories 0700, whatever umask the service manager
/// gave; the data directory and the SQLite database of an older install are narrowed too.
fn keep_files_private(settings: &Settings) -> std::io::Result<()> {
    use rustix::fs::Mode;
    use std::os::unix::fs::PermissionsExt;

    let private = Mode::RWXG | Mode::RWXO;
    let before = rustix::process::umask(private);
    rustix::process::umask(before | private);
    std::fs::create_dir_all(&settings.data)?;
    std::fs::set_permissions(&settings.data, std::fs::Permissions::from_mode(0o700))?;
    if settings.database_url.as_deref().is_none_or(str::is_empty) {
        let db = settings.data.join("ecabinet.db");
        for file in [
            db.clone(),
            db.with_extension("db-wal"),
            db.with_extension("db-shm"),
        ] {
            if file.is_file() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

/// The store of documents' files `--blobs` names.
pub fn open_blobs(
    settings: &Settings,
    db: &Db,
) -> anyhow::Result<Arc<dyn crate::documents::blobs::BlobStore>> {
    use crate::documents::blobs::{LocalBlobs, Location};
    let location = Location::parse(
        settings.blobs.as_deref(),
        &settings.data,
        db.backend() == Backend::Postgres,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(match location {
        Location::Dir(path) => Arc::new(LocalBlobs::open_dir(path)?),
        Location::Database => Arc::new(crate::documents::db_blobs::DbBlobs::open(
            db.clone(),
            settings.data.join("blob-cache"),
            settings.documents.blob_cache_bytes,
            &settings.data.join("blobs"),
        )?),
    })
}

/// Opens the database named by the settings (creating the data directory), migrated.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    keep_files_private(settings)?;
    let url = settings.database_url();
    let db_settings = settings.database.clone();
    web::block(move || Db::connect(&url, &db_settings)).await?
}

impl Application {
    /// Everything but serving: database migrated, secrets loaded, listener bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings
            .metrics
            .token
            .as_ref()
            .is_some_and(|t| t.trim().chars().count() < 16)
        {
            anyhow::bail!("metrics.token must have at least 16 characters");
        }
        settings
            .meetings
            .working_day_end()
            .map_err(anyhow::Error::msg)?;
        let reminder_rules = crate::meetings::reminders::Rules::from_settings(&settings)
            .map_err(anyhow::Error::msg)?;
        if let Some(smtp) = &settings.notifications.smtp {
            crate::notifications::mail::check(smtp)?;
        }
        let db = open_database(&settings).await?;
        let key = secret::load_or_generate(settings.auth.jwt_secret.as_deref(), &settings.data)?;
        web::block(password::warm_up).await?;
        let metrics = Arc::new(Metrics::default());
        let hub = Arc::new(Hub::new(settings.live.clone(), metrics.clone()));
        let bus = crate::events::EventBus::default();
        let (wake_tx, wake_rx) = mpsc::unbounded_channel();
        actix_web::rt::spawn(hub::dispatch(
            hub.clone(),
            db.clone(),
            bus.subscribe(),
            wake_rx,
        ));
        if db.backend() == Backend::Postgres {
            let (out_tx, out_rx) = mpsc::unbounded_channel();
            hub.set_outgoing(out_tx);
            let instance = uuid::Uuid::new_v4().to_string();
            actix_web::rt::spawn(crate::live::pg::bridge(crate::live::pg::Bridge {
                url: settings.database_url(),
                instance,
                wake: wake_tx,
                outgoing: out_rx,
                committed: bus.subscribe(),
                batch: std::time::Duration::from_millis(settings.live.signal_batch_ms),
                catch_up: std::time::Duration::from_millis(settings.live.catch_up_ms.max(50)),
                metrics: metrics.clone(),
            }));
        }
        let files = Arc::new(crate::documents::files::Files::open(
            &settings.data,
            settings.documents.clone(),
            open_blobs(&settings, &db)?,
        )?);
        actix_web::rt::spawn(sweep_files(files.clone(), db.clone()));
        actix_web::rt::spawn(close_due_meetings(
            db.clone(),
            bus.clone(),
            hub.clone(),
            std::time::Duration::from_millis(settings.meetings.deadline_check_ms.max(100)),
            Arc::new(reminder_rules),
        ));
        if let Some(smtp) = &settings.notifications.smtp {
            actix_web::rt::spawn(crate::notifications::mail::run(db.clone(), smtp.clone()));
        }
        let polls = crate::polls::PollService::start(
            db.clone(),
            bus.clone(),
            settings.polls.clone(),
            metrics.clone(),
            crate::polls::keys::KeyHasher::new(&key)?,
        );
        let state = web::Data::new(AppState {
            files,
            db,
            tokens: TokenService::new(&key, &settings.auth),
            standings: crate::auth::standing::Standings::new(
                std::time::Duration::from_secs(settings.auth.standing_cache_secs),
                settings.auth.standing_cache_entries,
            ),
            login_limiter: LoginLimiter::new(&settings.auth),
            device_cookies: crate::auth::device_cookie::DeviceCookies::new(&key, &settings.auth)?,
            code_limiter: LoginLimiter::for_codes(&settings.auth),
            mfa_keys: crate::auth::mfa::SecretBox::new(&crate::auth::secret::mfa_key(
                settings.auth.mfa_key.as_deref(),
                &settings.data,
            )?)?,
            metrics,
            bus,
            hub,
            polls,
            trust_anchors: Arc::new(crate::signatures::load_anchors(
                &settings.signing.trust_anchors,
            )?),
            verified: Arc::new(quick_cache::sync::Cache::new(256)),
            seal: crate::signatures::seal::Seal::load(&settings.signing)?.map(Arc::new),
            seal_image: match &settings.signing.seal_image {
                Some(path) => {
                    let png = anyhow::Context::with_context(std::fs::read(path), || {
                        format!("signing.seal_image {}", path.display())
                    })?;
                    crate::signatures::images::decode(&png).map_err(|e| {
                        anyhow::anyhow!("signing.seal_image {}: {e}", path.display())
                    })?;
                    Some(Arc::new(png))
                }
                None => None,
            },
            fonts: Arc::new(crate::minutes::render::Fonts::load(
                settings.minutes.fonts_dir.as_deref(),
            )),
            settings: Arc::new(settings),
        });

        let listener = TcpListener::bind(state.settings.bind)?;
        let port = listener.local_addr()?.port();
        let tls = match state.settings.tls.files()? {
            Some(files) => Some(crate::tls::Reloading::new(files)?),
            None => None,
        };
        let redirect_listener = match (&tls, state.settings.tls.http_redirect) {
            (Some(_), Some(addr)) => Some(TcpListener::bind(addr)?),
            (None, Some(_)) => anyhow::bail!("--http-redirect needs --tls-cert and --tls-key"),
            _ => None,
        };
        let redirect_addr = redirect_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let https = tls.as_ref().map(|_| {
            web::Data::new(crate::tls::Https::new(
                redirect_addr,
                port,
                state.settings.tls.hsts_max_age_secs,
            ))
        });
        let metrics_listener = state
            .settings
            .metrics
            .bind
            .map(TcpListener::bind)
            .transpose()?;
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let exposure = web::Data::new(metrics::Exposure::new(
            &state.settings.metrics,
            metrics_addr,
        ));
        let json_limit = state.settings.limits.json_body_bytes;
        let app_state = state.clone();
        let web_dir = crate::client::resolve(&state.settings.web.dir);
        let server = HttpServer::new(move || {
            let mut app = App::new()
                .app_data(app_state.clone())
                .app_data(exposure.clone());
            if let Some(https) = &https {
                app = app.app_data(https.clone());
            }
            app.app_data(
                web::JsonConfig::default()
                    .limit(json_limit)
                    .error_handler(move |e, _| error::json_error(e, json_limit).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|e, _| error::path_error(e).into()))
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| error::query_error(e).into()),
            )
            .wrap(middleware::ErrorHandlers::new().handler(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                error::method_not_allowed,
            ))
            .wrap(crate::headers::defaults())
            .wrap(from_fn(metrics::listener_serves_metrics_only))
            .wrap(from_fn(crate::tls::enforce))
            .wrap(from_fn(metrics::track))
            .wrap(from_fn(crate::telemetry::request_id_header))
            .wrap(middleware::NormalizePath::trim())
            .wrap(TracingLogger::default())
            .configure(|cfg| crate::routes::configure(cfg, &web_dir))
        })
        // Live frames, acks and range replies are small writes that follow one another; with
        // Nagle's algorithm (actix leaves TCP_NODELAY unset) each waits for the peer's ACK of
        // the previous one, up to a delayed-ACK timeout of ~40 ms.
        .tcp_nodelay(true);
        let mut server = match &tls {
            Some(resolver) => {
                actix_web::rt::spawn(crate::tls::watch(
                    resolver.clone(),
                    std::time::Duration::from_secs(state.settings.tls.reload_check_secs.max(1)),
                ));
                server.listen_rustls_0_23(listener, crate::tls::server_config(resolver.clone())?)?
            }
            None => server.listen(listener)?,
        };
        if let Some(redirect) = redirect_listener {
            server = server.listen(redirect)?;
        }
        if let Some(metrics_listener) = metrics_listener {
            server = server.listen(metrics_listener)?;
        }
        let server = server.disable_signals().shutdown_timeout(10).run();
        Ok(Self {
            server,
            port,
            metrics_port: metrics_addr.map(|a| a.port()),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener (`metrics.bind`), when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Listens for SIGTERM and ctrl-c from now on (the handlers are installed before this
    /// returns, so a signal sent as soon as the address is announced is never missed) and
    /// then shuts down gracefully: live sessions are closed first with a reconnect hint, then
    /// in-flight requests finish.
    pub fn stop_on_signals(&self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let hub = self.state.hub.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            let mut interrupt = signal(SignalKind::interrupt())?;
            actix_web::rt::spawn(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
                shutdown(&hub, &handle).await;
            });
        }
        #[cfg(not(unix))]
        actix_web::rt::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown(&hub, &handle).await;
        });
        Ok(())
    }

    /// Serves until stopped (`handle().stop()`, or a signal after `stop_on_signals`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Stops gracefully: live sessions are told to reconnect (1012), then requests finish.
pub async fn shutdown(hub: &Hub, handle: &ServerHandle) {
    tracing::info!("shutting down");
    hub.close_all();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    handle.stop(true).await;
}
