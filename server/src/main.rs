//! The `ecabinet` binary: parse the command line, load settings, run.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ecabinet::cli::{AuditCommand, Cli, Command, UserCommand};
use ecabinet::config::Settings;
use ecabinet::db::PoolThreads;
use ecabinet::startup::{Application, open_database};
use ecabinet::users::handlers::{CreateUser, create_user};
use ecabinet::{audit, demo, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The PDF check runs before any runtime exists: it is a short-lived, limited child.
    if let Command::PdfCheck(args) = &cli.command {
        return ecabinet::documents::validate::child_main(args);
    }
    let mut pools = Vec::new();
    let system = actix_web::rt::System::new();
    let outcome = system.block_on(run(cli, &mut pools));
    // Dropping the runtime drops every task and waits for the blocking pool; then no handle
    // of the database is left but r2d2's threads, which must be idle before the process
    // exits (docs/architecture.md, "Shutting down").
    drop(system);
    for threads in pools {
        if !threads.quiesce(EXIT_WAIT) {
            eprintln!("ecabinet: the database pool was still busy after {EXIT_WAIT:?}");
        }
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ecabinet: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// How long the exit waits for the database pool's threads (a connection being opened can
/// take up to libpq's connect timeout).
const EXIT_WAIT: Duration = Duration::from_secs(15);

async fn run(cli: Cli, pools: &mut Vec<PoolThreads>) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::load(cli.config.as_deref(), args.overrides())?;
            telemetry::init(&settings.log);
            serve(settings, pools).await
        }
        Command::PdfCheck(_) => Ok(()),
        Command::Sign(args) => ecabinet::signer::run(args).await,
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    display_name,
                    database,
                },
        } => {
            let settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            telemetry::init(&settings.log);
            let password = read_password()?;
            let db = open_database(&settings).await?;
            pools.push(db.threads());
            let user = create_user(
                &db,
                CreateUser {
                    username,
                    password,
                    role,
                    display_name,
                    email: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
            println!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::ResetMfa { username, database },
        } => {
            let settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            telemetry::init(&settings.log);
            let db = open_database(&settings).await?;
            pools.push(db.threads());
            let name = username.clone();
            let user = db
                .write(move |c| {
                    let user = ecabinet::users::find_by_username(c, &name)?
                        .ok_or(ecabinet::error::ApiError::NotFound { what: "user" })?;
                    ecabinet::auth::mfa::remove(c, &user.id)?;
                    Ok(user)
                })
                .await
                .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
            tracing::warn!(target: "security", user_id = %user.id,
                "second factor reset on the command line");
            println!(
                "removed the second factor of {} ({})",
                user.username, user.id
            );
            Ok(())
        }
        Command::Backup { out, database } => {
            let settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            telemetry::init(&settings.log);
            let summary = ecabinet::backup::backup(&settings, &out).await?;
            println!(
                "backup written: {} ({} database, {} documents' files{})",
                summary.archive.display(),
                summary.backend,
                summary.blobs,
                if summary.tables > 0 {
                    format!(", {} tables", summary.tables)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Doctor {
            database,
            tls_cert,
            tls_key,
        } => {
            let mut settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            if tls_cert.is_some() || tls_key.is_some() {
                settings.tls.cert = tls_cert;
                settings.tls.key = tls_key;
            }
            let checks = ecabinet::doctor::run(&settings).await;
            if ecabinet::doctor::print(&checks) {
                Ok(())
            } else {
                anyhow::bail!("một số kiểm tra không đạt / some checks failed")
            }
        }
        Command::Restore { from, database } => {
            let settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            telemetry::init(&settings.log);
            let summary = ecabinet::backup::restore(&settings, &from).await?;
            println!(
                "restored {} into {} ({} database, {} documents' files)",
                summary.archive.display(),
                settings.data.display(),
                summary.backend,
                summary.blobs
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { meeting, database },
        } => {
            let settings = Settings::load(cli.config.as_deref(), database.overrides())?;
            telemetry::init(&settings.log);
            let db = open_database(&settings).await?;
            pools.push(db.threads());
            verify_audit(&db, meeting).await
        }
    }
}

/// Prints one line per meeting checked; fails (non-zero exit) at the first broken chain.
async fn verify_audit(db: &ecabinet::db::Db, meeting: Option<String>) -> anyhow::Result<()> {
    let report = audit::verify(db, meeting)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
    let mut broken = None;
    for (meeting_id, outcome) in &report {
        match outcome {
            Ok(n) => println!("ok      meeting {meeting_id}: {n} entries intact"),
            Err(b) => {
                println!("BROKEN  {b}");
                broken.get_or_insert_with(|| b.clone());
            }
        }
    }
    match broken {
        Some(b) => anyhow::bail!("audit chain broken: {b}"),
        None => {
            println!("audit chain intact ({} meetings)", report.len());
            Ok(())
        }
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

async fn serve(mut settings: Settings, pools: &mut Vec<PoolThreads>) -> anyhow::Result<()> {
    let demo_requested = settings.demo;
    if demo_requested && !settings.auth.mfa_required_roles.is_empty() {
        // The demo accounts share a known password and have no authenticator.
        settings.auth.mfa_required_roles.clear();
        println!("Demo: auth.mfa_required_roles is ignored, no account needs a second factor.");
    }
    let app = Application::build(settings).await?;
    pools.push(app.state().db.threads());
    app.stop_on_signals()?;
    let state = app.state();
    if demo_requested {
        demo::seed(&state.db)
            .await
            .map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
        demo::seed_documents(&state)
            .await
            .map_err(|e| anyhow::anyhow!("demo documents: {e}"))?;
        demo::seed_record(&state)
            .await
            .map_err(|e| anyhow::anyhow!("demo record: {e}"))?;
        print_demo_logins();
    }
    let addr = state.settings.bind;
    let shown = if addr.ip().is_unspecified() {
        format!("localhost:{}", app.port())
    } else {
        format!("{}:{}", addr.ip(), app.port())
    };
    let scheme = if state.settings.tls.cert.is_some() {
        "https"
    } else {
        "http"
    };
    println!(
        "ecabinet is running: open {scheme}://{shown}/ (database: {:?})",
        state.db.backend()
    );
    tracing::info!(port = app.port(), "serving");
    tell_systemd_ready();
    app.run_until_stopped().await?;
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    tracing::info!("stopped");
    Ok(())
}

/// Under systemd (`Type=notify`): says the server listens, then pings the watchdog at half
/// its interval from the server's own runtime, so a runtime that stops turning gets the
/// service restarted. Outside systemd both are no-ops.
fn tell_systemd_ready() {
    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::warn!(error = %e, "could not tell systemd the server is ready");
    }
    let mut usec = 0;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        let every = Duration::from_micros(usec / 2);
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
            }
        });
    }
}

fn print_demo_logins() {
    println!(
        "Demo accounts — mật khẩu / password: {}",
        demo::DEMO_PASSWORD
    );
    for (username, display_name, _, what) in demo::ACCOUNTS {
        println!("  {username:<12} {display_name:<20} {what}");
    }
}
