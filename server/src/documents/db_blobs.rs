//! Documents' files kept in the database (`--blobs postgres`, the default on PostgreSQL): any
//! instance of a group sharing one database serves any document, whichever instance received
//! it, and one backup holds everything. Files are rows of `blob_store` with their bytes in
//! ~1 MiB chunks in `blob_chunks`, written and read a chunk at a time.
//!
//! Each instance keeps a local read-through copy (a `LocalBlobs` under `<data>/blob-cache`),
//! because the document code streams, seeks and stamps from local files. Stored files never
//! change, so the copy needs no invalidation, only a bound on its size (oldest copies go
//! first). A copy is made only after its bytes hash to its name: a file damaged in the
//! database is never served.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::blobs::{BlobStore, LocalBlobs};
use crate::db::schema::{blob_chunks, blob_store};
use crate::db::{Db, DbConnection};

/// Bytes per chunk row.
const CHUNK: usize = 1 << 20;

#[derive(Debug)]
pub struct DbBlobs {
    db: Db,
    cache: LocalBlobs,
    cache_limit: u64,
    /// Files an earlier version kept in `<data>/blobs`: moved into the database the first
    /// time they are asked for, so an upgraded site loses none.
    legacy: Option<LocalBlobs>,
}

fn db_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("blob store: {e}"))
}

fn original_name(sha256: &str) -> String {
    format!("{sha256}.original")
}

impl DbBlobs {
    pub fn open(
        db: Db,
        cache_dir: impl Into<PathBuf>,
        cache_limit: u64,
        legacy_dir: &Path,
    ) -> io::Result<Self> {
        let legacy = if legacy_dir.is_dir() {
            Some(LocalBlobs::open_dir(legacy_dir)?)
        } else {
            None
        };
        Ok(Self {
            db,
            cache: LocalBlobs::open_dir(cache_dir)?,
            cache_limit,
            legacy,
        })
    }

    /// Moves a file an earlier version stored in `<data>/blobs` into the database.
    fn adopt_legacy(&self, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(legacy) = self.legacy.as_ref().filter(|l| l.contains(sha256)) else {
            return Ok(None);
        };
        let plan = legacy.plan(sha256)?;
        self.upload(sha256, &legacy.local_path(sha256)?, Some(plan.clone()))?;
        if let Some(original) = legacy.original(sha256)? {
            drop(original);
            let path = legacy.local_path(sha256)?.with_extension("original");
            self.upload(&original_name(sha256), &path, None)?;
        }
        tracing::info!(sha256, "a file of <data>/blobs moved into the database");
        Ok(Some(plan))
    }

    fn conn(&self) -> io::Result<diesel::r2d2::PooledConnection<crate::db::Manager>> {
        self.db.blocking().map_err(db_error)
    }

    /// Stores the file at `path` under `name` (and `plan`), unless it is stored already:
    /// the row and its chunks in one transaction, so a file is whole or absent. Two
    /// instances storing the same file at once: the second finds the key taken and keeps
    /// the first's.
    fn upload(&self, name: &str, path: &Path, plan: Option<Vec<u8>>) -> io::Result<()> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let stored: i64 = blob_store::table
            .filter(blob_store::name.eq(name))
            .count()
            .get_result(conn)
            .map_err(db_error)?;
        if stored > 0 {
            return Ok(());
        }
        let size = fs::metadata(path)?.len() as i64;
        let mut file = fs::File::open(path)?;
        let name_again = name.to_owned();
        let name = name.to_owned();
        let outcome = crate::db::write_transaction(conn, move |c| {
            diesel::insert_into(blob_store::table)
                .values((
                    blob_store::name.eq(&name),
                    blob_store::size.eq(size),
                    blob_store::plan.eq(plan),
                    blob_store::created_at.eq(crate::db::now()),
                ))
                .execute(c)?;
            let mut buf = vec![0u8; CHUNK];
            let mut idx = 0i32;
            loop {
                let n = read_full(&mut file, &mut buf).map_err(crate::error::ApiError::internal)?;
                if n == 0 {
                    break;
                }
                diesel::insert_into(blob_chunks::table)
                    .values((
                        blob_chunks::name.eq(&name),
                        blob_chunks::idx.eq(idx),
                        blob_chunks::data.eq(buf[..n].to_vec()),
                    ))
                    .execute(c)?;
                idx += 1;
            }
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(()),
            // Stored meanwhile by another instance (a unique key violation).
            Err(e) => {
                let now: i64 = blob_store::table
                    .filter(blob_store::name.eq(&name_again))
                    .count()
                    .get_result(conn)
                    .map_err(db_error)?;
                if now > 0 { Ok(()) } else { Err(db_error(e)) }
            }
        }
    }

