//! The backup archive: a tar file whose last entry, `manifest.json`, lists every other entry
//! with its size and SHA-256. Written to `<out>.partial` and renamed once complete and
//! synced, so a failed backup (a full disk) never leaves a file that looks complete; read
//! twice on restore, once to check every hash before anything is written.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT: &str = "ecabinet-backup";
pub const VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";

/// What an archive holds, written last.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: String,
    /// `sqlite` or `postgres`: which database the archive restores into.
    pub backend: String,
    /// The migrations the database had run, to refuse an archive newer than the binary.
    pub migrations: Vec<String>,
    /// PostgreSQL tables: their columns in the order of their rows, and the row count.
    pub tables: BTreeMap<String, TableEntry>,
    /// Every other entry: path → size and SHA-256.
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub size: u64,
    pub sha256: String,
}

/// An archive being written.
pub struct Writer {
    tar: tar::Builder<BufWriter<File>>,
    partial: PathBuf,
    out: PathBuf,
    files: BTreeMap<String, FileEntry>,
}

/// A `Read` that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

impl Writer {
    /// Starts `<out>.partial`, private to its owner (the archive holds the server's keys).
    pub fn create(out: &Path) -> anyhow::Result<Self> {
        if out.exists() {
            bail!("{} exists; choose another name", out.display());
        }
        let partial = PathBuf::from(format!("{}.partial", out.display()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        Ok(Self {
            tar: tar::Builder::new(BufWriter::new(file)),
            partial,
            out: out.to_owned(),
            files: BTreeMap::new(),
        })
    }

    /// Adds an entry of `size` bytes read from `data`, hashing it on the way.
    pub fn add(&mut self, path: &str, size: u64, data: impl Read) -> anyhow::Result<()> {
        let mut reader = Hashing {
            inner: data.take(size),
            hasher: Sha256::new(),
            size: 0,
        };
        self.tar
            .append_data(&mut header(size), path, &mut reader)
            .with_context(|| format!("writing {path} into the archive"))?;
        if reader.size != size {
            bail!("{path} changed size while it was copied");
        }
        self.files.insert(
            path.to_owned(),
            FileEntry {
                size,
                sha256: hex::encode(reader.hasher.finalize()),
            },
        );
        Ok(())
    }

    /// Adds a file from disk.
    pub fn add_file(&mut self, path: &str, source: &Path) -> anyhow::Result<()> {
        let file =
            File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
        let size = file.metadata()?.len();
        self.add(path, size, file)
    }

    /// Writes the manifest, syncs and gives the archive its name.
    pub fn finish(mut self, mut manifest: Manifest) -> anyhow::Result<PathBuf> {
        manifest.files = std::mem::take(&mut self.files);
        let json = serde_json::to_vec_pretty(&manifest)?;
        self.tar
            .append_data(&mut header(json.len() as u64), MANIFEST, json.as_slice())?;
        let mut inner = self.tar.into_inner()?;
        inner.flush()?;
        let file = inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
            .with_context(|| format!("syncing {}", self.partial.display()))?;
        std::fs::rename(&self.partial, &self.out)?;
        Ok(self.out.clone())
    }

    /// Removes the unfinished archive after a failure.
    pub fn abandon(self) {
        let partial = self.partial.clone();
        drop(self.tar);
        let _ = std::fs::remove_file(partial);
    }
}

/// Reads the whole archive, checking every entry against the manifest, and returns the
/// manifest. Refuses a truncated archive (no manifest, or a short entry), an altered one (a
/// hash differs), and entries the manifest does not list.
pub fn verify(path: &Path) -> anyhow::Result<Manifest> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let mut seen: BTreeMap<String, FileEntry> = BTreeMap::new();
    let mut manifest = None;
    for entry in archive.entries().context("not a backup archive")? {
        let mut entry = entry.context("the archive is damaged or truncated")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if manifest.is_some() {
            bail!("the archive has entries after its manifest");
        }
        if name == MANIFEST {
            let mut text = Vec::new();
            entry
                .read_to_end(&mut text)
                .context("the archive is truncated")?;
            if text.len() as u64 != entry.size() {
                bail!("the archive is truncated in its manifest");
            }
            let parsed: Manifest =
                serde_json::from_slice(&text).context("the archive's manifest is not valid")?;
            manifest = Some(parsed);
            continue;
        }
        let expected = entry.size();
        let mut reader = Hashing {
            inner: &mut entry,
            hasher: Sha256::new(),
            size: 0,
        };
        io::copy(&mut reader, &mut io::sink()).context("the archive is truncated")?;
        if reader.size != expected {
            bail!("the archive is truncated in {name}");
        }
        seen.insert(
            name,
            FileEntry {
                size: reader.size,
                sha256: hex::encode(reader.hasher.finalize()),
            },
        );
    }
    let Some(manifest) = manifest else {
        bail!("the archive has no manifest: it is truncated or not an ecabinet backup");
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        bail!(
            "not an ecabinet backup of a version this binary reads ({} {})",
            manifest.format,
            manifest.version
        );
    }
    if seen != manifest.files {
        let differing = manifest
            .files
            .iter()
            .find(|(k, v)| seen.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .or_else(|| {
                seen.keys()
                    .find(|k| !manifest.files.contains_key(*k))
                    .cloned()
            })
            .unwrap_or_default();
        bail!("the archive was altered or damaged: {differing} does not match its manifest");
    }
    Ok(manifest)
}

/// Calls `each` with every entry but the manifest, in archive order.
pub fn for_each_entry(
    path: &Path,
    mut each: impl FnMut(&str, &mut dyn Read) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name == MANIFEST {
            continue;
        }
        each(&name, &mut entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            created_at: "2026-12-08T00:00:00Z".into(),
            backend: "sqlite".into(),
            migrations: vec![],
            tables: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    fn sample(dir: &Path) -> PathBuf {
        let mut w = Writer::create(&dir.join("a.tar")).unwrap();
        w.add("database/one", 5, &b"hello"[..]).unwrap();
        w.add("blobs/two", 3, &b"abc"[..]).unwrap();
        w.finish(manifest()).unwrap()
    }

    #[test]
    fn an_archive_reads_back_with_its_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let m = verify(&path).unwrap();
        assert_eq!(m.files.len(), 2);
        assert!(!dir.path().join("a.tar.partial").exists());
        let mut names = Vec::new();
        for_each_entry(&path, |name, r| {
            let mut s = String::new();
            r.read_to_string(&mut s)?;
            names.push(format!("{name}={s}"));
            Ok(())
        })
        .unwrap();
        assert_eq!(names, ["database/one=hello", "blobs/two=abc"]);
    }

    #[test]
    fn a_truncated_archive_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        for cut in [bytes.len() / 2, 700, 100] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(verify(&path).is_err(), "cut at {cut} accepted");
        }
    }

    #[test]
    fn an_altered_archive_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(5).position(|w| w == b"hello").unwrap();
        bytes[at] = b'j';
        std::fs::write(&path, &bytes).unwrap();
        let err = format!("{:#}", verify(&path).unwrap_err());
        assert!(err.contains("database/one"), "{err}");
    }

    /// A source that fails halfway, as a disk that fills up or a file that vanishes would.
    struct Failing(usize);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("No space left on device"));
            }
            let n = buf.len().min(self.0);
            buf[..n].fill(b'x');
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_failed_backup_leaves_nothing_that_looks_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.tar");
        let mut w = Writer::create(&out).unwrap();
        w.add("database/one", 5, &b"hello"[..]).unwrap();
        assert!(w.add("blobs/two", 1 << 20, Failing(4096)).is_err());
        w.abandon();
        assert!(!out.exists());
        assert!(!dir.path().join("a.tar.partial").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_existing_archive_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        assert!(Writer::create(&path).is_err());
    }
}
