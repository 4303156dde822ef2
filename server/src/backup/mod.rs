//! Backup and restore (contract v2, "Operations"): `ecabinet backup --out FILE` writes one
//! consistent archive of the database, the document blobs and the server's generated keys
//! while the server runs; `ecabinet restore --from FILE --data DIR [--database-url URL]`
//! puts it back into an empty data directory or database, after checking every byte of the
//! archive against its manifest.
//!
//! Consistency: the database is copied from one snapshot (SQLite's `VACUUM INTO`, a
//! `REPEATABLE READ` transaction on PostgreSQL); blobs are immutable and content-addressed,
//! so copying those the snapshot refers to after it was taken gives the same files.
//! The archive holds the keys that sign tokens, encrypt second-factor secrets and hash ballot
//! keys: it is written with mode 0600 and must be kept like the data directory itself.

pub mod archive;
mod postgres;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::Backend;
use crate::documents::blobs::{BlobStore, LocalBlobs, Location};
use archive::{FORMAT, Manifest, VERSION, Writer};

/// The keys a server generates into its data directory (`auth::secret`).
const SECRETS: &[&str] = &["jwt-secret", "mfa-key"];
const SQLITE_ENTRY: &str = "database/ecabinet.db";

/// What a backup or restore did, for the command's output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub archive: PathBuf,
    pub backend: String,
    /// Documents' files: referenced by the backup's snapshot, or restored from the archive
    /// (files kept in the database come back with its tables and are not counted).
    pub blobs: usize,
    pub tables: usize,
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

fn sqlite_strings(conn: &mut SqliteConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Text> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.v).collect())
}