    /// Writes the stored file `name` to `out`, chunk by chunk; false when there is none.
    fn download(&self, name: &str, out: &mut impl Write) -> io::Result<Option<Sha256>> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let exists: i64 = with_conn(conn, |c| {
            blob_store::table
                .filter(blob_store::name.eq(name))
                .count()
                .get_result(c)
        })
        .map_err(db_error)?;
        if exists == 0 {
            return Ok(None);
        }
        let mut hasher = Sha256::new();
        let mut idx = 0i32;
        loop {
            // One chunk per query: a 50 MiB file never sits whole in memory.
            let chunk: Option<Vec<u8>> = with_conn(conn, |c| {
                blob_chunks::table
                    .filter(blob_chunks::name.eq(name))
                    .filter(blob_chunks::idx.eq(idx))
                    .select(blob_chunks::data)
                    .first(c)
                    .optional()
            })
            .map_err(db_error)?;
            let Some(chunk) = chunk else { break };
            hasher.update(&chunk);
            out.write_all(&chunk)?;
            idx += 1;
        }
        Ok(Some(hasher))
    }

    fn remote_plan(&self, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let plan: Option<Option<Vec<u8>>> = with_conn(conn, |c| {
            blob_store::table
                .filter(blob_store::name.eq(sha256))
                .select(blob_store::plan)
                .first(c)
                .optional()
        })
        .map_err(db_error)?;
        match plan.flatten() {
            Some(plan) => Ok(Some(plan)),
            None => self.adopt_legacy(sha256),
        }
    }

    /// Makes sure the local copy of `sha256` exists, fetching and checking it.
    fn ensure_cached(&self, sha256: &str) -> io::Result<()> {
        if self.cache.contains(sha256) {
            return Ok(());
        }
        let Some(plan) = self.remote_plan(sha256)? else {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such blob"));
        };
        let staged = self.cache.staging_path();
        let staged_plan = staged.with_extension("plan");
        let fetched = (|| {
            let mut out = io::BufWriter::new(fs::File::create(&staged)?);
            let hasher = self
                .download(sha256, &mut out)?
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such blob"))?;
            out.flush()?;
            if hex::encode(hasher.finalize()) != sha256 {
                tracing::error!(
                    sha256,
                    "a stored file's bytes do not match its hash; not served"
                );
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("blob {sha256} is damaged in the database"),
                ));
            }
            fs::write(&staged_plan, &plan)?;
            self.cache.adopt(&staged, &staged_plan, sha256)
        })();
        if fetched.is_err() {
            let _ = fs::remove_file(&staged);
            let _ = fs::remove_file(&staged_plan);
        }
        fetched?;
        self.trim_cache();
        Ok(())
    }

    /// Removes the oldest local copies while the copies exceed the bound. Files being
    /// read stay readable (an open file outlives its name).
    fn trim_cache(&self) {
        let Ok(mut entries) = self.cache.list() else {
            return;
        };
        let mut total: u64 = entries
            .iter()
            .filter_map(|(sha, _)| self.cache.local_path(sha).ok())
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        if total <= self.cache_limit {
            return;
        }
        entries.sort_by_key(|(_, at)| *at);
        for (sha, _) in entries {
            if total <= self.cache_limit {
                break;
            }
            let size = self
                .cache
                .local_path(&sha)
                .ok()
                .and_then(|p| fs::metadata(p).ok())
                .map_or(0, |m| m.len());
            if self.cache.remove(&sha).is_ok() {
                total = total.saturating_sub(size);
            }
        }
    }
}

