//! Settings: every tunable of the server, with its default, loaded from (lowest first) the
//! built-in defaults, an optional TOML file, `ECABINET_*` environment variables and the
//! command-line flags. `docs/configuration.md` lists every key; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Directory for the SQLite database, blobs and the generated signing secret.
    pub data: PathBuf,
    /// `postgres://…` for PostgreSQL; anything else is a SQLite path. Default:
    /// `<data>/ecabinet.db`.
    pub database_url: Option<String>,
    /// Create the demo users and meeting at start.
    pub demo: bool,
    /// Origins allowed to open the live channel, besides the server's own.
    pub allowed_origins: Vec<String>,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    pub meetings: MeetingSettings,
    pub web: WebSettings,
    pub live: LiveSettings,
    pub documents: DocumentSettings,
    pub polls: PollSettings,
    pub annotations: AnnotationSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    pub organization: OrganizationSettings,
    pub minutes: MinutesSettings,
    pub signing: SigningSettings,
    pub tls: TlsSettings,
    /// Where document bytes are kept: `dir:PATH`, `postgres` or `s3://BUCKET?…`
    /// (docs/operations.md). Default: `dir:<data>/blobs` on SQLite, `postgres` on PostgreSQL.
    pub blobs: Option<String>,
    pub notifications: NotificationSettings,
}

/// HTTPS of the server's own (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first. With `key`, `bind` serves HTTPS only.
    pub cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    pub key: Option<PathBuf>,
    /// A second, plain HTTP address that answers every request with 308 to HTTPS.
    pub http_redirect: Option<SocketAddr>,
    /// How often the certificate files are checked for a renewal (SIGHUP reloads at once).
    pub reload_check_secs: u64,
    /// `Strict-Transport-Security` max-age sent over HTTPS; 0 sends none.
    pub hsts_max_age_secs: u64,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            cert: None,
            key: None,
            http_redirect: None,
            reload_check_secs: 10,
            hsts_max_age_secs: 31_536_000,
        }
    }
}

impl TlsSettings {
    /// The certificate files, when HTTPS is on; one without the other is an error.
    pub fn files(&self) -> anyhow::Result<Option<crate::tls::TlsFiles>> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(crate::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })),
            (None, None) => Ok(None),
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        }
    }
}

/// Notifications, reminders and e-mail (docs/notifications.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// When members who have not answered every poll of an open meeting held in writing are
    /// reminded, before its deadline: a number and a unit, `wd` (working days), `d`, `h`, `m`
    /// or `s` (`"2wd"`, `"2h"`). Each is sent once per member and meeting.
    pub reminders: Vec<String>,
    /// Mail to users who have an e-mail address; none is sent without it.
    pub smtp: Option<SmtpSettings>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            reminders: vec!["2wd".into(), "2h".into()],
            smtp: None,
        }
    }
}

/// The SMTP server notifications are mailed through.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// Upgrade the connection with STARTTLS (required when true).
    pub starttls: bool,
    /// Sign in with these when set (the password from the environment variable
    /// `password_env`).
    pub username: Option<String>,
    pub password_env: String,
    /// The sender, e.g. `"Văn phòng UBND <vanphong@example.gov.vn>"`.
    pub from: String,
    /// Tries per message before it is given up (logged).
    pub max_attempts: u32,
    /// Seconds before the first retry; doubled after each failure.
    pub retry_secs: u64,
    /// How often the outbox is looked at, in milliseconds.
    pub poll_ms: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 25,
            starttls: false,
            username: None,
            password_env: "ECABINET_SMTP_PASSWORD".into(),
            from: "ecabinet <ecabinet@localhost>".into(),
            max_attempts: 5,
            retry_secs: 60,
            poll_ms: 2_000,
        }
    }
}

