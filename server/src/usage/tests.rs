//! The usage writer end to end, on SQLite and on PostgreSQL (a database of its own on
//! `TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped after).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use entity::json_text::JsonText;
use entity::{api_key, generation, ledger_entry, organization};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Statement,
};

use super::dead_letter;
use super::histogram::{self, BUCKETS};
use super::record::{Debit, KeyUsage, UsageRecord};
use super::retention;
use super::rollup::{self, Grain, Period};
use super::writer::{BATCH, UsageOptions, UsageWriter};
use crate::billing::ledger::EntryKind;
use crate::billing::money::Nanos;

/// An enabled inference key of `org_id` without limits or spend, made `at`.
pub(crate) fn inference_key(hash: &str, org_id: &str, at: DateTime<Utc>) -> api_key::Model {
    api_key::Model {
        hash: hash.into(),
        org_id: org_id.into(),
        kind: "inference".into(),
        name: hash.into(),
        label: hash.into(),
        limit_nanos: None,
        limit_reset: None,
        include_byok_in_limit: false,
        disabled: false,
        expires_at: None,
        creator_user_id: None,
        usage_nanos: 0,
        byok_usage_nanos: 0,
        last_used_at: None,
        usage_day: 0,
        usage_daily_nanos: 0,
        byok_usage_daily_nanos: 0,
        usage_week: 0,
        usage_weekly_nanos: 0,
        byok_usage_weekly_nanos: 0,
        usage_month: 0,
        usage_monthly_nanos: 0,
        byok_usage_monthly_nanos: 0,
        created_at: at,
        updated_at: at,
    }
}

/// A generation row whose fields vary with `n` (every column kind, `None`s, quoting, Unicode).
pub(crate) fn generation(n: usize, at: DateTime<Utc>) -> generation::Model {
    generation::Model {
        id: format!("gen-{n:05}"),
        org_id: ORG.into(),
        api_key_hash: if n.is_multiple_of(2) {
            "key-a"
        } else {
            "key-b"
        }
        .into(),
        requested_model: "openai/gpt-4o-mini".into(),
        model: "openai/gpt-4o-mini".into(),
        provider: (!n.is_multiple_of(3)).then(|| "OpenAI".into()),
        upstream_id: Some(format!("chatcmpl-{n}")),
        streamed: !n.is_multiple_of(2),
        cancelled: n.is_multiple_of(5),
        finish_reason: Some("stop".into()),
        native_finish_reason: None,
        tokens_prompt: n as i64,
        tokens_completion: 2 * n as i64,
        tokens_reasoning: 0,
        tokens_cached: 1,
        tokens_cache_write: 0,
        cost_nanos: 1_000 + n as i64,
        is_byok: n.is_multiple_of(4),
        upstream_cost_nanos: n.is_multiple_of(4).then_some(20_000 + n as i64),
        latency_ms: Some(12),
        generation_time_ms: None,
        http_referer: Some("https://app.example".into()),
        app_title: None,
        user_agent: Some("it's \"quoted\" ✓".into()),
        external_user: None,
        attempts: JsonText::from(&serde_json::json!([{"provider": "OpenAI", "status": 200}])),
        error: None,
        created_at: at + chrono::Duration::microseconds(n as i64 * 1_234),
        capped_max_tokens: n.is_multiple_of(7).then_some(n as i64 * 10),
        api_type: ["chat", "responses", "messages"][n % 3].into(),
        request_id: (!n.is_multiple_of(6)).then(|| format!("req-{n}")),
        status: [200, 402, 429, 502][n % 4],
        byok_fee_nanos: if n.is_multiple_of(4) {
            1_000 + n as i64
        } else {
            0
        },
        native_tokens_prompt: (!n.is_multiple_of(5)).then_some(n as i64),
        native_tokens_completion: (!n.is_multiple_of(5)).then_some(2 * n as i64),
        native_tokens_reasoning: n.is_multiple_of(3).then_some(0),
        native_tokens_cached: (!n.is_multiple_of(5)).then_some(1),
    }
}

const ORG: &str = "org-1";
/// Used by most requests, so its spend is summed many times within each batch.
const HOT: &str = "key-hot";
const COLD: [&str; 3] = ["key-cold-0", "key-cold-1", "key-cold-2"];
/// Never used: its counters stay zero and `last_used_at` unset.
const IDLE: &str = "key-idle";

