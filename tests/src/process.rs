//! The server binary as a process, for tests that signal it (SIGTERM) or take its database
//! away: started with an environment of the test's choosing, providers pointed at an
//! emulator, its logs kept; and a load of chat requests of every kind, each tagged with its
//! own `X-Request-Id`, whose generation records the test then reads from the database.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;

use crate::{Api, PROVIDER_ENV_PREFIXES};

/// `SWITCHBOARD_BIN`, else the `switchboard` binary of this test's target folder.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SWITCHBOARD_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = profile_dir.join("switchboard");
    assert!(
        path.exists(),
        "build the server first (`cargo build -p server`) or set SWITCHBOARD_BIN; looked at {}",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The server binary, running.
pub struct ServerProcess {
    pub api: Api,
    pub data_dir: PathBuf,
    child: Child,
    /// Everything it wrote to stderr (its logs).
    logs: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// Starts the binary on `database_url` with its providers at `emulator`, no rate limits to
    /// speak of, and `env` on top; waits until it is ready.
    pub async fn start(
        database_url: &str,
        emulator: &provider_emulator::RunningEmulator,
        env: &[(&str, String)],
    ) -> ServerProcess {
        let data_dir = std::env::temp_dir().join(format!(
            "switchboard-process-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let port = free_port();
        let key = emulator.api_key().unwrap_or("test-key").to_owned();
        let mut command = Command::new(binary());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", &data_dir)
            .env("DATABASE_URL", database_url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("ADMIN_EMAIL", crate::ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", crate::PASSWORD)
            .env("JWT_SECRET", "test-secret-0123456789abcdef0123456789abcdef")
            .env("RATE_LIMIT_KEY_REQUESTS_PER_WINDOW", "10000000")
            .env("RATE_LIMIT_ORG_REQUESTS_PER_WINDOW", "10000000")
            .env("SIGNUP_PER_IP_PER_HOUR", "10000")
            .env("LOG", "warn")
            .env("NO_PROXY", "127.0.0.1");
        for provider in PROVIDER_ENV_PREFIXES {
            let base = match *provider {
                "ANTHROPIC" | "GEMINI" => emulator.base_url.clone(),
                _ => emulator.openai_base(),
            };
            command
                .env(format!("{provider}_API_KEY"), &key)
                .env(format!("{provider}_BASE_URL"), base);
        }
        let mut child = command
            .envs(env.iter().map(|(name, value)| (*name, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server binary");
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut logs = sink.lock().expect("logs");
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let api = Api {
            database_url: Some(database_url.to_owned()),
            ..Api::new(&format!("http://127.0.0.1:{port}"))
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = api.http.get(format!("{}/ready", api.base)).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Some(status) = child.try_wait().expect("wait") {
                panic!(
                    "the server exited ({status}): {}",
                    logs.lock().expect("logs")
                );
            }
            assert!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess {
            api,
            data_dir,
            child,
            logs,
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits (up to `within`) for the process to exit; its exit status.
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit; logs:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs").clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}

/// The kinds of chat request a load mixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole response.
    Whole,
    /// A stream read to `[DONE]`.
    Stream,
    /// The upstream answers 500 (no attempt succeeds): a failed generation.
    UpstreamError,
    /// A slow stream the client drops after its first chunk: a cancelled generation.
    Disconnect,
    /// From an organization without credit: refused with 402 before routing.
    Refused,
}

impl Kind {
    /// The mix: request `n`'s kind.
    pub fn of(n: usize) -> Kind {
        match n % 10 {
            0..=2 => Kind::Whole,
            3..=5 => Kind::Stream,
            6 => Kind::UpstreamError,
            7 => Kind::Disconnect,
            8 => Kind::Refused,
            _ => Kind::Stream,
        }
    }
}

/// One request of `kind` with `X-Request-Id: request_id`; the status it got (0: no answer,
/// the connection failed).
pub async fn send(api: &Api, key: &str, kind: Kind, request_id: &str) -> u16 {
    let (stream, text) = match kind {
        Kind::Whole | Kind::Refused => (false, "Hello there".to_owned()),
        Kind::Stream => (true, "Hello stream".to_owned()),
        Kind::UpstreamError => (false, "[[emulator: status=500]] fail".to_owned()),
        Kind::Disconnect => (
            true,
            "[[emulator: chunk-delay-ms=30 reply-tokens=40]] slow".to_owned(),
        ),
    };
    let body = json!({
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 64,
        "stream": stream,
    });
    let sent = api
        .http
        .post(format!("{}/api/v1/chat/completions", api.base))
        .bearer_auth(key)
        .header("X-Request-Id", request_id)
        .json(&body)
        .send()
        .await;
    let Ok(response) = sent else {
        return 0;
    };
    let status = response.status().as_u16();
    let echoed = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(echoed.as_deref(), Some(request_id), "X-Request-Id echoed");
    if kind == Kind::Disconnect && status == 200 {
        let mut body = response.bytes_stream();
        // Past the keep-alive comments to the first content chunk, then gone.
        let mut seen = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            seen.extend_from_slice(&chunk);
            if seen.windows(6).any(|w| w == b"\"delta") {
                break;
            }
        }
        return status;
    }
    response.bytes().await.ok();
    status
}

/// Runs `count` requests `first..first + count` (`Kind::of(n)`, request id `<prefix>-<n>`)
/// with at most `concurrency` at a time; returns each one's status by `n`.
pub async fn load(
    api: &Api,
    keys: &Keys,
    prefix: &str,
    range: std::ops::Range<usize>,
    concurrency: usize,
) -> Vec<(usize, u16)> {
    futures_util::stream::iter(range)
        .map(|n| {
            let kind = Kind::of(n);
            let key = if kind == Kind::Refused {
                keys.unfunded.clone()
            } else {
                keys.funded.clone()
            };
            let api = api.clone();
            let id = format!("{prefix}-{n}");
            async move { (n, send(&api, &key, kind, &id).await) }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

/// An inference key of a funded organization and one of an organization with no credit.
pub struct Keys {
    pub funded: String,
    pub funded_org: String,
    pub unfunded: String,
}

impl Keys {
    pub async fn make(api: &Api) -> Keys {
        let user = api.signup(&crate::email("load")).await;
        let (funded, _) = api.create_key(&user, None, json!({ "name": "load" })).await;
        let broke = api.signup_unfunded(&crate::email("broke")).await;
        let (unfunded, _) = api
            .create_key(&broke, None, json!({ "name": "broke" }))
            .await;
        Keys {
            funded,
            funded_org: user.personal_org,
            unfunded,
        }
    }
}

/// A generation record as the tests check it, and its ledger debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: String,
    pub request_id: Option<String>,
    pub status: i32,
    pub cost_nanos: i64,
    pub cancelled: bool,
    pub streamed: bool,
    /// The ledger's generation debits referencing it (positive: what was taken).
    pub debited_nanos: i64,
    pub debits: i64,
}

/// Every generation record of the database with its debits.
pub async fn records(database_url: &str) -> Vec<Recorded> {
    let db: DatabaseConnection = Database::connect(database_url).await.expect("database");
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT g.id, g.request_id, g.status, g.cost_nanos, g.cancelled, g.streamed, \
             CAST(COALESCE(SUM(-l.amount_nanos), 0) AS BIGINT) AS debited, COUNT(l.reference) AS debits \
             FROM generations g LEFT JOIN ledger_entries l \
               ON l.reference = g.id AND l.kind IN ('generation', 'byok_fee') \
             GROUP BY g.id, g.request_id, g.status, g.cost_nanos, g.cancelled, g.streamed",
        ))
        .await
        .expect("read the records");
    let records = rows
        .iter()
        .map(|row| Recorded {
            id: row.try_get("", "id").expect("id"),
            request_id: row.try_get("", "request_id").expect("request_id"),
            status: row.try_get("", "status").expect("status"),
            cost_nanos: row.try_get("", "cost_nanos").expect("cost"),
            cancelled: row.try_get("", "cancelled").expect("cancelled"),
            streamed: row.try_get("", "streamed").expect("streamed"),
            debited_nanos: row.try_get("", "debited").expect("debited"),
            debits: row.try_get("", "debits").expect("debits"),
        })
        .collect();
    db.close().await.ok();
    records
}

/// The ledger's generation debits in total (every debit, whether or not a record has it).
pub async fn ledger_generation_debits(database_url: &str) -> (i64, i64) {
    let db = Database::connect(database_url).await.expect("database");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(COALESCE(SUM(-amount_nanos), 0) AS BIGINT) AS total, COUNT(*) AS n \
             FROM ledger_entries \
             WHERE kind IN ('generation', 'byok_fee')",
        ))
        .await
        .expect("read the ledger")
        .expect("a row");
    let sums = (
        row.try_get("", "total").expect("total"),
        row.try_get("", "n").expect("n"),
    );
    db.close().await.ok();
    sums
}

/// Per organization, `(requests, cost_nanos, prompt_tokens, completion_tokens)` summed over
/// the generation records (first, named `generations`), then the same sums over each rollup
/// table (named by the table: every period at every grain).
pub async fn rollup_sums(database_url: &str) -> Vec<(String, Vec<[i64; 4]>)> {
    const ROLLUP_TABLES: [&str; 8] = [
        "usage_rollups_hourly",
        "usage_rollups_daily",
        "usage_rollups_hourly_by_endpoint",
        "usage_rollups_daily_by_endpoint",
        "usage_rollups_hourly_by_key",
        "usage_rollups_daily_by_key",
        "usage_rollups_hourly_by_app",
        "usage_rollups_daily_by_app",
    ];
    let db = Database::connect(database_url).await.expect("database");
    let backend = db.get_database_backend();
    let mut sums = Vec::new();
    let records = "SELECT org_id, COUNT(*) AS a, CAST(SUM(cost_nanos) AS BIGINT) AS b, \
         CAST(SUM(tokens_prompt) AS BIGINT) AS c, CAST(SUM(tokens_completion) AS BIGINT) AS d \
         FROM generations GROUP BY org_id ORDER BY org_id"
        .to_owned();
    let rollups = ROLLUP_TABLES.map(|table| {
        let sql = format!(
            "SELECT org_id, CAST(SUM(requests) AS BIGINT) AS a, CAST(SUM(cost_nanos) AS BIGINT) AS b, \
             CAST(SUM(prompt_tokens) AS BIGINT) AS c, CAST(SUM(completion_tokens) AS BIGINT) AS d \
             FROM {table} GROUP BY org_id ORDER BY org_id"
        );
        (table, sql)
    });
    for (name, sql) in std::iter::once(("generations", records)).chain(rollups) {
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("sum");
        let per_org = rows
            .iter()
            .map(|row| ["a", "b", "c", "d"].map(|c| row.try_get::<i64>("", c).expect("a sum")))
            .collect();
        sums.push((name.to_owned(), per_org));
    }
    db.close().await.ok();
    sums
}

/// A database of the test's own, in `dir` (SQLite) or, with `TEST_DATABASE=postgres`, a new
/// PostgreSQL database: `(url, PostgreSQL database name to drop with [`drop_database`])`.
pub async fn own_database(dir: &std::path::Path, prefix: &str) -> (String, Option<String>) {
    if !crate::using_postgres() {
        return (
            format!("sqlite://{}/{prefix}.db?mode=rwc", dir.display()),
            None,
        );
    }
    let admin_url = crate::postgres_admin_url();
    let name = format!("sb_test_{prefix}_{:08x}", rand::random::<u32>());
    let admin = Database::connect(&admin_url).await.expect("PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the database");
    admin.close().await.ok();
    let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
    (format!("{base}/{name}"), Some(name))
}

/// Drops a database [`own_database`] created.
pub async fn drop_database(name: Option<String>) {
    let Some(name) = name else { return };
    if let Ok(admin) = Database::connect(crate::postgres_admin_url()).await {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
        admin.close().await.ok();
    }
}