/// Runs a diesel query on a pooled connection.
fn with_conn<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    f(conn)
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

impl BlobStore for DbBlobs {
    fn staging_path(&self) -> PathBuf {
        self.cache.staging_path()
    }

    fn adopt(&self, staged: &Path, staged_plan: &Path, sha256: &str) -> io::Result<()> {
        let plan = fs::read(staged_plan)?;
        self.upload(sha256, staged, Some(plan))?;
        self.cache.adopt(staged, staged_plan, sha256)?;
        self.trim_cache();
        Ok(())
    }

    fn open(&self, sha256: &str) -> io::Result<fs::File> {
        self.ensure_cached(sha256)?;
        self.cache.open(sha256)
    }

    fn plan(&self, sha256: &str) -> io::Result<Vec<u8>> {
        if self.cache.contains(sha256) {
            return self.cache.plan(sha256);
        }
        self.remote_plan(sha256)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such blob"))
    }

    fn local_path(&self, sha256: &str) -> io::Result<PathBuf> {
        self.ensure_cached(sha256)?;
        self.cache.local_path(sha256)
    }

    fn replace_plan(&self, sha256: &str, staged_plan: &Path) -> io::Result<()> {
        let plan = fs::read(staged_plan)?;
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        with_conn(conn, |c| {
            diesel::update(blob_store::table.filter(blob_store::name.eq(sha256)))
                .set(blob_store::plan.eq(Some(plan)))
                .execute(c)
        })
        .map_err(db_error)?;
        if self.cache.contains(sha256) {
            self.cache.replace_plan(sha256, staged_plan)
        } else {
            fs::remove_file(staged_plan)
        }
    }

    fn contains(&self, sha256: &str) -> bool {
        self.cache.contains(sha256) || matches!(self.remote_plan(sha256), Ok(Some(_)))
    }

    fn list(&self) -> io::Result<Vec<(String, SystemTime)>> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let rows: Vec<(String, chrono::NaiveDateTime)> = with_conn(conn, |c| {
            blob_store::table
                .filter(blob_store::plan.is_not_null())
                .select((blob_store::name, blob_store::created_at))
                .load(c)
        })
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(name, at)| (name, SystemTime::from(at.and_utc())))
            .collect())
    }

    fn keep_original(&self, sha256: &str, staged: &Path) -> io::Result<()> {
        self.upload(&original_name(sha256), staged, None)?;
        self.cache.keep_original(sha256, staged)
    }

    fn original(&self, sha256: &str) -> io::Result<Option<fs::File>> {
        if let Some(file) = self.cache.original(sha256)? {
            return Ok(Some(file));
        }
        // The cached copy is needed for the original to sit beside.
        self.ensure_cached(sha256)?;
        let staged = self.cache.staging_path();
        let mut out = io::BufWriter::new(fs::File::create(&staged)?);
        let found = self.download(&original_name(sha256), &mut out)?;
        out.flush()?;
        drop(out);
        if found.is_none() {
            fs::remove_file(&staged)?;
            return Ok(None);
        }
        self.cache.keep_original(sha256, &staged)?;
        self.cache.original(sha256)
    }

    fn remove(&self, sha256: &str) -> io::Result<()> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let names = [sha256.to_owned(), original_name(sha256)];
        with_conn(conn, |c| {
            diesel::delete(blob_store::table.filter(blob_store::name.eq_any(&names))).execute(c)
        })
        .map_err(db_error)?;
        self.cache.remove(sha256)
    }

    fn clear_staging(&self, older_than: Duration) -> io::Result<usize> {
        self.cache.clear_staging(older_than)
    }
}
