//! The file side of documents, shared by every request: taking an upload into the blob store
//! (received, deduplicated, checked), and preparing what a download sends (the stored file,
//! and the reader's stamp tail when the meeting wants one). Plans and tails are kept in small
//! in-memory caches; board books in `<data>/cache/board-books`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{HttpRequest, web};
use sha2::{Digest, Sha256};

use super::blobs::BlobStore;
use super::pdf::StampPlan;
use super::serve::Outgoing;
use super::stamp::PageAdditions;
use super::upload::{self, Staged};
use super::{StoredFile, book, stamp, validate};
use crate::config::DocumentSettings;
use crate::db::Db;
use crate::error::ApiError;

#[derive(Debug)]
pub struct Files {
    pub blobs: Arc<dyn BlobStore>,
    settings: DocumentSettings,
    books: PathBuf,
    plans: quick_cache::sync::Cache<String, Arc<StampPlan>>,
    tails: quick_cache::sync::Cache<(String, String), Arc<Vec<u8>>>,
    /// One lock per board book being built: concurrent requests for the same book wait for
    /// the one build instead of starting their own.
    book_gates: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Board books built at once (`documents.board_book_builds`).
    book_builds: tokio::sync::Semaphore,
    /// Books found too large, by key: asked again, they are refused without a build.
    too_large: quick_cache::sync::Cache<String, ()>,
    /// Board book builds run since start (tests read it).
    books_built: std::sync::atomic::AtomicU64,
}

impl Files {
    pub fn open(
        data: &std::path::Path,
        settings: DocumentSettings,
        blobs: Arc<dyn BlobStore>,
    ) -> anyhow::Result<Self> {
        let books = data.join("cache").join("board-books");
        std::fs::create_dir_all(&books)?;
        Ok(Self {
            blobs,
            books,
            plans: quick_cache::sync::Cache::new(settings.cached_plans),
            tails: quick_cache::sync::Cache::new(settings.cached_stamps),
            book_gates: std::sync::Mutex::new(HashMap::new()),
            book_builds: tokio::sync::Semaphore::new(settings.board_book_builds.max(1)),
            too_large: quick_cache::sync::Cache::new(256),
            books_built: std::sync::atomic::AtomicU64::new(0),
            settings,
        })
    }

    pub fn settings(&self) -> &DocumentSettings {
        &self.settings
    }

