//! The command line of the contract: `serve`, `user add`, `audit verify`, `sign`, `backup`,
//! `restore`. Parsing only; `main`
//! dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::FlagOverrides;
use crate::users::Role;

#[derive(Debug, Parser)]
#[command(name = "ecabinet", version, about = "Paperless meeting server")]
pub struct Cli {
    /// TOML settings file (keys in docs/configuration.md). Also `ECABINET_CONFIG`.
    #[arg(long, global = true, env = "ECABINET_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Checks one PDF (run by the server in a child process; not for people).
    #[command(hide = true)]
    PdfCheck(crate::documents::validate::CheckArgs),
    /// Sign a document on this PC with a PKCS#12 key, through the server's two-phase signing
    /// (passwords are read from standard input).
    Sign(crate::signer::SignArgs),
    /// Write one consistent archive of the database, the documents' files and the server's
    /// keys, while the server runs (docs/operations.md).
    Backup {
        /// The archive to write; refused when it exists.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Restore an archive of `backup` into an empty data directory (and empty database).
    Restore {
        /// The archive to restore; checked whole before anything is written.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Check this installation (configuration, database, documents' store, TLS certificate,
    /// clock, open-file limit, free disk) and say what to fix; exit 1 when something fails.
    Doctor {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The TLS certificate to check (else `tls.cert` of the settings).
        #[arg(long)]
        tls_cert: Option<PathBuf>,
        /// Its key.
        #[arg(long)]
        tls_key: Option<PathBuf>,
    },
    /// Check the audit chain of the meetings' decisions.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chains; exit 0 only when every one is intact, otherwise name the
    /// first broken entry.
    Verify {
        /// Only this meeting (default: every meeting with an audit chain).
        #[arg(long)]
        meeting: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Data directory (SQLite database, blobs, secrets). Default `./data`.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// `postgres://…` for PostgreSQL; default SQLite at `<data>/ecabinet.db`.
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Default 127.0.0.1:8080.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Create demo users and a demo meeting (idempotent) and print their logins.
    #[arg(long)]
    pub demo: bool,
    /// Serve HTTPS with this PEM certificate chain (with `--tls-key`); reloaded when the
    /// file changes and on SIGHUP.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Also listen for plain HTTP here and answer 308 to the HTTPS address.
    #[arg(long)]
    pub http_redirect: Option<SocketAddr>,
    /// Where document bytes are kept: `dir:PATH`, `postgres`, `s3://BUCKET?endpoint=URL&region=R`.
    #[arg(long)]
    pub blobs: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Remove a user's second factor (an administrator locked out, a lost phone); logged.
    ResetMfa {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|e: crate::error::ApiError| e.to_string())
}

impl ServeArgs {
    pub fn overrides(&self) -> FlagOverrides {
        FlagOverrides {
            bind: self.bind,
            data: self.database.data.clone(),
            database_url: self.database.database_url.clone(),
            demo: self.demo.then_some(true),
            tls: (self.tls_cert.is_some()
                || self.tls_key.is_some()
                || self.http_redirect.is_some())
            .then(|| crate::config::TlsOverrides {
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
                http_redirect: self.http_redirect,
            }),
            blobs: self.blobs.clone(),
        }
    }
}

impl DatabaseArgs {
    pub fn overrides(&self) -> FlagOverrides {
        FlagOverrides {
            data: self.data.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        }
    }
}
