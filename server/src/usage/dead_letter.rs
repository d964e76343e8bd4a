//! The dead-letter file: a request's usage records that the database refused for a reason of
//! their own (a constraint violation) — or that were still unwritten when a shutdown's flush
//! time ran out with the database down — are appended here instead of being dropped, one JSON
//! line per request, and `switchboard replay-usage` writes them later.
//!
//! A line: `{"failed_at": <RFC 3339>, "error": <the database's message>, "records": [...]}`,
//! each record one of `{"generation": <the generations row>}`, `{"key_usage": {...}}` or
//! `{"debit": {...}}`. Records hold counts, costs and ids, never prompt or completion text.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{generation, generation_content};
use serde::{Deserialize, Serialize};

use super::record::{Content, Debit, KeyUsage, UsageRecord};
use super::sql::Store;
use crate::billing::ledger::EntryKind;
use crate::billing::money::Nanos;

/// The file name under the data directory.
pub const FILE_NAME: &str = "usage-dead-letter.jsonl";

#[derive(Serialize, Deserialize)]
struct Line {
    failed_at: DateTime<Utc>,
    error: String,
    records: Vec<Stored>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stored {
    Generation(Box<generation::Model>),
    Content(Box<generation_content::Model>),
    KeyUsage {
        key_hash: String,
        usage_nanos: i64,
        byok_usage_nanos: i64,
    },
    Debit {
        org_id: String,
        kind: String,
        generation_id: String,
        amount_nanos: i64,
        lease_holder: String,
        key_lease: Option<String>,
        budget_lease: bool,
    },
}

impl From<&UsageRecord> for Stored {
    fn from(record: &UsageRecord) -> Self {
        match record {
            UsageRecord::Generation(g) => Stored::Generation(g.clone()),
            UsageRecord::Content(c) => Stored::Content(Box::new(c.0.clone())),
            UsageRecord::KeyUsage(k) => Stored::KeyUsage {
                key_hash: k.key_hash.clone(),
                usage_nanos: k.usage.as_nanos(),
                byok_usage_nanos: k.byok_usage.as_nanos(),
            },
            UsageRecord::Debit(d) => Stored::Debit {
                org_id: d.org_id.clone(),
                kind: d.kind.as_str().to_owned(),
                generation_id: d.generation_id.clone(),
                amount_nanos: d.amount.as_nanos(),
                lease_holder: d.lease_holder.to_string(),
                key_lease: d.key_lease.clone(),
                budget_lease: d.budget_lease,
            },
        }
    }
}

impl TryFrom<Stored> for UsageRecord {
    type Error = String;

    fn try_from(stored: Stored) -> Result<Self, String> {
        Ok(match stored {
            Stored::Generation(g) => UsageRecord::Generation(g),
            Stored::Content(c) => UsageRecord::Content(Box::new(Content(*c))),
            Stored::KeyUsage {
                key_hash,
                usage_nanos,
                byok_usage_nanos,
            } => UsageRecord::KeyUsage(KeyUsage {
                key_hash,
                usage: Nanos::from_nanos(usage_nanos),
                byok_usage: Nanos::from_nanos(byok_usage_nanos),
            }),
            Stored::Debit {
                org_id,
                kind,
                generation_id,
                amount_nanos,
                lease_holder,
                key_lease,
                budget_lease,
            } => UsageRecord::Debit(Debit {
                org_id,
                kind: EntryKind::parse(&kind)
                    .ok_or_else(|| format!("unknown entry kind {kind}"))?,
                generation_id,
                amount: Nanos::from_nanos(amount_nanos),
                lease_holder: Arc::from(lease_holder),
                key_lease,
                budget_lease,
            }),
        })
    }
}

/// Where a writer puts the requests it could not write.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    path: PathBuf,
}

impl DeadLetter {
    pub fn at(path: PathBuf) -> Self {
        DeadLetter { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one request's records (a line) and syncs the file.
    pub fn append(&self, records: &[UsageRecord], error: &str) -> std::io::Result<()> {
        let line = Line {
            failed_at: Utc::now(),
            error: error.to_owned(),
            records: records.iter().map(Stored::from).collect(),
        };
        let mut text = serde_json::to_string(&line)?;
        text.push('\n');
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(text.as_bytes())?;
        file.sync_data()
    }
}

/// What a replay did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Requests whose records are now written.
    pub written: usize,
    /// Requests whose generations were already stored (nothing written again).
    pub already_written: usize,
    /// Requests that failed again: back in the dead-letter file.
    pub failed: usize,
}

/// Writes every request of the dead-letter file at `path` to the database at `database_url`,
/// each in its own transaction. The file is first renamed aside (a running server appends to
/// a new one); requests that fail again are appended to `path` anew, and the renamed file is
/// removed once every line was handled.
pub async fn replay(database_url: &str, path: &Path) -> Result<Replayed, String> {
    if !path.exists() {
        return Ok(Replayed::default());
    }
    let aside = path.with_extension(format!("replaying-{}", Utc::now().timestamp()));
    std::fs::rename(path, &aside).map_err(|e| format!("cannot move {}: {e}", path.display()))?;
    let mut store = Store::open(database_url).await.map_err(|e| e.to_string())?;
    let dead_letter = DeadLetter::at(path.to_owned());
    let file = std::fs::File::open(&aside).map_err(|e| e.to_string())?;
    let mut replayed = Replayed::default();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{}: {e}", aside.display(), number + 1))?;
        let records = parsed
            .records
            .into_iter()
            .map(UsageRecord::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}:{}: {e}", aside.display(), number + 1))?;
        if store.committed(&records).await.unwrap_or(false) {
            replayed.already_written += 1;
            continue;
        }
        match store.write(&records).await {
            Ok(()) => replayed.written += 1,
            Err(err) => {
                replayed.failed += 1;
                tracing::error!(line = number + 1, %err, "replaying usage records failed again");
                dead_letter
                    .append(&records, &err.to_string())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    std::fs::remove_file(&aside).ok();
    Ok(replayed)
}
