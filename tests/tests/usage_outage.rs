//! PostgreSQL stops for a few seconds under load: afterwards no record is missing. The test
//! runs a PostgreSQL cluster of its own (initdb and pg_ctl from /usr/lib/postgresql/*/bin, as
//! the `postgres` user when run as root, on a free port), so that stopping it touches no one
//! else's database; it is stopped with `pg_ctl stop -m immediate` (connections cut, no
//! goodbye) and started again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use tests::process::{self, Keys, Kind, ServerProcess};

const CONCURRENCY: usize = 16;
const OUTAGE: Duration = Duration::from_secs(4);
/// Each worker sends at most one request per this interval (16 workers: at most 400 requests
/// a second). Unpaced, a fast machine filled three-quarters of the writer's 8,192-request queue
/// during the outage and its recovery, and the server then rightly refused requests with 503
/// (the documented backpressure), which the first test does not expect: at this pace the queue
/// holds over 15 s of outage.
const PACE: Duration = Duration::from_millis(40);

/// A PostgreSQL cluster in a temporary folder, owned by this test.
struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

impl PrivatePostgres {
    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command.args(args).output().expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start() -> PrivatePostgres {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries in /usr/lib/postgresql (the postgresql package)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .collect();
        versions.sort();
        let bin = versions
            .pop()
            .expect("initdb under /usr/lib/postgresql/*/bin");
        let dir = std::env::temp_dir().join(format!("sb-pg-outage-{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let pg = PrivatePostgres {
            bin,
            dir,
            port: process::free_port(),
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn up(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops it at once: every connection is cut, nothing is flushed politely.
    fn crash(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
                .ok();
        } else {
            Command::new(&program).args(args).output().ok();
        }
        remove(&self.dir);
    }
}

fn remove(dir: &Path) {
    std::fs::remove_dir_all(dir).ok();
}

/// Requests sent while the load runs: `(request id, status, when it was answered)`.
type Answered = Arc<Mutex<Vec<(String, u16, Instant)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopping_under_load_loses_no_record() {
    // Longer than the outage: every request is served through it, none refused.
    let answered = outage(60).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (_, status, _) in &answered {
        *statuses.entry(*status).or_default() += 1;
    }
    assert_eq!(statuses.keys().collect::<Vec<_>>(), [&200], "{statuses:?}");
}

/// With `USAGE_REFUSE_AFTER_SECS=1`, requests arriving while the writer has been failing for
/// longer are refused with 503 instead of queueing behind the database; once it is back they
/// are served again. No served request's record is missing either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_failing_writer_makes_new_requests_wait_outside_with_503() {
    let answered = outage(1).await;
    let refused = answered.iter().filter(|(_, s, _)| *s == 503).count();
    assert!(refused > 0, "no request was refused during the outage");
    assert!(answered.iter().all(|(_, s, _)| *s == 200 || *s == 503));
    // Served again after the outage: the last requests were.
    let last = answered.iter().max_by_key(|(_, _, at)| *at).unwrap();
    assert_eq!(last.1, 200);
}

/// Load on a server whose private PostgreSQL stops for [`OUTAGE`]; checks that every served
/// request has its record and returns what each request got.
async fn outage(refuse_after_secs: u32) -> Vec<(String, u16, Instant)> {
    let pg = PrivatePostgres::start();
    let admin = Database::connect(pg.url("postgres"))
        .await
        .expect("connect");
    admin
        .execute_unprepared("CREATE DATABASE switchboard")
        .await
        .unwrap();
    admin.close().await.ok();
    let url = pg.url("switchboard");
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig {
        workers: 2,
        ..Default::default()
    })
    .expect("emulator");
    let mut server = ServerProcess::start(
        &url,
        &emulator,
        &[
            ("USAGE_REFUSE_AFTER_SECS", refuse_after_secs.to_string()),
            ("SHUTDOWN_TIMEOUT_SECS", "10".into()),
        ],
    )
    .await;
    let api = server.api.clone();
    let keys = Keys::make(&api).await;

    let running = Arc::new(AtomicBool::new(true));
    let next = Arc::new(AtomicUsize::new(0));
    let answered: Answered = Arc::default();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (api, key) = (api.clone(), keys.funded.clone());
            let (running, next, answered) = (running.clone(), next.clone(), answered.clone());
            tokio::spawn(async move {
                let mut pace = tokio::time::interval(PACE);
                pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while running.load(Ordering::Relaxed) {
                    pace.tick().await;
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let kind = if n % 2 == 0 {
                        Kind::Whole
                    } else {
                        Kind::Stream
                    };
                    let id = format!("out-{n}");
                    let status = process::send(&api, &key, kind, &id).await;
                    answered.lock().unwrap().push((id, status, Instant::now()));
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    let down = Instant::now();
    pg.crash();
    tokio::time::sleep(OUTAGE).await;
    if refuse_after_secs < OUTAGE.as_secs() as u32 {
        // The refusal starts once the writer has *seen* failures for `refuse_after_secs`; on a
        // loaded machine its first failure can come late in a short outage. The outage then
        // lasts until a request has been refused (bounded), so the test judges the behaviour,
        // not the machine's speed.
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline
            && !answered.lock().unwrap().iter().any(|(_, s, _)| *s == 503)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    pg.up();
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The writer reconnects with backoff (up to 2 s); on a loaded machine recovery can take
    // longer than the 3 s above. Keep the load on until requests are served again (bounded),
    // then a moment more, so the last answers show the recovery.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && !answered
            .lock()
            .unwrap()
            .iter()
            .any(|(_, s, at)| *s == 200 && *at > up + Duration::from_secs(3))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    server.terminate();
    let status = server.exited(Duration::from_secs(60)).await;
    assert!(
        status.success(),
        "exit status {status}; logs:\n{}",
        server.logs()
    );

    let answered = answered.lock().unwrap().clone();
    let served: Vec<&String> = answered
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .map(|(id, _, _)| id)
        .collect();
    let during = answered
        .iter()
        .filter(|(_, status, at)| *status == 200 && *at > down && *at < up)
        .count();
    // Requests were served while the database was down (the hot path needs none), and the
    // writer met the outage.
    assert!(during > 0, "no request was served during the outage");
    let logs = server.logs();
    // It either failed (connections refused) or waited (on the database that went away
    // mid-commit, or on a connection): both show the outage.
    assert!(
        logs.contains("writing usage records failed; retrying")
            || logs.contains("writing usage records is slow"),
        "the writer never met the outage:\n{logs}"
    );
    // An outage the writer counted as failing ends with its recovery; one it only waited out
    // (the database back before the attempt stalled) ends with the slow write completing.
    let failed = logs.contains("writing usage records failed; retrying")
        || logs.contains("writing usage records stalled");
    if failed {
        assert!(logs.contains("usage writer recovered"), "{logs}");
    } else {
        assert!(logs.contains("the slow usage write completed"), "{logs}");
    }

    // Every request served has its record, and there is no other.
    let records = process::records(&url).await;
    let mut recorded: Vec<&String> = records
        .iter()
        .filter_map(|r| r.request_id.as_ref())
        .collect();
    recorded.sort();
    let mut expected = served.clone();
    expected.sort();
    if recorded != expected {
        // Name what differs: each such request's answer and record.
        let differing: Vec<String> = answered
            .iter()
            .filter(|(id, status, _)| (*status == 200) != recorded.contains(&id))
            .map(|(id, status, at)| {
                let record = records.iter().find(|r| r.request_id.as_ref() == Some(id));
                format!(
                    "{id}: answered {status} at {:?} after the outage began; record {record:?}",
                    at.saturating_duration_since(down)
                )
            })
            .collect();
        panic!(
            "served requests and records differ:\n{}\nlogs:\n{logs}",
            differing.join("\n")
        );
    }
    for record in &records {
        assert_eq!(record.debited_nanos, record.cost_nanos, "{record:?}");
        assert_eq!(
            record.debits,
            i64::from(record.cost_nanos > 0),
            "{record:?}"
        );
    }
    let refused = answered.iter().filter(|(_, s, _)| *s != 200).count();
    eprintln!(
        "outage of {:.1} s survived (refusing after {refuse_after_secs} s): {} requests served ({during} during the outage), {refused} not served, {} records",
        (up - down).as_secs_f64(),
        served.len(),
        records.len()
    );
    answered
}
