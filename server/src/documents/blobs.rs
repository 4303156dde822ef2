//! Where document bytes live: one small interface, content-addressed by SHA-256, so the same
//! bytes are stored once however often they are uploaded. `LocalBlobs` keeps them under
//! `<data>/blobs/<2 hex>/<sha256>`, with the stamp plan beside each as `<sha256>.plan` (and,
//! for a decrypted copy of an encrypted upload, the upload as `<sha256>.original`).
//!
//! A blob is only ever referenced by the database after it is in place, so a crash leaves at
//! worst an unreferenced file; `sweep` removes those and abandoned uploads.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Storage of immutable, content-addressed files. A store shared by several instances (an
/// S3-compatible bucket, PostgreSQL large objects) implements the same calls, keeping a local
/// copy for `open` so downloads still stream from disk.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// A fresh path in the staging area for an upload in progress.
    fn staging_path(&self) -> PathBuf;
    /// Moves a staged file (and its plan) into the store under its hash; keeps the copy
    /// already stored when there is one.
    fn adopt(&self, staged: &Path, staged_plan: &Path, sha256: &str) -> io::Result<()>;
    /// Opens a stored file for reading.
    fn open(&self, sha256: &str) -> io::Result<fs::File>;
    /// The stamp plan written when the file was checked.
    fn plan(&self, sha256: &str) -> io::Result<Vec<u8>>;
    /// Where a stored file is on local disk (a shared store reads from its local copy).
    fn local_path(&self, sha256: &str) -> io::Result<PathBuf>;
    /// Puts a freshly made plan in place of a stored file's old one (plans written by an
    /// older version lack what newer features need).
    fn replace_plan(&self, sha256: &str, staged_plan: &Path) -> io::Result<()>;
    /// Whether the file and its plan are present.
    fn contains(&self, sha256: &str) -> bool;
    /// Every stored hash, with the time it was stored.
    fn list(&self) -> io::Result<Vec<(String, SystemTime)>>;
    /// Keeps the bytes a stored file was made from (an encrypted upload, of which the stored
    /// file is the decrypted copy), moving the staged original beside it.
    fn keep_original(&self, sha256: &str, staged: &Path) -> io::Result<()>;
    /// The bytes a stored file was made from, when they differ from it.
    fn original(&self, sha256: &str) -> io::Result<Option<fs::File>>;
    /// Removes a file, its plan and its original.
    fn remove(&self, sha256: &str) -> io::Result<()>;
    /// Removes every staged upload older than `older_than`.
    fn clear_staging(&self, older_than: Duration) -> io::Result<usize>;
}

/// Where the documents' files are kept, as `--blobs` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Files in a directory of this machine.
    Dir(PathBuf),
    /// Files in the PostgreSQL database itself.
    Database,
}

impl Location {
    /// Parses `--blobs`: `dir:PATH`, `postgres`; unset means `dir:<data>/blobs` on SQLite
    /// and `postgres` on PostgreSQL. `s3://` is named by the contract but not built.
    pub fn parse(setting: Option<&str>, data: &Path, on_postgres: bool) -> Result<Self, String> {
        match setting.map(str::trim) {
            None | Some("") if on_postgres => Ok(Self::Database),
            None | Some("") => Ok(Self::Dir(data.join("blobs"))),
            Some("postgres") if on_postgres => Ok(Self::Database),
            Some("postgres") => Err("--blobs postgres needs a PostgreSQL database".into()),
            Some(s) if s.starts_with("dir:") && s.len() > 4 => {
                Ok(Self::Dir(PathBuf::from(&s[4..])))
            }
            Some(s) if s.starts_with("s3://") => Err(
                "--blobs s3://… is not available in this build; use postgres or dir:PATH".into(),
            ),
            Some(s) => Err(format!("--blobs {s}: expected dir:PATH or postgres")),
        }
    }
}

#[derive(Debug)]
pub struct LocalBlobs {
    root: PathBuf,
    staging: PathBuf,
}

/// Whether `s` is a lowercase SHA-256 hex digest, the only names the store accepts.
fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl LocalBlobs {
    pub fn open_dir(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let staging = root.join("staging");
        fs::create_dir_all(&staging)?;
        Ok(Self { root, staging })
    }

    fn path(&self, sha256: &str) -> io::Result<PathBuf> {
        if !is_digest(sha256) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a digest"));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    fn plan_path(&self, sha256: &str) -> io::Result<PathBuf> {
        Ok(self.path(sha256)?.with_extension("plan"))
    }

    fn original_path(&self, sha256: &str) -> io::Result<PathBuf> {
        Ok(self.path(sha256)?.with_extension("original"))
    }
}