/// A migrated database of the test's own.
struct TestDatabase {
    url: String,
    db: DatabaseConnection,
    /// PostgreSQL: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
    dir: Option<PathBuf>,
    /// The writer's dead-letter file.
    dead_letter: PathBuf,
}

fn unique_suffix() -> String {
    format!("{}_{:08x}", std::process::id(), rand::random::<u32>())
}

impl TestDatabase {
    async fn sqlite() -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("usage-writer-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
        Self::migrated(url, None, Some(dir)).await
    }

    async fn postgres() -> TestDatabase {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("sb_test_writer_{}", unique_suffix());
        let admin = Database::connect(&admin_url)
            .await
            .expect("PostgreSQL at TEST_POSTGRES_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
        let url = format!("{base}/{name}");
        Self::migrated(url, Some((admin_url, name)), None).await
    }

    async fn migrated(
        url: String,
        postgres: Option<(String, String)>,
        dir: Option<PathBuf>,
    ) -> TestDatabase {
        let db = crate::db::connect(&url, 2).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let at = Utc::now();
        organization::Entity::insert(
            organization::Model {
                id: ORG.into(),
                name: "Org".into(),
                is_personal: false,
                suspended_at: None,
                suspended_reason: None,
                created_at: at,
                updated_at: at,
                store_content: false,
                store_content_changed_by: None,
                store_content_changed_at: None,
            }
            .into_active_model(),
        )
        .exec(&db)
        .await
        .unwrap();
        let keys = [HOT, IDLE]
            .into_iter()
            .chain(COLD)
            .map(|hash| inference_key(hash, ORG, at).into_active_model());
        api_key::Entity::insert_many(keys).exec(&db).await.unwrap();
        let dead_letter =
            std::env::temp_dir().join(format!("dead-letter-{}.jsonl", unique_suffix()));
        TestDatabase {
            url,
            db,
            postgres,
            dir,
            dead_letter,
        }
    }

    async fn writer(&self) -> UsageWriter {
        let options = UsageOptions {
            dead_letter: self.dead_letter.clone(),
            refuse_after: std::time::Duration::from_secs(10),
            shutdown_flush: std::time::Duration::from_secs(5),
        };
        UsageWriter::start(&self.url, options).await.unwrap()
    }

    async fn generations(&self) -> Vec<generation::Model> {
        generation::Entity::find()
            .order_by_asc(generation::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// Each key's `(usage, byok_usage, used)`.
    async fn key_counters(&self) -> BTreeMap<String, (i64, i64, bool)> {
        api_key::Entity::find()
            .all(&self.db)
            .await
            .unwrap()
            .into_iter()
            .map(|k| {
                let used = k.last_used_at.is_some();
                (k.hash, (k.usage_nanos, k.byok_usage_nanos, used))
            })
            .collect()
    }

    /// How many ledger debits reference generation `id`.
    async fn debits_of(&self, id: &str) -> usize {
        ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Reference.eq(id))
            .all(&self.db)
            .await
            .unwrap()
            .len()
    }

    /// Everything given to the writer is committed, and nothing else.
    async fn assert_holds(&self, expected: &Expected) {
        let generations = self.generations().await;
        assert_eq!(generations, expected.generations);
        assert_eq!(self.key_counters().await, expected.keys);
        assert_eq!(self.rollups().await, rollups_of(&generations));
    }

    /// Every rollup row: (table, dimensions) → the other columns.
    async fn rollups(&self) -> BTreeMap<(String, Vec<String>), Vec<i64>> {
        let columns = rollup::columns();
        let mut rows = BTreeMap::new();
        for (period, grain) in Period::ALL
            .into_iter()
            .flat_map(|p| Grain::ALL.map(|g| (p, g)))
        {
            let table = period.table(grain);
            let sql = format!("SELECT {} FROM {table}", columns.join(","));
            let statement = Statement::from_string(self.db.get_database_backend(), sql);
            for row in self.db.query_all_raw(statement).await.unwrap() {
                let dims = (0..rollup::KEY_COLUMNS.len())
                    .map(|i| match i {
                        1 => row.try_get_by_index::<i64>(i).unwrap().to_string(),
                        _ => row.try_get_by_index::<String>(i).unwrap(),
                    })
                    .collect();
                let values = (rollup::KEY_COLUMNS.len()..columns.len())
                    .map(|i| row.try_get_by_index::<i64>(i).unwrap())
                    .collect();
                rows.insert((table.to_owned(), dims), values);
            }
        }
        rows
    }

    async fn drop(self) {
        self.db.close().await.ok();
        if let Some((admin_url, name)) = self.postgres
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
            admin.close().await.ok();
        }
        std::fs::remove_file(&self.dead_letter).ok();
        if let Some(dir) = self.dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// What the writer has been given so far: the generations and each key's counters.
struct Expected {
    generations: Vec<generation::Model>,
    keys: BTreeMap<String, (i64, i64, bool)>,
}

impl Expected {
    fn new() -> Self {
        let mut keys = BTreeMap::new();
        for hash in [HOT, IDLE].into_iter().chain(COLD) {
            keys.insert(hash.to_owned(), (0, 0, false));
        }
        Expected {
            generations: Vec::new(),
            keys,
        }
    }

    /// Request `n`: its generation and its key's spend, plus (every tenth) extra spend on the
    /// hot key in the same request.
    fn request(&mut self, n: usize, at: DateTime<Utc>) -> Vec<UsageRecord> {
        let key = if n.is_multiple_of(4) {
            COLD[n % 3]
        } else {
            HOT
        };
        // Spread over days and hours, with and without an app, errors and latencies.
        let row = generation::Model {
            api_key_hash: key.into(),
            created_at: at + chrono::Duration::minutes(17 * n as i64),
            http_referer: n.is_multiple_of(3).then(|| "https://app.example".into()),
            app_title: n.is_multiple_of(5).then(|| "Title".into()),
            error: n.is_multiple_of(11).then(|| "upstream error".into()),
            latency_ms: (!n.is_multiple_of(13)).then_some((n * 37 % 5_000) as i64),
            generation_time_ms: n.is_multiple_of(2).then_some((n * 91 % 20_000) as i64),
            ..generation(n, at)
        };
        let mut spent = vec![(key, row.cost_nanos, row.upstream_cost_nanos)];
        if n.is_multiple_of(10) {
            spent.push((HOT, 3, None));
        }
        let mut records = vec![UsageRecord::Generation(Box::new(row.clone()))];
        for (key, cost, byok_upstream) in spent {
            let counters = self.keys.get_mut(key).unwrap();
            counters.0 += cost;
            counters.1 += byok_upstream.unwrap_or(0);
            counters.2 = true;
            records.push(UsageRecord::KeyUsage(KeyUsage::spent(
                key.into(),
                Nanos::from_nanos(cost),
                byok_upstream.map(Nanos::from_nanos),
            )));
        }
        self.generations.push(row);
        records
    }
}

/// The rollups as sums over the records, computed here independently of the writer: each
/// record's contributions added row by row, at every grain (its folded dimensions `''`).
fn rollups_of(generations: &[generation::Model]) -> BTreeMap<(String, Vec<String>), Vec<i64>> {
    let mut rows: BTreeMap<(String, Vec<String>), Vec<i64>> = BTreeMap::new();
    for g in generations {
        let (total, ttft) = rollup::timings(g);
        for (period, grain) in Period::ALL
            .into_iter()
            .flat_map(|p| Grain::ALL.map(|g| (p, g)))
        {
            let bucket = g.created_at.timestamp() / period.seconds() * period.seconds();
            let (key, endpoint, app) = match grain {
                Grain::Full => (true, true, true),
                Grain::Endpoint => (false, true, false),
                Grain::Key => (true, false, false),
                Grain::App => (false, false, true),
            };
            let kept = |keep: bool, value: &str| {
                if keep {
                    value.to_owned()
                } else {
                    String::new()
                }
            };
            let dims = vec![
                g.org_id.clone(),
                bucket.to_string(),
                kept(key, &g.api_key_hash),
                kept(endpoint, &g.model),
                kept(endpoint, g.provider.as_deref().unwrap_or_default()),
                kept(app, rollup::app_of(g)),
            ];
            let row = rows
                .entry((period.table(grain).to_owned(), dims))
                .or_insert_with(|| vec![0; rollup::SUM_COLUMNS.len() + 2 * BUCKETS]);
            let byok = if g.is_byok {
                g.upstream_cost_nanos.unwrap_or(0)
            } else {
                0
            };
            let sums = [
                1,
                g.error.is_some() as i64,
                g.cancelled as i64,
                g.tokens_prompt,
                g.tokens_completion,
                g.tokens_reasoning,
                g.tokens_cached,
                g.cost_nanos,
                byok,
                total.unwrap_or(0),
                ttft.unwrap_or(0),
            ];
            for (i, v) in sums.into_iter().enumerate() {
                row[i] += v;
            }
            let base = rollup::SUM_COLUMNS.len();
            if let Some(total) = total {
                row[base + histogram::bucket_of(total)] += 1;
            }
            if let Some(ttft) = ttft {
                row[base + BUCKETS + histogram::bucket_of(ttft)] += 1;
            }
        }
    }
    rows
}

async fn send(writer: &UsageWriter, expected: &mut Expected, requests: std::ops::Range<usize>) {
    let at = DateTime::parse_from_rfc3339("2026-11-23T01:02:03.000456Z")
        .unwrap()
        .with_timezone(&Utc);
    for n in requests {
        let records = expected.request(n, at);
        writer.record_with(move |batch| batch.extend(records)).await;
    }
}

/// Generations and key spend of several keys (one of them in most requests), across several
/// batches, read back exactly after `flush` and after `stop`.
async fn mixed_records_round_trip(database: TestDatabase) {
    let writer = database.writer().await;
    let mut expected = Expected::new();

    send(&writer, &mut expected, 0..BATCH + 37).await;
    writer.flush().await;
    database.assert_holds(&expected).await;

    send(&writer, &mut expected, BATCH + 37..3 * BATCH).await;
    writer.stop().await;
    database.assert_holds(&expected).await;
    database.drop().await;
}

#[tokio::test]
async fn mixed_records_round_trip_on_sqlite() {
    mixed_records_round_trip(TestDatabase::sqlite().await).await;
}

#[tokio::test]
async fn mixed_records_round_trip_on_postgres() {
    mixed_records_round_trip(TestDatabase::postgres().await).await;
}

/// The migration that added the coarser rollup grains fills them from the full grain's rows,
/// exactly: rolled back and applied again over written records, every table equals the sums
/// over the records.
async fn coarser_grains_are_filled_from_the_full_rollups(database: TestDatabase) {
    use migration::{Migrator, MigratorTrait};
    let writer = database.writer().await;
    let mut expected = Expected::new();
    send(&writer, &mut expected, 0..2 * BATCH + 11).await;
    writer.stop().await;
    database.assert_holds(&expected).await;
    // The grains' migration and the two index migrations after it.
    Migrator::down(&database.db, Some(3)).await.unwrap();
    Migrator::up(&database.db, None).await.unwrap();
    database.assert_holds(&expected).await;
    database.drop().await;
}

#[tokio::test]
async fn coarser_grains_are_filled_from_the_full_rollups_on_sqlite() {
    coarser_grains_are_filled_from_the_full_rollups(TestDatabase::sqlite().await).await;
}

#[tokio::test]
async fn coarser_grains_are_filled_from_the_full_rollups_on_postgres() {
    coarser_grains_are_filled_from_the_full_rollups(TestDatabase::postgres().await).await;
}

/// A request whose generation cannot be written (its id exists) fails the batch; the batch is
/// then written request by request: the others all commit, and the failing request's key
/// spend and debit do not commit without its generation (the generation's primary key is
/// what keeps a debit from being written twice). The failing request goes to the dead-letter
/// file, from which `replay` writes it once the conflict is gone.
async fn a_failing_request_commits_nothing_and_blocks_no_other(database: TestDatabase) {
    let writer = database.writer().await;
    let mut expected = Expected::new();
    send(&writer, &mut expected, 0..10).await;
    writer.flush().await;

    let duplicate = expected.generations[3].clone();
    let refused = duplicate.clone();
    writer
        .record_with(move |batch| {
            batch.push(UsageRecord::KeyUsage(KeyUsage::spent(
                HOT.into(),
                Nanos::from_nanos(1_000_000),
                None,
            )));
            batch.push(UsageRecord::Debit(Debit {
                org_id: refused.org_id.clone(),
                kind: EntryKind::Generation,
                generation_id: refused.id.clone(),
                amount: Nanos::from_nanos(1_000_000),
                lease_holder: "test".into(),
                key_lease: None,
                budget_lease: false,
            }));
            batch.push(UsageRecord::Generation(Box::new(refused)));
        })
        .await;
    send(&writer, &mut expected, 10..20).await;
    writer.stop().await;
    database.assert_holds(&expected).await;
    assert_eq!(writer.status().dead_lettered, 1);

    let text = std::fs::read_to_string(&database.dead_letter).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(
        lines[0]["records"][2]["generation"]["id"],
        duplicate.id.as_str()
    );
    assert_eq!(database.debits_of(&duplicate.id).await, 0);
    assert_eq!(
        lines[0]["records"][0]["key_usage"]["usage_nanos"],
        1_000_000
    );

    // The operator removes the conflicting row; the replay writes the request as it was.
    generation::Entity::delete_by_id(duplicate.id.clone())
        .exec(&database.db)
        .await
        .unwrap();
    let replayed = dead_letter::replay(&database.url, &database.dead_letter)
        .await
        .unwrap();
    assert_eq!(
        replayed,
        dead_letter::Replayed {
            written: 1,
            already_written: 0,
            failed: 0
        }
    );
    assert!(!database.dead_letter.exists());
    expected.keys.get_mut(HOT).unwrap().0 += 1_000_000;
    // Records and key spend; not the rollups, which kept the deleted row's share (rollups are
    // only ever added to) and now count the request twice.
    assert_eq!(database.generations().await, expected.generations);
    assert_eq!(database.key_counters().await, expected.keys);
    assert_eq!(database.debits_of(&duplicate.id).await, 1);
    // A second replay finds nothing to do.
    let again = dead_letter::replay(&database.url, &database.dead_letter)
        .await
        .unwrap();
    assert_eq!(again, dead_letter::Replayed::default());
    assert_eq!(database.debits_of(&duplicate.id).await, 1);
    database.drop().await;
}

#[tokio::test]
async fn a_failing_request_commits_nothing_and_blocks_no_other_on_sqlite() {
    a_failing_request_commits_nothing_and_blocks_no_other(TestDatabase::sqlite().await).await;
}

#[tokio::test]
async fn a_failing_request_commits_nothing_and_blocks_no_other_on_postgres() {
    a_failing_request_commits_nothing_and_blocks_no_other(TestDatabase::postgres().await).await;
}

/// The retention sweep deletes raw records older than the cutoff, a chunk at a time, and
/// nothing newer; the rollups, which the analytics read, stay exactly as they were.
async fn retention_deletes_old_records_and_keeps_rollups(database: TestDatabase) {
    let writer = database.writer().await;
    let mut expected = Expected::new();
    send(&writer, &mut expected, 0..600).await;
    writer.stop().await;
    database.assert_holds(&expected).await;
    let rollups = database.rollups().await;

    // Requests are 17 minutes apart: the cutoff falls after request 250.
    let cutoff = expected.generations[250].created_at + chrono::Duration::seconds(1);
    let old = expected
        .generations
        .iter()
        .filter(|g| g.created_at < cutoff)
        .count() as u64;
    assert_eq!(old, 251);

    assert_eq!(
        retention::delete_chunk(&database.db, cutoff, 100)
            .await
            .unwrap(),
        100
    );
    assert_eq!(database.generations().await.len(), 500);
    assert_eq!(
        retention::sweep(&database.db, cutoff, 100).await.unwrap(),
        old - 100
    );
    let kept = database.generations().await;
    let newer: Vec<_> = expected
        .generations
        .iter()
        .filter(|g| g.created_at >= cutoff)
        .cloned()
        .collect();
    assert_eq!(kept.len(), newer.len());
    assert!(kept.iter().all(|g| g.created_at >= cutoff));
    assert_eq!(database.rollups().await, rollups);
    assert_eq!(
        retention::sweep(&database.db, cutoff, 100).await.unwrap(),
        0
    );
    database.drop().await;
}

#[tokio::test]
async fn retention_deletes_old_records_and_keeps_rollups_on_sqlite() {
    retention_deletes_old_records_and_keeps_rollups(TestDatabase::sqlite().await).await;
}

#[tokio::test]
async fn retention_deletes_old_records_and_keeps_rollups_on_postgres() {
    retention_deletes_old_records_and_keeps_rollups(TestDatabase::postgres().await).await;
}
