//! PostgreSQL's part of a backup: every table of ecabinet's schema copied out (`COPY … TO
//! STDOUT`, text format) inside one `REPEATABLE READ` read-only transaction, so the tables
//! agree with one another however many writers the running server has; and copied back in,
//! parents before children, into a freshly migrated empty database.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_postgres::{Client, NoTls};

use super::archive::TableEntry;

const MIGRATIONS: &str = "__diesel_schema_migrations";

async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot reach the PostgreSQL database")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "backup's PostgreSQL connection ended");
        }
    });
    Ok(client)
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// What an export produced: tables with their columns, the migrations run, the blobs the
/// snapshot refers to, and where each table's rows were written.
pub struct Export {
    pub tables: BTreeMap<String, TableEntry>,
    pub migrations: Vec<String>,
    pub blobs: Vec<String>,
    pub files: Vec<(String, std::path::PathBuf)>,
}

/// Copies every table out into files under `dir`, from one snapshot.
pub async fn export(url: &str, dir: &Path) -> anyhow::Result<Export> {
    let mut client = connect(url).await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let rows = tx
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            &[],
        )
        .await?;
    let mut tables: BTreeMap<String, TableEntry> = BTreeMap::new();
    for row in rows {
        let table: String = row.get(0);
        let column: String = row.get(1);
        tables
            .entry(table)
            .or_insert_with(|| TableEntry {
                columns: Vec::new(),
            })
            .columns
            .push(column);
    }
    if !tables.contains_key("meetings") {
        bail!("this database has no ecabinet tables");
    }
    let migrations = tx
        .query(
            &format!("SELECT version FROM {MIGRATIONS} ORDER BY version"),
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    tables.remove(MIGRATIONS);
    let blobs = tx
        .query("SELECT sha256 FROM blobs ORDER BY sha256", &[])
        .await?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    let mut files = Vec::new();
    for (table, entry) in &tables {
        let columns: Vec<String> = entry.columns.iter().map(|c| quote(c)).collect();
        let sql = format!("COPY {} ({}) TO STDOUT", quote(table), columns.join(", "));
        let stream = tx.copy_out(sql.as_str()).await?;
        futures_util::pin_mut!(stream);
        let path = dir.join(format!("{table}.copy"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?)?;
        }
        out.flush()?;
        files.push((format!("database/{table}.copy"), path));
    }
    tx.commit().await?;
    Ok(Export {
        tables,
        migrations,
        blobs,
        files,
    })
}

/// Whether any of the database's tables (migrations aside) holds a row.
pub async fn is_empty(url: &str) -> anyhow::Result<bool> {
    let client = connect(url).await?;
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .await?;
    for row in tables {
        let table: String = row.get(0);
        if table == MIGRATIONS {
            continue;
        }
        let any = client
            .query_opt(&format!("SELECT 1 FROM {} LIMIT 1", quote(&table)), &[])
            .await?;
        if any.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Tables ordered parents first, by the foreign keys between them.
async fn load_order(client: &Client, tables: &BTreeSet<String>) -> anyhow::Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text \
             FROM pg_constraint c WHERE c.contype = 'f' \
             AND c.connamespace = current_schema()::regnamespace",
            &[],
        )
        .await?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let child: String = row.get(0);
        let parent: String = row.get(1);
        let (child, parent) = (
            child.trim_matches('"').to_owned(),
            parent.trim_matches('"').to_owned(),
        );
        if child != parent {
            parents.entry(child).or_default().insert(parent);
        }
    }
    let mut order = Vec::new();
    let mut placed = BTreeSet::new();
    while placed.len() < tables.len() {
        let ready: Vec<String> = tables
            .iter()
            .filter(|t| !placed.contains(*t))
            .filter(|t| {
                parents
                    .get(*t)
                    .is_none_or(|ps| ps.iter().all(|p| placed.contains(p) || !tables.contains(p)))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            bail!("the tables' foreign keys form a cycle; cannot order the restore");
        }
        for t in ready {
            placed.insert(t.clone());
            order.push(t);
        }
    }
    Ok(order)
}

/// Copies the exported rows back in, in one transaction, into a migrated empty database.
pub async fn import(
    url: &str,
    tables: &BTreeMap<String, TableEntry>,
    dir: &Path,
) -> anyhow::Result<()> {
    let mut client = connect(url).await?;
    let names: BTreeSet<String> = tables.keys().cloned().collect();
    let order = load_order(&client, &names).await?;
    let tx = client.transaction().await?;
    for table in order {
        let entry = &tables[&table];
        let columns: Vec<String> = entry.columns.iter().map(|c| quote(c)).collect();
        let sql = format!("COPY {} ({}) FROM STDIN", quote(&table), columns.join(", "));
        let sink = tx
            .copy_in(sql.as_str())
            .await
            .with_context(|| format!("restoring table {table}"))?;
        futures_util::pin_mut!(sink);
        let mut file = std::fs::File::open(dir.join(format!("{table}.copy")))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            sink.send(bytes::Bytes::copy_from_slice(&buf[..n])).await?;
        }
        sink.finish()
            .await
            .with_context(|| format!("restoring table {table}"))?;
    }
    tx.commit().await?;
    Ok(())
}