impl BlobStore for LocalBlobs {
    fn staging_path(&self) -> PathBuf {
        self.staging.join(uuid::Uuid::new_v4().to_string())
    }

    fn adopt(&self, staged: &Path, staged_plan: &Path, sha256: &str) -> io::Result<()> {
        let target = self.path(sha256)?;
        let plan = self.plan_path(sha256)?;
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        // The plan first: a file present means a usable blob.
        fs::rename(staged_plan, &plan)?;
        if target.exists() {
            fs::remove_file(staged)?;
        } else {
            // Durable before the database refers to it.
            fs::File::open(staged)?.sync_all()?;
            fs::rename(staged, &target)?;
        }
        Ok(())
    }

    fn open(&self, sha256: &str) -> io::Result<fs::File> {
        fs::File::open(self.path(sha256)?)
    }

    fn plan(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.plan_path(sha256)?)
    }

    fn local_path(&self, sha256: &str) -> io::Result<PathBuf> {
        self.path(sha256)
    }

    fn replace_plan(&self, sha256: &str, staged_plan: &Path) -> io::Result<()> {
        fs::rename(staged_plan, self.plan_path(sha256)?)
    }

    fn contains(&self, sha256: &str) -> bool {
        matches!((self.path(sha256), self.plan_path(sha256)), (Ok(f), Ok(p)) if f.is_file() && p.is_file())
    }

    fn list(&self) -> io::Result<Vec<(String, SystemTime)>> {
        let mut out = Vec::new();
        for dir in fs::read_dir(&self.root)? {
            let dir = dir?;
            if dir.file_name() == "staging" || !dir.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(dir.path())? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_digest(&name) {
                    out.push((name, entry.metadata()?.modified()?));
                }
            }
        }
        Ok(out)
    }

    fn keep_original(&self, sha256: &str, staged: &Path) -> io::Result<()> {
        let target = self.original_path(sha256)?;
        if target.exists() {
            return fs::remove_file(staged);
        }
        fs::File::open(staged)?.sync_all()?;
        fs::rename(staged, target)
    }

    fn original(&self, sha256: &str) -> io::Result<Option<fs::File>> {
        match fs::File::open(self.original_path(sha256)?) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remove(&self, sha256: &str) -> io::Result<()> {
        for path in [
            self.path(sha256)?,
            self.plan_path(sha256)?,
            self.original_path(sha256)?,
        ] {
            match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn clear_staging(&self, older_than: Duration) -> io::Result<usize> {
        let mut removed = 0;
        let now = SystemTime::now();
        for entry in fs::read_dir(&self.staging)? {
            let entry = entry?;
            let age = now
                .duration_since(entry.metadata()?.modified()?)
                .unwrap_or_default();
            if age >= older_than {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn a_file_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::open_dir(dir.path()).unwrap();
        for _ in 0..2 {
            let staged = store.staging_path();
            let plan = staged.with_extension("plan");
            fs::write(&staged, b"bytes").unwrap();
            fs::write(&plan, b"{}").unwrap();
            store.adopt(&staged, &plan, SHA).unwrap();
            assert!(!staged.exists());
        }
        assert!(store.contains(SHA));
        assert_eq!(store.list().unwrap().len(), 1);
        assert_eq!(store.clear_staging(Duration::ZERO).unwrap(), 0);
        store.remove(SHA).unwrap();
        assert!(!store.contains(SHA));
    }

    #[test]
    fn blob_locations_parse() {
        let data = Path::new("/d");
        assert_eq!(
            Location::parse(None, data, false),
            Ok(Location::Dir(PathBuf::from("/d/blobs")))
        );
        assert_eq!(Location::parse(None, data, true), Ok(Location::Database));
        assert_eq!(
            Location::parse(Some("dir:/srv/blobs"), data, true),
            Ok(Location::Dir(PathBuf::from("/srv/blobs")))
        );
        assert!(Location::parse(Some("postgres"), data, false).is_err());
        assert!(Location::parse(Some("s3://bucket"), data, true).is_err());
        assert!(Location::parse(Some("ftp://x"), data, true).is_err());
        assert!(Location::parse(Some("dir:"), data, true).is_err());
    }

    #[test]
    fn names_that_are_not_digests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::open_dir(dir.path()).unwrap();
        assert!(store.open("../../etc/passwd").is_err());
        assert!(store.open(&SHA.to_uppercase()).is_err());
    }
}
