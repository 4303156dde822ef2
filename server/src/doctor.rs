//! `ecabinet doctor`: checks an installation the way an IT team would before calling for help
//! (the configuration, the database reachable and migrated, the documents' store readable and
//! writable, the TLS certificate valid and not about to expire, the clock against the
//! database's, the open-file limit, free disk), and says what to fix in Vietnamese and
//! English. It reads; the only thing it writes is one small file in the store's staging area,
//! removed at once.

use std::io::Write;
use std::time::{Duration, SystemTime};

use diesel::prelude::*;

use crate::config::Settings;
use crate::db::{Backend, DbConnection};
use crate::documents::blobs::{LocalBlobs, Location};

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok(String),
    Warn(String),
    Fail(String),
}

/// One line of the report: what was checked (vi / en) and how it came out.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
}

/// Certificates expiring sooner than this are reported.
const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 24 * 3600);
/// The open-file limit below which a busy meeting day can run out.
const MIN_OPEN_FILES: u64 = 8_192;
/// Free disk below which uploads and backups will soon fail.
const MIN_FREE_BYTES: u64 = 2 << 30;
/// Clock skew against the database that makes deadlines and tokens disagree.
const MAX_SKEW: Duration = Duration::from_secs(2);

/// Runs every check.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let mut checks = vec![Check {
        name: "Cấu hình / configuration",
        outcome: Outcome::Ok(format!(
            "đọc được / loaded (bind {}, data {})",
            settings.bind,
            settings.data.display()
        )),
    }];
    checks.push(Check {
        name: "Cơ sở dữ liệu / database",
        outcome: database(settings),
    });
    checks.push(Check {
        name: "Kho tệp tài liệu / documents' files",
        outcome: blob_store(settings),
    });
    checks.push(Check {
        name: "Chứng thư TLS / TLS certificate",
        outcome: tls(settings, SystemTime::now()),
    });
    checks.push(Check {
        name: "Giới hạn tệp mở / open-file limit",
        outcome: open_files(),
    });
    checks.push(Check {
        name: "Dung lượng đĩa / free disk",
        outcome: free_disk(settings),
    });
    checks
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(diesel::QueryableByName)]
struct Now {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    now: chrono::NaiveDateTime,
}

fn database(settings: &Settings) -> Outcome {
    let url = settings.database_url();
    let backend = Backend::from_url(&url);
    let conn = match backend {
        Backend::Postgres => PgConnection::establish(&url).map(DbConnection::Postgresql),
        Backend::Sqlite => {
            if !std::path::Path::new(&url).exists() {
                return Outcome::Fail(format!(
                    "không có tệp {url} / no database file at {url}: đúng --data chưa? / is --data right?"
                ));
            }
            SqliteConnection::establish(&url).map(DbConnection::Sqlite)
        }
    };
    let mut conn = match conn {
        Ok(c) => c,
        Err(e) => {
            return Outcome::Fail(format!(
                "không kết nối được / cannot connect: {e}. Kiểm tra database_url và máy chủ PostgreSQL / check database_url and the PostgreSQL server"
            ));
        }
    };
    let applied: Vec<String> =
        match diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Version>(&mut conn)
        {
            Ok(rows) => rows.into_iter().map(|r| r.version).collect(),
            Err(_) => Vec::new(),
        };
    let known = crate::db::migration_versions(backend);
    let missing = known.iter().filter(|v| !applied.contains(v)).count();
    let newer = applied.iter().filter(|v| !known.contains(v)).count();
    if newer > 0 {
        return Outcome::Fail(format!(
            "cơ sở dữ liệu của phiên bản mới hơn ({newer} migration lạ) / the database belongs to a newer ecabinet ({newer} unknown migrations): cài phiên bản đó / install that version"
        ));
    }
    let skew = clock_skew(&mut conn, backend);
    let migrated = if missing > 0 {
        format!(
            "{missing} migration chưa chạy, sẽ chạy khi khởi động / {missing} migrations pending, run at start"
        )
    } else {
        "đã cập nhật / migrated".to_owned()
    };
    match skew {
        Some(skew) if skew > MAX_SKEW => Outcome::Warn(format!(
            "{migrated}; đồng hồ lệch {skew:?} so với cơ sở dữ liệu / the clock is {skew:?} off the database's: bật NTP / enable NTP"
        )),
        _ => Outcome::Ok(format!("{backend:?}, {migrated}")),
    }
}

fn clock_skew(conn: &mut DbConnection, backend: Backend) -> Option<Duration> {
    let sql = match backend {
        Backend::Postgres => "SELECT (now() AT TIME ZONE 'UTC')::timestamp AS now",
        // SQLite reads this machine's clock: nothing to compare.
        Backend::Sqlite => return None,
    };
    let db_now = diesel::sql_query(sql).get_result::<Now>(conn).ok()?.now;
    let here = chrono::Utc::now().naive_utc();
    Some((here - db_now).abs().to_std().unwrap_or_default())
}