    /// Board book builds run since start, refused ones included.
    pub fn books_built(&self) -> u64 {
        self.books_built.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Receives an upload, checks it unless the same bytes were checked before, and puts it in
    /// the store. Nothing refers to it yet; the caller records the version.
    pub async fn ingest(
        &self,
        db: &Db,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<StoredFile, ApiError> {
        let staged = Staged::new(self.blobs.staging_path());
        let received =
            upload::receive(req, payload, &staged, self.settings.max_upload_bytes).await?;
        self.store(db, staged, received.sha256, received.bytes)
            .await
    }

    /// Stores a file made by the server itself (demo data), checked like an upload.
    pub async fn ingest_bytes(&self, db: &Db, bytes: Vec<u8>) -> Result<StoredFile, ApiError> {
        let staged = Staged::new(self.blobs.staging_path());
        let sha = hex::encode(Sha256::digest(&bytes));
        let len = bytes.len() as u64;
        tokio::fs::write(staged.path(), bytes)
            .await
            .map_err(ApiError::internal)?;
        self.store(db, staged, sha, len).await
    }

    async fn store(
        &self,
        db: &Db,
        staged: Staged,
        sha256: String,
        bytes: u64,
    ) -> Result<StoredFile, ApiError> {
        let sha = sha256.clone();
        let known = db.read(move |c| super::known_blob(c, &sha)).await?;
        if let Some(file) = known
            && self.blobs.contains(&file.sha256)
        {
            return Ok(file);
        }
        let plan_path = staged.path().with_extension("plan");
        let inspection = validate::check(&self.settings, staged.path(), &plan_path)
            .await?
            .map_err(|rejection| ApiError::InvalidPdf {
                reason: rejection.reason(),
                detail: rejection.to_string(),
            })?;
        let blobs = self.blobs.clone();
        let path = staged.path().to_owned();
        let decrypted = inspection.decrypted;
        let (sha256, bytes) = web::block(move || {
            if !decrypted {
                blobs.adopt(&path, &plan_path, &sha256)?;
                return Ok((sha256, bytes));
            }
            // The decrypted copy is the version (served, stamped, annotated); the bytes as
            // uploaded stay beside it, for the signatures they carry.
            let copy = validate::decrypted_path(&path);
            let content = std::fs::read(&copy)?;
            let copy_sha = hex::encode(Sha256::digest(&content));
            blobs.adopt(&copy, &plan_path, &copy_sha)?;
            blobs.keep_original(&copy_sha, &path)?;
            Ok::<_, std::io::Error>((copy_sha, content.len() as u64))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        staged.moved();
        Ok(StoredFile {
            sha256,
            bytes: i64::try_from(bytes).map_err(ApiError::internal)?,
            pages: i32::try_from(inspection.pages).map_err(ApiError::internal)?,
        })
    }

    async fn plan_of(
        &self,
        key: &str,
        read: impl FnOnce() -> std::io::Result<Vec<u8>> + Send + 'static,
    ) -> Result<Arc<StampPlan>, ApiError> {
        if let Some(plan) = self.plans.get(key) {
            return Ok(plan);
        }
        let plan: StampPlan = web::block(move || {
            let bytes = read()?;
            serde_json::from_slice::<StampPlan>(&bytes).map_err(std::io::Error::other)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        let plan = Arc::new(plan);
        self.plans.insert(key.to_owned(), plan.clone());
        Ok(plan)
    }

    async fn tail_for(
        &self,
        key: &str,
        plan: Arc<StampPlan>,
        text: String,
    ) -> Result<Arc<Vec<u8>>, ApiError> {
        let cache_key = (key.to_owned(), text.clone());
        if let Some(tail) = self.tails.get(&cache_key) {
            return Ok(tail);
        }
        let tail = web::block(move || stamp::tail(&plan, &text))
            .await
            .map_err(ApiError::internal)??;
        let tail = Arc::new(tail);
        self.tails.insert(cache_key, tail.clone());
        Ok(tail)
    }

    /// The plan of a stored file with its pages listed; a plan written before pages were
    /// listed is made again by the checking child (the server never parses the file itself).
    async fn full_plan(&self, sha256: &str) -> Result<Arc<StampPlan>, ApiError> {
        let blobs = self.blobs.clone();
        let sha = sha256.to_owned();
        let plan = self.plan_of(sha256, move || blobs.plan(&sha)).await?;
        if !plan.pages.is_empty() {
            return Ok(plan);
        }
        let file = self.blobs.local_path(sha256).map_err(ApiError::internal)?;
        let staged = Staged::new(self.blobs.staging_path().with_extension("plan"));
        validate::check(&self.settings, &file, staged.path())
            .await?
            .map_err(|r| {
                ApiError::internal(anyhow::anyhow!("stored file refused on re-planning: {r}"))
            })?;
        self.blobs
            .replace_plan(sha256, staged.path())
            .map_err(ApiError::internal)?;
        staged.moved();
        self.plans.remove(sha256);
        let blobs = self.blobs.clone();
        let sha = sha256.to_owned();
        self.plan_of(sha256, move || blobs.plan(&sha)).await
    }

    /// A stored file with annotations added by `build` (from the file's plan), stamped with
    /// `stamp_text` when given. With nothing to add it is the plain (or stamped) download.
    pub async fn annotated<F>(
        &self,
        sha256: &str,
        stamp_text: Option<String>,
        filename: String,
        build: F,
    ) -> Result<Outgoing, ApiError>
    where
        F: FnOnce(&StampPlan) -> Result<PageAdditions, ApiError> + Send + 'static,
    {
        let plan = self.full_plan(sha256).await?;
        let tail = additions_tail(plan, stamp_text.clone(), build).await?;
        match tail {
            None => self.outgoing(sha256, stamp_text, filename).await,
            Some(tail) => {
                let blobs = self.blobs.clone();
                let sha = sha256.to_owned();
                let file = web::block(move || blobs.open(&sha))
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(ApiError::internal)?;
                self.finish(file, sha256, Some(Arc::new(tail)), filename)
            }
        }
    }

    /// What to send for a stored file, stamped with `stamp_text` when given.
    pub async fn outgoing(
        &self,
        sha256: &str,
        stamp_text: Option<String>,
        filename: String,
    ) -> Result<Outgoing, ApiError> {
        let blobs = self.blobs.clone();
        let sha = sha256.to_owned();
        let file = web::block(move || blobs.open(&sha))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        let tail = match stamp_text {
            Some(text) => {
                let blobs = self.blobs.clone();
                let sha = sha256.to_owned();
                let plan = self.plan_of(sha256, move || blobs.plan(&sha)).await?;
                Some(self.tail_for(sha256, plan, text).await?)
            }
            None => None,
        };
        self.finish(file, sha256, tail, filename)
    }

    fn finish(
        &self,
        file: std::fs::File,
        key: &str,
        tail: Option<Arc<Vec<u8>>>,
        filename: String,
    ) -> Result<Outgoing, ApiError> {
        let file_len = file.metadata().map_err(ApiError::internal)?.len();
        let etag = match &tail {
            Some(tail) => format!(
                "\"{key}-{}\"",
                &hex::encode(Sha256::digest(tail.as_slice()))[..16]
            ),
            None => format!("\"{key}\""),
        };
        Ok(Outgoing {
            file,
            file_len,
            tail,
            etag,
            filename,
        })
    }

    /// Builds the board book for `plan` unless cached; its key and the paths of the file and
    /// its plan. The book is composed and checked by the limited child (`validate::build_book`),
    /// never in the server; concurrent requests for one book share its build, and at most
    /// `documents.board_book_builds` run at once. A book over `documents.board_book_max_pages`
    /// is 422 `board_book_too_large`, remembered so that asking again costs nothing.
    async fn book_file(&self, plan: book::Plan) -> Result<(String, PathBuf, PathBuf), ApiError> {
        let key = format!("book-{}", plan.cache_key()?);
        let pdf_path = self.books.join(format!("{key}.pdf"));
        let plan_path = self.books.join(format!("{key}.plan"));
        let built = || pdf_path.is_file() && plan_path.is_file();
        let max = self.settings.board_book_max_pages;
        let too_large = || {
            ApiError::invalid(
                "board_book_too_large",
                format!(
                    "the meeting's documents make a book of more than {max} pages; download them one by one"
                ),
            )
        };
        if built() {
            return Ok((key, pdf_path, plan_path));
        }
        if self.too_large.get(&key).is_some()
            || plan.document_pages() > i64::try_from(max).unwrap_or(i64::MAX)
        {
            return Err(too_large());
        }
        let gate = {
            let mut gates = self
                .book_gates
                .lock()
                .map_err(|_| ApiError::internal(anyhow::anyhow!("board book gates poisoned")))?;
            gates.entry(key.clone()).or_default().clone()
        };
        let outcome = async {
            let _turn = gate.lock().await;
            // Built, or refused, while this request waited for its turn.
            if built() {
                return Ok(());
            }
            if self.too_large.get(&key).is_some() {
                return Err(too_large());
            }
            let _permit = self
                .book_builds
                .acquire()
                .await
                .map_err(ApiError::internal)?;
            self.build_book(&plan, &pdf_path, &plan_path).await
        }
        .await;
        if let Ok(mut gates) = self.book_gates.lock()
            && gates.get(&key).is_some_and(|g| Arc::ptr_eq(g, &gate))
            && Arc::strong_count(&gate) <= 2
        {
            gates.remove(&key);
        }
        match outcome {
            Ok(()) => Ok((key, pdf_path, plan_path)),
            Err(ApiError::Invalid {
                code: "board_book_too_large",
                ..
            }) => {
                self.too_large.insert(key, ());
                Err(too_large())
            }
            Err(e) => Err(e),
        }
    }

    /// Composes and checks one board book in the child and moves it into the cache.
    async fn build_book(
        &self,
        plan: &book::Plan,
        pdf_path: &std::path::Path,
        plan_path: &std::path::Path,
    ) -> Result<(), ApiError> {
        let mut files = BTreeMap::new();
        for document in plan.documents() {
            let path = self
                .blobs
                .local_path(&document.sha256)
                .map_err(ApiError::internal)?;
            files.insert(document.sha256.clone(), path);
        }
        let input = book::BookInput {
            plan: plan.clone(),
            files,
        };
        let staged = Staged::new(self.blobs.staging_path());
        let input_path = staged.path().with_extension("book");
        let json = serde_json::to_vec(&input).map_err(ApiError::internal)?;
        tokio::fs::write(&input_path, json)
            .await
            .map_err(ApiError::internal)?;
        let mut settings = self.settings.clone();
        // The book's own limit: its sources each fit in it (the plan was checked), and the
        // whole book must too.
        settings.max_pages = settings.board_book_max_pages;
        settings.check_timeout_ms = settings.board_book_timeout_ms;
        let staged_plan = staged.path().with_extension("plan");
        self.books_built
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let verdict =
            validate::build_book(&settings, &input_path, staged.path(), &staged_plan).await;
        let _ = std::fs::remove_file(&input_path);
        match verdict? {
            Ok(_) => {}
            Err(
                super::pdf::Rejection::TooManyPages(_) | super::pdf::Rejection::TooManyObjects(_),
            ) => {
                return Err(ApiError::invalid("board_book_too_large", "too large"));
            }
            Err(r) => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "board book refused: {r}"
                )));
            }
        }
        std::fs::rename(&staged_plan, plan_path).map_err(ApiError::internal)?;
        std::fs::rename(staged.path(), pdf_path).map_err(ApiError::internal)?;
        staged.moved();
        Ok(())
    }

    /// The board book for `plan`, stamped for the reader when `stamp_text` is given.
    pub async fn board_book(
        &self,
        plan: book::Plan,
        stamp_text: Option<String>,
        filename: String,
    ) -> Result<Outgoing, ApiError> {
        let (key, pdf_path, plan_path) = self.book_file(plan).await?;
        let file = std::fs::File::open(&pdf_path).map_err(ApiError::internal)?;
        let tail = match stamp_text {
            Some(text) => {
                let plan = self
                    .plan_of(&key, move || std::fs::read(&plan_path))
                    .await?;
                Some(self.tail_for(&key, plan, text).await?)
            }
            None => None,
        };
        self.finish(file, &key, tail, filename)
    }

    /// The board book with annotations added by `build` (from the book's plan).
    pub async fn board_book_annotated<F>(
        &self,
        plan: book::Plan,
        stamp_text: Option<String>,
        filename: String,
        build: F,
    ) -> Result<Outgoing, ApiError>
    where
        F: FnOnce(&StampPlan) -> Result<PageAdditions, ApiError> + Send + 'static,
    {
        let (key, pdf_path, plan_path) = self.book_file(plan.clone()).await?;
        let book_plan = self
            .plan_of(&key, move || std::fs::read(&plan_path))
            .await?;
        let tail = additions_tail(book_plan, stamp_text.clone(), build).await?;
        match tail {
            None => self.board_book(plan, stamp_text, filename).await,
            Some(tail) => {
                let file = std::fs::File::open(&pdf_path).map_err(ApiError::internal)?;
                self.finish(file, &key, Some(Arc::new(tail)), filename)
            }
        }
    }

    /// Removes abandoned uploads and stored files no version refers to (older than the grace
    /// period, so an upload between store and commit is never swept).
    pub async fn sweep(&self, db: &Db) -> Result<usize, ApiError> {
        let referenced: std::collections::HashSet<String> = db
            .read(super::referenced_blobs)
            .await?
            .into_iter()
            .collect();
        let blobs = self.blobs.clone();
        let grace = std::time::Duration::from_secs(self.settings.orphan_grace_secs);
        web::block(move || {
            let mut removed = blobs.clear_staging(grace)?;
            let now = std::time::SystemTime::now();
            for (sha, stored_at) in blobs.list()? {
                let age = now.duration_since(stored_at).unwrap_or_default();
                if !referenced.contains(&sha) && age >= grace {
                    blobs.remove(&sha)?;
                    removed += 1;
                }
            }
            Ok::<_, std::io::Error>(removed)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }
}

/// The tail that adds what `build` makes for `plan` (annotations), with the reader's stamp when
/// there is one; `None` when there is nothing to add.
async fn additions_tail<F>(
    plan: Arc<StampPlan>,
    stamp_text: Option<String>,
    build: F,
) -> Result<Option<Vec<u8>>, ApiError>
where
    F: FnOnce(&StampPlan) -> Result<PageAdditions, ApiError> + Send + 'static,
{
    web::block(move || {
        let additions = build(&plan)?;
        if additions.is_empty() {
            return Ok(None);
        }
        stamp::tail_with(&plan, stamp_text.as_deref(), &additions).map(Some)
    })
    .await
    .map_err(ApiError::internal)?
}