fn sql_literal(path: &Path) -> anyhow::Result<String> {
    let text = path
        .to_str()
        .context("the backup's temporary path is not UTF-8")?;
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// Writes the archive `out` of the installation `settings` describe.
pub async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Summary> {
    let mut writer = Writer::create(out)?;
    match write_all(settings, &mut writer, out).await {
        Ok((manifest, blobs)) => {
            let summary = Summary {
                archive: out.to_owned(),
                backend: manifest.backend.clone(),
                blobs,
                tables: manifest.tables.len(),
            };
            writer.finish(manifest)?;
            Ok(summary)
        }
        Err(e) => {
            writer.abandon();
            Err(e)
        }
    }
}

async fn write_all(
    settings: &Settings,
    writer: &mut Writer,
    out: &Path,
) -> anyhow::Result<(Manifest, usize)> {
    let url = settings.database_url();
    let backend = Backend::from_url(&url);
    let scratch = tempfile::Builder::new()
        .prefix(".ecabinet-backup")
        .tempdir_in(
            out.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .context("cannot make a scratch directory beside the archive")?;
    let (migrations, blobs, tables) = match backend {
        Backend::Sqlite => {
            let copy = scratch.path().join("ecabinet.db");
            let mut conn = SqliteConnection::establish(&url)
                .with_context(|| format!("cannot open the SQLite database {url}"))?;
            diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut conn)?;
            diesel::sql_query(format!("VACUUM INTO {}", sql_literal(&copy)?))
                .execute(&mut conn)
                .context("copying the SQLite database")?;
            drop(conn);
            let mut snapshot = SqliteConnection::establish(&copy.to_string_lossy())?;
            let migrations = sqlite_strings(
                &mut snapshot,
                "SELECT version AS v FROM __diesel_schema_migrations ORDER BY version",
            )?;
            let blobs = sqlite_strings(
                &mut snapshot,
                "SELECT sha256 AS v FROM blobs ORDER BY sha256",
            )?;
            drop(snapshot);
            writer.add_file(SQLITE_ENTRY, &copy)?;
            (migrations, blobs, BTreeMap::new())
        }
        Backend::Postgres => {
            let export = postgres::export(&url, scratch.path()).await?;
            for (entry, path) in &export.files {
                writer.add_file(entry, path)?;
                std::fs::remove_file(path)?;
            }
            (export.migrations, export.blobs, export.tables)
        }
    };
    // Files kept in the database came with its tables; those in a directory are added.
    let store = match blob_dir(settings, backend)? {
        Some(dir) => Some(LocalBlobs::open_dir(dir)?),
        None => None,
    };
    for (sha, store) in blobs.iter().filter_map(|sha| Some((sha, store.as_ref()?))) {
        let file = store
            .open(sha)
            .with_context(|| format!("blob {sha} is referenced but missing from the store"))?;
        let size = file.metadata()?.len();
        // The plan before its file, the original after: the order restore adopts them in.
        let plan = store.plan(sha)?;
        writer.add(
            &format!("blobs/{sha}.plan"),
            plan.len() as u64,
            plan.as_slice(),
        )?;
        writer.add(&format!("blobs/{sha}"), size, file)?;
        if let Some(original) = store.original(sha)? {
            let size = original.metadata()?.len();
            writer.add(&format!("blobs/{sha}.original"), size, original)?;
        }
    }
    for name in SECRETS {
        let path = settings.data.join(name);
        if path.is_file() {
            writer.add_file(&format!("secrets/{name}"), &path)?;
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: chrono::Utc::now().to_rfc3339(),
        backend: match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .into(),
        migrations,
        tables,
        files: BTreeMap::new(),
    };
    Ok((manifest, blobs.len()))
}

/// The directory the documents' files are kept in, or `None` when they are in the database.
fn blob_dir(settings: &Settings, backend: Backend) -> anyhow::Result<Option<PathBuf>> {
    let location = Location::parse(
        settings.blobs.as_deref(),
        &settings.data,
        backend == Backend::Postgres,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(match location {
        Location::Dir(dir) => Some(dir),
        Location::Database => None,
    })
}

/// Whether `dir` holds nothing of an installation.
fn data_dir_is_empty(dir: &Path, blobs: Option<&Path>) -> anyhow::Result<bool> {
    if dir.join("ecabinet.db").exists() || SECRETS.iter().any(|s| dir.join(s).exists()) {
        return Ok(false);
    }
    if let Some(blobs) = blobs.filter(|b| b.is_dir()) {
        let store = LocalBlobs::open_dir(blobs)?;
        if !store.list()?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The migrations this binary knows, to refuse an archive made by a newer one.
fn known_migrations(backend: Backend) -> Vec<String> {
    crate::db::migration_versions(backend)
}

/// Restores the archive `from` into the empty installation `settings` describe.
pub async fn restore(settings: &Settings, from: &Path) -> anyhow::Result<Summary> {
    let manifest = archive::verify(from)?;
    let url = settings.database_url();
    let backend = Backend::from_url(&url);
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    if manifest.backend != expected {
        bail!(
            "the archive is of a {} database; restore it with {}",
            manifest.backend,
            if manifest.backend == "postgres" {
                "--database-url postgres://…"
            } else {
                "no --database-url (SQLite in --data)"
            }
        );
    }
    let known = known_migrations(backend);
    if let Some(newer) = manifest.migrations.iter().find(|m| !known.contains(m)) {
        bail!(
            "the archive was made by a newer ecabinet (migration {newer}); restore it with that version"
        );
    }
    let blob_dir = blob_dir(settings, backend)?;
    if !data_dir_is_empty(&settings.data, blob_dir.as_deref())? {
        bail!(
            "{} is not empty; restore only into an empty data directory",
            settings.data.display()
        );
    }
    if backend == Backend::Postgres && !postgres::is_empty(&url).await? {
        bail!("the PostgreSQL database is not empty; restore only into an empty database");
    }
    std::fs::create_dir_all(&settings.data)?;
    let scratch = tempfile::Builder::new()
        .prefix(".ecabinet-restore")
        .tempdir_in(&settings.data)?;
    // Files kept in the database come back with its tables; an archive's files go to the
    // directory `--blobs` names (staged there, so a restore into the database leaves none).
    let store = LocalBlobs::open_dir(
        blob_dir
            .clone()
            .unwrap_or_else(|| scratch.path().join("blobs")),
    )?;
    let mut plans: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut blobs = 0;
    archive::for_each_entry(from, |name, data| {
        let (dir, rest) = name.split_once('/').unwrap_or(("", name));
        if rest.contains('/') || rest.starts_with('.') || rest.is_empty() {
            bail!("unexpected entry {name} in the archive");
        }
        match dir {
            "database" => copy_to(data, &scratch.path().join(rest)),
            "secrets" if SECRETS.contains(&rest) => copy_to(data, &settings.data.join(rest)),
            "blobs" => {
                let staged = store.staging_path();
                copy_to(data, &staged)?;
                match rest.split_once('.') {
                    None => {
                        let plan = plans
                            .remove(rest)
                            .context("a blob's plan must come before it in the archive")?;
                        store.adopt(&staged, &plan, rest)?;
                        blobs += 1;
                    }
                    Some((sha, "plan")) => {
                        plans.insert(sha.to_owned(), staged);
                    }
                    Some((sha, "original")) => store.keep_original(sha, &staged)?,
                    _ => bail!("unexpected entry {name} in the archive"),
                }
                Ok(())
            }
            _ => bail!("unexpected entry {name} in the archive"),
        }
    })?;
    match backend {
        Backend::Sqlite => {
            let db = settings.data.join("ecabinet.db");
            std::fs::rename(scratch.path().join("ecabinet.db"), &db)
                .context("the archive holds no SQLite database")?;
        }
        Backend::Postgres => {
            // The schema first (this binary's migrations), then the rows.
            let db = crate::db::Db::connect(&url, &settings.database)?;
            let threads = db.threads();
            drop(db);
            threads.quiesce(std::time::Duration::from_secs(5));
            postgres::import(&url, &manifest.tables, scratch.path()).await?;
        }
    }
    Ok(Summary {
        archive: from.to_owned(),
        backend: manifest.backend,
        blobs,
        tables: manifest.tables.len(),
    })
}

/// Writes `data` to `path`, synced.
fn copy_to(data: &mut dyn Read, path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::copy(data, &mut file)?;
    file.sync_all()?;
    Ok(())
}