fn blob_store(settings: &Settings) -> Outcome {
    let on_pg = Backend::from_url(&settings.database_url()) == Backend::Postgres;
    let location = match Location::parse(settings.blobs.as_deref(), &settings.data, on_pg) {
        Ok(l) => l,
        Err(e) => return Outcome::Fail(e),
    };
    let dir = match &location {
        Location::Dir(dir) => dir.clone(),
        Location::Database => settings.data.join("blob-cache"),
    };
    if !dir.is_dir() {
        let verdict = format!(
            "{} không có / does not exist: đúng --data, --blobs chưa? / are --data and --blobs right?",
            dir.display()
        );
        // Files kept in the database need no directory until the server makes its copies.
        return match location {
            Location::Dir(_) => Outcome::Fail(verdict),
            Location::Database => Outcome::Ok("trong PostgreSQL / in PostgreSQL".into()),
        };
    }
    let store = match LocalBlobs::open_dir(&dir) {
        Ok(s) => s,
        Err(e) => {
            return Outcome::Fail(format!(
                "không mở được {} / cannot open it: {e}",
                dir.display()
            ));
        }
    };
    let probe = crate::documents::blobs::BlobStore::staging_path(&store);
    let written = std::fs::File::create(&probe)
        .and_then(|mut f| f.write_all(b"doctor").and_then(|()| f.sync_all()));
    let _ = std::fs::remove_file(&probe);
    match (written, &location) {
        (Err(e), _) => Outcome::Fail(format!(
            "không ghi được vào {} / cannot write there: {e}. Kiểm tra quyền của người dùng dịch vụ / check the service user's permissions",
            dir.display()
        )),
        (Ok(()), Location::Dir(_)) => Outcome::Ok(format!(
            "{} đọc/ghi được / readable and writable",
            dir.display()
        )),
        (Ok(()), Location::Database) => Outcome::Ok(format!(
            "trong PostgreSQL; bản sao cục bộ {} ghi được / in PostgreSQL; local copies in {} writable",
            dir.display(),
            dir.display()
        )),
    }
}

fn tls(settings: &Settings, now: SystemTime) -> Outcome {
    let files = match settings.tls.files() {
        Ok(Some(files)) => files,
        Ok(None) => {
            return Outcome::Warn(
                "không bật HTTPS / HTTPS is off: máy tính bảng cần HTTPS (--tls-cert, --tls-key) / tablets need HTTPS".into(),
            );
        }
        Err(e) => return Outcome::Fail(e.to_string()),
    };
    let key = match files.load() {
        Ok(k) => k,
        Err(e) => return Outcome::Fail(format!("{e:#}")),
    };
    let Some(leaf) = key.cert.first() else {
        return Outcome::Fail("no certificate".into());
    };
    match crate::tls::validity(leaf) {
        Ok((_, not_after)) => {
            let left = not_after.duration_since(now).unwrap_or_default();
            let days = left.as_secs() / 86_400;
            if left < EXPIRY_WARNING {
                Outcome::Warn(format!(
                    "hết hạn sau {days} ngày / expires in {days} days: gia hạn / renew it"
                ))
            } else {
                Outcome::Ok(format!("còn {days} ngày / valid for {days} more days"))
            }
        }
        Err(e) => Outcome::Fail(format!("{e:#}")),
    }
}

fn open_files() -> Outcome {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, hard)) if hard < MIN_OPEN_FILES => Outcome::Warn(format!(
            "{soft}/{hard}: quá thấp cho nhiều máy tính bảng / too low for many tablets; đặt LimitNOFILE=65536 / set LimitNOFILE=65536"
        )),
        Ok((soft, hard)) => Outcome::Ok(format!(
            "{soft} (tối đa / hard {hard}; máy chủ tự nâng / the server raises it)"
        )),
        Err(e) => Outcome::Warn(e.to_string()),
    }
}

fn free_disk(settings: &Settings) -> Outcome {
    let dir = if settings.data.exists() {
        settings.data.clone()
    } else {
        std::path::PathBuf::from(".")
    };
    match rustix::fs::statvfs(&dir) {
        Ok(st) => {
            let free = st.f_bavail.saturating_mul(st.f_frsize);
            let gib = free as f64 / f64::from(1u32 << 30);
            if free < MIN_FREE_BYTES {
                Outcome::Fail(format!(
                    "còn {gib:.1} GiB / {gib:.1} GiB free in {}: giải phóng đĩa / free some space",
                    dir.display()
                ))
            } else {
                Outcome::Ok(format!("còn {gib:.1} GiB / {gib:.1} GiB free"))
            }
        }
        Err(e) => Outcome::Warn(e.to_string()),
    }
}

/// Prints the report; true when nothing failed.
pub fn print(checks: &[Check]) -> bool {
    let mut healthy = true;
    for check in checks {
        let (mark, text) = match &check.outcome {
            Outcome::Ok(t) => ("ok   ", t),
            Outcome::Warn(t) => ("CHÚ Ý", t),
            Outcome::Fail(t) => {
                healthy = false;
                ("LỖI ", t)
            }
        };
        println!("{mark} {}: {text}", check.name);
    }
    healthy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_expiring_soon_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2027, 1, 1);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("c.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("k.pem"), key.serialize_pem()).unwrap();
        let mut settings = Settings::default();
        settings.tls.cert = Some(dir.path().join("c.pem"));
        settings.tls.key = Some(dir.path().join("k.pem"));
        let near = std::time::UNIX_EPOCH + Duration::from_secs(1_798_000_000); // 2026-12-23
        assert!(matches!(tls(&settings, near), Outcome::Warn(t) if t.contains("days")));
        let far = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023
        assert!(matches!(tls(&settings, far), Outcome::Ok(_)));
        settings.tls.key = None;
        assert!(matches!(tls(&settings, far), Outcome::Fail(_)));
    }

    #[test]
    fn a_missing_database_file_is_a_failure_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data: dir.path().join("nowhere"),
            ..Settings::default()
        };
        assert!(matches!(database(&settings), Outcome::Fail(t) if t.contains("nowhere")));
    }
}
