//! Checking an uploaded file in a child process: the same binary run as `ecabinet pdf-check`,
//! with its address space and CPU time capped by rlimits it sets on itself before reading a
//! byte, and killed by the server when the wall-clock limit passes. Whatever the child does —
//! refuse, crash, run out of memory, hang — the server gets an answer and stays unharmed.
//!
//! The child writes the stamp plan next to the file and prints one JSON line: the inspection
//! or the rejection.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use super::pdf::{self, Inspection, Limits, Rejection};
use crate::config::DocumentSettings;
use crate::error::ApiError;

/// The arguments of `ecabinet pdf-check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub max_pages: usize,
    #[arg(long)]
    pub max_objects: usize,
    #[arg(long)]
    pub max_decompressed_bytes: usize,
    /// Address-space limit the child sets on itself, in bytes.
    #[arg(long)]
    pub memory_bytes: u64,
    /// CPU seconds the child may use.
    #[arg(long)]
    pub cpu_secs: u64,
    /// Where to write the stamp plan (JSON).
    #[arg(long)]
    pub plan: PathBuf,
    /// Build a board book from this input (JSON, `book::BookInput`) into `file` first, then
    /// check it: the book's PDFs are parsed here, within the limits, not in the server.
    #[arg(long)]
    pub book: Option<PathBuf>,
    /// The file to check.
    pub file: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Verdict {
    Accepted(Inspection),
    Rejected(Rejection),
}

/// The child's `main`: prints the verdict and exits 0 when it could decide, non-zero when it
/// could not even start.
pub fn child_main(args: &CheckArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    // Limits first: nothing below may allocate beyond them or loop forever.
    let limited = rlimit::setrlimit(rlimit::Resource::AS, args.memory_bytes, args.memory_bytes)
        .and_then(|()| rlimit::setrlimit(rlimit::Resource::CPU, args.cpu_secs, args.cpu_secs + 1));
    if let Err(err) = limited {
        eprintln!("pdf-check: cannot set limits: {err}");
        return ExitCode::from(3);
    }
    let limits = Limits {
        max_pages: args.max_pages,
        max_objects: args.max_objects,
        max_decompressed_bytes: args.max_decompressed_bytes,
    };
    if let Some(book) = &args.book {
        let built = std::fs::read(book)
            .map_err(|e| e.to_string())
            .and_then(|json| {
                serde_json::from_slice::<super::book::BookInput>(&json).map_err(|e| e.to_string())
            })
            .and_then(|input| {
                super::book::compose_input(&input, &limits).map_err(|e| format!("{e:#}"))
            })
            .and_then(|bytes| std::fs::write(&args.file, bytes).map_err(|e| e.to_string()));
        if let Err(err) = built {
            eprintln!("pdf-check: cannot build the board book: {err}");
            return ExitCode::from(4);
        }
    }
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("pdf-check: cannot read {}: {err}", args.file.display());
            return ExitCode::from(3);
        }
    };
    // A file encrypted with an empty user password is checked (and later served) as its
    // decrypted copy, written beside it; the original's bytes are kept as uploaded.
    let (bytes, decrypted) = match pdf::decrypted_copy(&bytes, &limits) {
        Ok(Some(copy)) => {
            if let Err(err) = std::fs::write(decrypted_path(&args.file), &copy) {
                eprintln!("pdf-check: cannot write the decrypted copy: {err}");
                return ExitCode::from(3);
            }
            (copy, true)
        }
        Ok(None) => (bytes, false),
        Err(rejection) => {
            return match serde_json::to_string(&Verdict::Rejected(rejection)) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(_) => ExitCode::from(3),
            };
        }
    };
    let verdict = match pdf::inspect(&bytes, &limits) {
        Ok((mut inspection, plan)) => {
            inspection.decrypted = decrypted;
            let written = serde_json::to_vec(&plan)
                .map_err(std::io::Error::other)
                .and_then(|json| std::fs::write(&args.plan, json));
            if let Err(err) = written {
                eprintln!("pdf-check: cannot write the plan: {err}");
                return ExitCode::from(3);
            }
            Verdict::Accepted(inspection)
        }
        Err(rejection) => Verdict::Rejected(rejection),
    };
    match serde_json::to_string(&verdict) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(_) => ExitCode::from(3),
    }
}

/// Where the checker writes the decrypted copy of an encrypted `file`.
pub fn decrypted_path(file: &Path) -> PathBuf {
    file.with_extension("decrypted")
}

/// Runs the check on `file` in a child process, writing its plan to `plan`.
pub async fn check(
    settings: &DocumentSettings,
    file: &Path,
    plan: &Path,
) -> Result<Result<Inspection, Rejection>, ApiError> {
    run(settings, None, file, plan).await
}

/// Builds the board book described by `book` (a `book::BookInput` file) into `file` in the
/// child process, and checks it as an upload; `Err(Hostile)` also when it could not be built.
pub async fn build_book(
    settings: &DocumentSettings,
    book: &Path,
    file: &Path,
    plan: &Path,
) -> Result<Result<Inspection, Rejection>, ApiError> {
    run(settings, Some(book), file, plan).await
}

async fn run(
    settings: &DocumentSettings,
    book: Option<&Path>,
    file: &Path,
    plan: &Path,
) -> Result<Result<Inspection, Rejection>, ApiError> {
    let (program, prefix) = match &settings.checker {
        Some(command) if !command.is_empty() => (PathBuf::from(&command[0]), command[1..].to_vec()),
        _ => (
            std::env::current_exe().map_err(ApiError::internal)?,
            vec!["pdf-check".to_owned()],
        ),
    };
    let mut child = tokio::process::Command::new(program)
        .args(prefix)
        .arg("--max-pages")
        .arg(settings.max_pages.to_string())
        .arg("--max-objects")
        .arg(settings.max_objects.to_string())
        .arg("--max-decompressed-bytes")
        .arg(settings.max_decompressed_bytes.to_string())
        .arg("--memory-bytes")
        .arg(settings.check_memory_bytes.to_string())
        .arg("--cpu-secs")
        .arg(settings.check_timeout_ms.div_ceil(1000).max(1).to_string())
        .arg("--plan")
        .arg(plan)
        .args(
            book.map(|b| [std::ffi::OsStr::new("--book"), b.as_os_str()])
                .into_iter()
                .flatten(),
        )
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(ApiError::internal)?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("child without stdout")))?;
    let run = async {
        let mut out = Vec::new();
        // A verdict is one short line; more is not a verdict.
        (&mut stdout).take(64 * 1024).read_to_end(&mut out).await?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out))
    };
    let limit = Duration::from_millis(settings.check_timeout_ms);
    let Ok(result) = tokio::time::timeout(limit, run).await else {
        tracing::warn!(file = %file.display(), "pdf check timed out; killed");
        return Ok(Err(Rejection::Hostile));
    };
    let (status, out) = result.map_err(ApiError::internal)?;
    if !status.success() {
        tracing::warn!(file = %file.display(), ?status, "pdf check died");
        return Ok(Err(Rejection::Hostile));
    }
    match serde_json::from_slice::<Verdict>(&out) {
        Ok(Verdict::Accepted(inspection)) => Ok(Ok(inspection)),
        Ok(Verdict::Rejected(rejection)) => Ok(Err(rejection)),
        Err(err) => {
            tracing::warn!(%err, "pdf check answered nonsense");
            Ok(Err(Rejection::Hostile))
        }
    }
}