/// Digital signatures (ký số).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningSettings {
    /// PEM files of the certificates signatures are trusted up to (the Government CA's root,
    /// a public CA): a signature is `trusted` when its signer's certificate chains to one.
    pub trust_anchors: Vec<PathBuf>,
    /// The organisation's seal: a PKCS#12 file (key and chain). The server refuses to start
    /// when it cannot be opened.
    pub key_file: Option<PathBuf>,
    /// The environment variable holding the seal's password.
    pub key_password_env: String,
    /// A file holding the seal's password instead (its first line).
    pub key_password_file: Option<PathBuf>,
    /// A PNG of the organisation's red seal, drawn where it seals (else a red text box).
    pub seal_image: Option<PathBuf>,
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self {
            trust_anchors: Vec::new(),
            key_file: None,
            key_password_env: "ECABINET_SEAL_PASSWORD".into(),
            key_password_file: None,
            seal_image: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long a request waits for a connection before it gets a 503.
    pub acquire_timeout_ms: u64,
    /// How long SQLite waits for a lock before giving up.
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HMAC secret for access tokens (at least 32 bytes). When unset, one is generated into
    /// `<data>/jwt-secret` on first start and read from there afterwards.
    pub jwt_secret: Option<String>,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Clock skew tolerated when checking `exp` and `nbf`.
    pub leeway_secs: u64,
    /// Login attempts allowed at once for one username, and the seconds it takes to earn one
    /// attempt back.
    pub login_burst_per_username: u32,
    pub login_refill_secs_per_username: u64,
    /// The same for one client address (generous: a meeting room signs in from one NAT).
    pub login_burst_per_address: u32,
    pub login_refill_secs_per_address: u64,
    /// Take the client address from `X-Forwarded-For` / `Forwarded` (only behind a proxy).
    pub trust_proxy_headers: bool,
    /// How long the device token a sign-in hands out lets its device pass the per-username
    /// limit (`auth/device_cookie.rs`).
    pub device_token_ttl_secs: u64,
    /// Wrong passwords a device token may bring within `device_token_lockout_secs` before it
    /// is locked for as long (and counts as no token).
    pub device_token_failures: u32,
    pub device_token_lockout_secs: u64,
    /// How long what the database says of a token's user (role, existence) and session (not
    /// ended) is kept before it is read again: the longest a demotion, a deleted account or a
    /// session ended on another instance takes to count.
    pub standing_cache_secs: u64,
    /// (user, session) pairs kept in that cache.
    pub standing_cache_entries: usize,
    /// System roles that must have a second factor: their users without one get 403
    /// `mfa_enrollment_required` on everything but enrolment, `/me` and logout.
    pub mfa_required_roles: Vec<crate::users::Role>,
    /// The AES-256 key (base64 of 32 bytes) TOTP secrets are encrypted with. When unset, one is
    /// generated into `<data>/mfa-key` on first start.
    pub mfa_key: Option<String>,
    /// The issuer authenticator apps show beside the account.
    pub mfa_issuer: String,
    /// Code attempts (second step of sign-in) allowed at once per user, and the seconds it
    /// takes to earn one back; the same per client address.
    pub code_burst_per_user: u32,
    pub code_refill_secs_per_user: u64,
    pub code_burst_per_address: u32,
    pub code_refill_secs_per_address: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Largest JSON request body in bytes.
    pub json_body_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeetingSettings {
    /// Speaking time per speech when the meeting sets none.
    pub default_speech_limit_secs: i32,
    /// Levels of items an agenda may have (1: no sub-items).
    pub max_agenda_depth: usize,
    /// How often the server looks for written meetings whose deadline passed (and closes
    /// them); also at start.
    pub deadline_check_ms: u64,
    /// When a working day ends, `HH:MM` in the organisation's time zone
    /// (`organization.utc_offset_minutes`): a deadline given in working days falls then.
    pub working_day_end: String,
}

impl MeetingSettings {
    /// `working_day_end` read as a time of day.
    pub fn working_day_end(&self) -> Result<chrono::NaiveTime, String> {
        chrono::NaiveTime::parse_from_str(self.working_day_end.trim(), "%H:%M").map_err(|e| {
            format!(
                "meetings.working_day_end {:?} is not HH:MM: {e}",
                self.working_day_end
            )
        })
    }
}

impl Default for MeetingSettings {
    fn default() -> Self {
        Self {
            default_speech_limit_secs: 300,
            max_agenda_depth: 5,
            deadline_check_ms: 5_000,
            working_day_end: "17:00".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// Seconds a new connection has to send its hello.
    pub hello_timeout_secs: u64,
    /// Seconds between the server's pings.
    pub heartbeat_secs: u64,
    /// A client silent for this long (no message, no pong) is disconnected.
    pub client_timeout_secs: u64,
    /// Messages waiting for one client; a client that lets it fill is cut off (4408).
    pub queue_capacity: usize,
    /// Largest message a client may send, in bytes.
    pub max_message_bytes: usize,
    /// Requests per second one session may send, and the burst allowed above it.
    pub messages_per_sec: u32,
    pub message_burst: u32,
    /// Live sessions one user may have open at once on this instance.
    pub max_sessions_per_user: usize,
    /// Presence changes are sent at most this often.
    /// With PostgreSQL: how long this instance gathers its committed events before telling
    /// the others in one NOTIFY (so the NOTIFY rate does not grow with the event rate).
    pub signal_batch_ms: u64,
    /// With PostgreSQL: how often every open room is compared with the database, so an event
    /// whose NOTIFY was lost (an instance died after its commit) still arrives.
    pub catch_up_ms: u64,
    pub presence_interval_ms: u64,
    /// Points in one relayed ink batch.
    pub max_stroke_points: usize,
    /// Latest durable events a room keeps encoded for replays (0: every replay reads the
    /// database), and the most bytes they may take.
    pub replay_cache_events: usize,
    pub replay_cache_bytes: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            hello_timeout_secs: 5,
            heartbeat_secs: 15,
            client_timeout_secs: 45,
            queue_capacity: 256,
            max_message_bytes: 64 * 1024,
            messages_per_sec: 30,
            message_burst: 60,
            max_sessions_per_user: 8,
            presence_interval_ms: 250,
            signal_batch_ms: 5,
            catch_up_ms: 1_000,
            max_stroke_points: 1_000,
            replay_cache_events: 2_048,
            replay_cache_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentSettings {
    /// Largest upload in bytes; a larger one gets 413 before its body is read.
    pub max_upload_bytes: u64,
    /// Pages a document may have.
    pub max_pages: usize,
    /// Pages a board book may have.
    pub board_book_max_pages: usize,
    /// Board books being built at once (each in its own checking child); more requests wait.
    pub board_book_builds: usize,
    /// Wall-clock time (and, rounded up to seconds, CPU time) the child building and checking
    /// one board book may take.
    pub board_book_timeout_ms: u64,
    /// PDF objects a document may have.
    pub max_objects: usize,
    /// Bytes one compressed stream may inflate to while a file is checked.
    pub max_decompressed_bytes: usize,
    /// Wall-clock time (and, rounded up to seconds, CPU time) the check of one file may take.
    pub check_timeout_ms: u64,
    /// Address space of the checking child process.
    pub check_memory_bytes: u64,
    /// Command that checks a file (program and leading arguments); by default this very
    /// binary's hidden `pdf-check` subcommand.
    pub checker: Option<Vec<String>>,
    /// Stored files no version refers to, and abandoned uploads, are removed after this long.
    pub orphan_grace_secs: u64,
    /// How often the sweep for such files runs.
    /// Bound of each instance's local copies of files kept in the database
    /// (`--blobs postgres`); oldest copies go first.
    pub blob_cache_bytes: u64,
    pub sweep_interval_secs: u64,
    /// Stamp plans and per-reader stamps kept in memory.
    pub cached_plans: usize,
    pub cached_stamps: usize,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: 100 * 1024 * 1024,
            max_pages: 5_000,
            board_book_max_pages: 20_000,
            board_book_builds: 2,
            board_book_timeout_ms: 120_000,
            max_objects: 1_000_000,
            max_decompressed_bytes: 64 * 1024 * 1024,
            check_timeout_ms: 20_000,
            check_memory_bytes: 2 * 1024 * 1024 * 1024,
            checker: None,
            orphan_grace_secs: 3_600,
            sweep_interval_secs: 3_600,
            blob_cache_bytes: 2 << 30,
            cached_plans: 256,
            cached_stamps: 2_048,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollSettings {
    /// `poll.tally` events of an open poll are written at most this often.
    pub tally_interval_ms: u64,
    /// Most ballots committed in one transaction (group commit).
    pub batch_max: usize,
    /// How long a batch waits for more ballots after its first one; 0 takes only what queued.
    pub batch_window_ms: u64,
    /// Batches in flight at once (PostgreSQL runs them in parallel; SQLite queues them).
    pub batch_workers: usize,
    /// Ballots waiting for a batch; beyond this a ballot gets 503 and retries.
    pub queue_capacity: usize,
    /// On SQLite, commit ballot batches with `synchronous = FULL` (an acknowledged ballot
    /// survives a power cut, not only a crash).
    pub sqlite_full_sync: bool,
    /// The majority of a poll that names none: the organisation's rule. Default
    /// `absolute_all` (quá nửa tổng số thành viên), the rule of People's Committees.
    pub default_majority: crate::polls::Majority,
    /// Who breaks a tie in the polls of a meeting held in writing: `chair` (the chair's
    /// answer decides, the rule of People's Committees' working rules) or `none`.
    pub written_ties: crate::polls::TieBreak,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            tally_interval_ms: 100,
            batch_max: 512,
            batch_window_ms: 1,
            batch_workers: 2,
            queue_capacity: 20_000,
            sqlite_full_sync: true,
            default_majority: crate::polls::Majority::AbsoluteAll,
            written_ties: crate::polls::TieBreak::Chair,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnnotationSettings {
    /// Points in one stroke of an ink annotation.
    pub max_points_per_stroke: usize,
    /// Strokes in one ink annotation.
    pub max_strokes: usize,
    /// Rectangles in one highlight.
    pub max_rects: usize,
    /// Size of one annotation's `data`, in bytes of JSON as stored.
    pub max_bytes: usize,
    /// Characters of a note's text.
    pub max_note_chars: usize,
    /// Characters of one reply to a shared note, and replies one note may collect.
    pub max_reply_chars: usize,
    pub max_replies: usize,
    /// Annotations one user may keep on one document.
    pub max_per_document: i64,
}

impl Default for AnnotationSettings {
    fn default() -> Self {
        Self {
            max_points_per_stroke: 5_000,
            max_strokes: 500,
            max_rects: 200,
            max_bytes: 128 * 1024,
            max_note_chars: 4_000,
            max_reply_chars: 2_000,
            max_replies: 200,
            max_per_document: 10_000,
        }
    }
}

/// Who may read `/metrics`. With neither key set it is not served at all: its labels name every
/// route and its counters tell how the meeting goes (sign-in failures, ballots).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A scraper sends `Authorization: Bearer <token>` (at least 16 characters).
    pub token: Option<String>,
    /// A second address that serves `/metrics` only; the main address then does not serve it.
    pub bind: Option<SocketAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSettings {
    /// Directory of the built tablet client (`npm run build` in `web/`).
    pub dir: PathBuf,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("web/dist"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter, e.g. `info` or `ecabinet=debug,actix_web=info`.
    pub filter: String,
    /// `text` or `json`.
    pub format: String,
}

/// The organisation's names as its documents print them (Nghị định 30/2020), until an admin
/// saves others over the API (`PATCH /api/v1/organization`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationSettings {
    /// Cơ quan chủ quản, printed above the organisation ("UBND HUYỆN CAM LỘ"); may be empty.
    pub parent: String,
    /// The organisation ("UBND XÃ CAM THỦY").
    pub name: String,
    /// Its sign in document numbers ("UBND" → "05/BB-UBND").
    pub sign: String,
    /// Địa danh in the documents' dates ("Cam Thủy").
    pub place: String,
    /// Nơi nhận printed on every record, before "Lưu: VT.".
    pub recipients: Vec<String>,
    /// Above the chair's signature on the conclusions notice ("TM. ỦY BAN NHÂN DÂN").
    pub on_behalf: String,
    /// The chair's title beneath it ("CHỦ TỊCH").
    pub chair_title: String,
    /// The organisation's time zone as minutes east of UTC (Vietnam: 420, no daylight saving):
    /// the times and dates the record prints.
    pub utc_offset_minutes: i32,
}

impl Default for OrganizationSettings {
    fn default() -> Self {
        Self {
            parent: String::new(),
            name: "ỦY BAN NHÂN DÂN".into(),
            sign: "UBND".into(),
            place: String::new(),
            recipients: Vec::new(),
            on_behalf: "TM. ỦY BAN NHÂN DÂN".into(),
            chair_title: "CHỦ TỊCH".into(),
            utc_offset_minutes: 7 * 60,
        }
    }
}

/// The meeting's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinutesSettings {
    /// Longest text of one field (an item's notes or conclusion, the opening, the closing), in
    /// characters.
    pub max_text_chars: usize,
    /// A directory with the record's font: `LiberationSerif-Regular.ttf`, `-Bold`, `-Italic`,
    /// `-BoldItalic` (or any Times New Roman compatible family under those names). Unset: Debian's
    /// `fonts-liberation2` when installed, else DejaVu Serif built in.
    pub fonts_dir: Option<PathBuf>,
}

impl Default for MinutesSettings {
    fn default() -> Self {
        Self {
            max_text_chars: 20_000,
            fonts_dir: None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("./data"),
            database_url: None,
            demo: false,
            allowed_origins: Vec::new(),
            database: DatabaseSettings::default(),
            auth: AuthSettings::default(),
            limits: LimitSettings::default(),
            meetings: MeetingSettings::default(),
            web: WebSettings::default(),
            live: LiveSettings::default(),
            documents: DocumentSettings::default(),
            polls: PollSettings::default(),
            annotations: AnnotationSettings::default(),
            metrics: MetricsSettings::default(),
            log: LogSettings::default(),
            organization: OrganizationSettings::default(),
            minutes: MinutesSettings::default(),
            signing: SigningSettings::default(),
            tls: TlsSettings::default(),
            blobs: None,
            notifications: NotificationSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            pool_size: 16,
            acquire_timeout_ms: 3_000,
            sqlite_busy_timeout_ms: 5_000,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            issuer: "ecabinet".into(),
            audience: "ecabinet".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            leeway_secs: 30,
            login_burst_per_username: 10,
            login_refill_secs_per_username: 6,
            login_burst_per_address: 100,
            login_refill_secs_per_address: 1,
            trust_proxy_headers: false,
            device_token_ttl_secs: 90 * 24 * 3600,
            device_token_failures: 5,
            device_token_lockout_secs: 15 * 60,
            standing_cache_secs: 5,
            standing_cache_entries: 100_000,
            // Off by default so that existing clients and scripts keep working on an upgrade;
            // production configurations set ["admin"] or ["admin", "secretary"] (docs).
            mfa_required_roles: Vec::new(),
            mfa_key: None,
            mfa_issuer: "ecabinet".into(),
            code_burst_per_user: 5,
            code_refill_secs_per_user: 120,
            code_burst_per_address: 30,
            code_refill_secs_per_address: 2,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            json_body_bytes: 256 * 1024,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            filter: "info".into(),
            format: "text".into(),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOverrides>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blobs: Option<String>,
}

/// The TLS flags given on the command line.
#[derive(Debug, Default, Serialize)]
pub struct TlsOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_redirect: Option<SocketAddr>,
}

const PREFIX: &str = "ECABINET_";

/// The top-level keys of `Settings`, as environment variables name them.
const SECTIONS: &[&str] = &[
    "bind",
    "data",
    "database_url",
    "demo",
    "allowed_origins",
    "database",
    "auth",
    "limits",
    "meetings",
    "web",
    "live",
    "documents",
    "polls",
    "annotations",
    "metrics",
    "log",
    "organization",
    "minutes",
    "signing",
    "tls",
    "blobs",
    "notifications",
];

/// The top-level key of an environment key, whether or not its `__` became a `.` yet.
fn section_of(key: &str) -> &str {
    let end = [key.find('.'), key.find("__")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(key.len());
    &key[..end]
}

impl Settings {
    /// Loads defaults < TOML file < `ECABINET_*` environment < flags. Nested keys use a double
    /// underscore in the environment: `ECABINET_AUTH__ACCESS_TOKEN_TTL_SECS=300`.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(
                Env::raw()
                    .filter_map(|key| {
                        let rest = key.as_str().get(PREFIX.len()..)?;
                        let prefixed = key
                            .as_str()
                            .get(..PREFIX.len())?
                            .eq_ignore_ascii_case(PREFIX);
                        // Other ECABINET_* variables (scripts', tools') are not settings;
                        // unknown keys inside a known section still fail, as typos should.
                        let known = SECTIONS
                            .iter()
                            .any(|s| s.eq_ignore_ascii_case(section_of(rest)));
                        (prefixed && known).then(|| rest.to_owned().into())
                    })
                    .split("__"),
            )
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(Box::new)
    }

    /// The database URL in force: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => self.data.join("ecabinet.db").to_string_lossy().into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ecabinet.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\n[auth]\naccess_token_ttl_secs = 60\n",
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            FlagOverrides {
                data: Some("/tmp/x".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.auth.access_token_ttl_secs, 60);
        assert_eq!(s.data, PathBuf::from("/tmp/x"));
        assert_eq!(s.database_url(), "/tmp/x/ecabinet.db");
    }

    #[test]
    fn every_section_is_known_to_the_environment_filter() {
        let value = serde_json::to_value(Settings::default()).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), SECTIONS.len());
        assert!(
            keys.iter().all(|k| SECTIONS.contains(&k.as_str())),
            "{keys:?}"
        );
    }

    #[test]
    fn sections_of_environment_keys() {
        assert_eq!(section_of("live.max_sessions_per_user"), "live");
        assert_eq!(section_of("live__max_sessions_per_user"), "live");
        assert_eq!(section_of("database_url"), "database_url");
        assert_eq!(section_of("bin"), "bin");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ecabinet.toml");
        std::fs::write(&file, "bnid = \"127.0.0.1:9000\"\n").unwrap();
        assert!(Settings::load(Some(&file), FlagOverrides::default()).is_err());
    }
}
