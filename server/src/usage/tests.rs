//! The usage writer end to end, on SQLite and on PostgreSQL (a database of its own on
//! `TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped after).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use entity::{api_key, generation, organization};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, EntityTrait, IntoActiveModel, QueryOrder,
};

use super::record::{KeyUsage, UsageRecord};
use super::writer::{BATCH, UsageWriter};
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
        attempts: serde_json::json!([{"provider": "OpenAI", "status": 200}]),
        error: None,
        created_at: at + chrono::Duration::microseconds(n as i64 * 1_234),
        capped_max_tokens: n.is_multiple_of(7).then_some(n as i64 * 10),
        api_type: ["chat", "responses", "messages"][n % 3].into(),
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
        TestDatabase {
            url,
            db,
            postgres,
            dir,
        }
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

    /// Everything given to the writer is committed, and nothing else.
    async fn assert_holds(&self, expected: &Expected) {
        assert_eq!(self.generations().await, expected.generations);
        assert_eq!(self.key_counters().await, expected.keys);
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
        let row = generation::Model {
            api_key_hash: key.into(),
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
    let writer = UsageWriter::start(&database.url).await.unwrap();
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

/// A request whose generation cannot be written (its id exists) fails the batch; the batch is
/// then written request by request: the others all commit, and the failing request's key
/// spend does not commit without its generation.
async fn a_failing_request_commits_nothing_and_blocks_no_other(database: TestDatabase) {
    let writer = UsageWriter::start(&database.url).await.unwrap();
    let mut expected = Expected::new();
    send(&writer, &mut expected, 0..10).await;
    writer.flush().await;

    let duplicate = expected.generations[3].clone();
    writer
        .record_with(move |batch| {
            batch.push(UsageRecord::KeyUsage(KeyUsage::spent(
                HOT.into(),
                Nanos::from_nanos(1_000_000),
                None,
            )));
            batch.push(UsageRecord::Generation(Box::new(duplicate)));
        })
        .await;
    send(&writer, &mut expected, 10..20).await;
    writer.stop().await;
    database.assert_holds(&expected).await;
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
