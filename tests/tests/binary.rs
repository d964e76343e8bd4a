//! The real binary, as the README runs it: embedded SQLite default, generated secrets,
//! the admin from the environment, graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::{Api, email};

/// `SWITCHBOARD_BIN`, else the `switchboard` binary next to this test's own target folder.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SWITCHBOARD_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("switchboard");
    assert!(
        path.exists(),
        "build the server first (`cargo build -p server`) or set SWITCHBOARD_BIN; looked at {}",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &std::path::Path, port: u16) -> Child {
    start_with(data_dir, port, &[])
}

fn start_with(data_dir: &std::path::Path, port: u16, env: &[(&str, String)]) -> Child {
    Command::new(binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("ADMIN_EMAIL", "owner@switchboard.test")
        .env("LOG", "warn")
        .envs(env.iter().map(|(name, value)| (*name, value)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server binary")
}

async fn wait_ready(api: &Api) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = api.http.get(format!("{}/ready", api.base)).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn runs_on_embedded_sqlite_with_no_setup_and_stops_gracefully() {
    let data_dir =
        std::env::temp_dir().join(format!("switchboard-bin-{:08x}", rand::random::<u32>()));
    let port = free_port();
    let mut child = start(&data_dir, port);
    let stdout = child.stdout.take().unwrap();
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    wait_ready(&api).await;

    // The first admin's generated password is printed once.
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().expect("a line").unwrap();
    let password = line.rsplit(' ').next().unwrap().to_owned();
    assert!(
        line.contains("owner@switchboard.test") && password.len() >= 16,
        "{line}"
    );
    let login = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "owner@switchboard.test", "password": password }),
        )
        .await;
    let token = login.expect(200)["token"].as_str().unwrap().to_owned();
    let me = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.expect(200)["user"]["is_platform_admin"], json!(true));
    assert!(data_dir.join("switchboard.db").exists());
    assert!(data_dir.join("jwt_secret").exists());

    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status}");

    // A restart keeps data and the generated JWT secret (the old session token still works),
    // and does not create the admin again.
    let port = free_port();
    let mut child = start(&data_dir, port);
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    wait_ready(&api).await;
    api.get("/api/v1/me", Some(&token)).await.expect(200);
    let status = terminate(&mut child);
    assert!(status.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(!out.contains("generated password"), "{out}");
    std::fs::remove_dir_all(&data_dir).ok();
}

/// An HTTP proxy that serves CONNECT tunnels and notes each tunnel's target.
fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = targets.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || tunnel(client, &seen));
        }
    });
    (addr, targets)
}

fn tunnel(mut client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read_exact(&mut byte).is_err() {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let Some(target) = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
    else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            .ok();
        return;
    };
    seen.lock().unwrap().push(target.to_owned());
    let Ok(mut upstream) = TcpStream::connect(target) else {
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (mut from_client, mut to_upstream) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    std::thread::spawn(move || {
        std::io::copy(&mut from_client, &mut to_upstream).ok();
        to_upstream.shutdown(Shutdown::Write).ok();
    });
    std::io::copy(&mut upstream, &mut client).ok();
    client.shutdown(Shutdown::Write).ok();
}

/// Upstream calls honour the environment's proxy settings as curl reads them (`HTTP_PROXY`,
/// `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`): the request reaches the provider through the
/// proxy's CONNECT tunnel, and with the host in `NO_PROXY` it goes straight there.
#[tokio::test]
async fn upstream_requests_go_through_the_environments_proxy() {
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
        .expect("emulator");
    let provider_key = emulator.api_key().unwrap_or("test-key").to_owned();
    let emulator_host = emulator.base_url.trim_start_matches("http://").to_owned();
    let (proxy, tunnels) = connect_proxy();
    for (no_proxy, tunnelled) in [("", true), ("127.0.0.1", false)] {
        tunnels.lock().unwrap().clear();
        let data_dir =
            std::env::temp_dir().join(format!("switchboard-proxy-{:08x}", rand::random::<u32>()));
        let port = free_port();
        let mut child = start_with(
            &data_dir,
            port,
            &[
                ("OPENAI_API_KEY", provider_key.clone()),
                ("OPENAI_BASE_URL", emulator.openai_base()),
                ("HTTP_PROXY", format!("http://{proxy}")),
                ("NO_PROXY", no_proxy.to_owned()),
            ],
        );
        let api = Api {
            // The binary's default database, which `signup` funds.
            database_url: Some(format!(
                "sqlite://{}/switchboard.db?mode=rwc",
                data_dir.display()
            )),
            ..Api::new(&format!("http://127.0.0.1:{port}"))
        };
        wait_ready(&api).await;
        let user = api.signup(&email("proxy")).await;
        let (key, _) = api.create_key(&user, None, json!({ "name": "p" })).await;
        let body = json!({ "model": "openai/gpt-4o-mini",
            "messages": [{ "role": "user", "content": "through the proxy" }] });
        let reply = api.post("/api/v1/chat/completions", Some(&key), body).await;
        let answer = reply.expect(200)["choices"][0]["message"]["content"].clone();
        assert_eq!(answer, "You said: through the proxy");
        let seen = tunnels.lock().unwrap().clone();
        if tunnelled {
            assert_eq!(seen, vec![emulator_host.clone()]);
        } else {
            assert!(seen.is_empty(), "{seen:?}");
        }
        assert!(terminate(&mut child).success());
        std::fs::remove_dir_all(&data_dir).ok();
    }
}

/// `switchboard reconcile` checks every organization's cached balance against its ledger:
/// exit 0 when they agree, 1 (naming the organization) when a balance was tampered with.
#[tokio::test]
async fn the_reconcile_command_finds_a_balance_that_disagrees_with_its_ledger() {
    use sea_orm::ConnectionTrait;
    let data_dir = std::env::temp_dir().join(format!(
        "switchboard-reconcile-{:08x}",
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = format!("sqlite://{}/switchboard.db?mode=rwc", data_dir.display());
    let api = Api {
        database_url: Some(url.clone()),
        ..Api::new("http://127.0.0.1:9")
    };
    let db = server::db::connect(&url, 1).await.unwrap();
    server::db::migrate(&db).await.unwrap();
    api.fund("org_reconciled", "3.5").await;
    api.fund("org_tampered", "2").await;
    let reconcile = || {
        Command::new(binary())
            .arg("reconcile")
            .env_clear()
            .env("DATA_DIR", &data_dir)
            .env("LOG", "warn")
            .output()
            .expect("run switchboard reconcile")
    };
    let clean = reconcile();
    let printed: serde_json::Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert!(clean.status.success(), "{printed}");
    assert_eq!(printed["organizations"], 2);
    assert_eq!(printed["mismatches"], json!([]));

    db.execute_unprepared(
        "UPDATE org_credit SET balance_nanos = balance_nanos + 1 WHERE org_id = 'org_tampered'",
    )
    .await
    .unwrap();
    let tampered = reconcile();
    let printed: serde_json::Value = serde_json::from_slice(&tampered.stdout).unwrap();
    assert_eq!(tampered.status.code(), Some(1), "{printed}");
    assert_eq!(printed["mismatches"][0]["org_id"], "org_tampered");
    assert_eq!(
        printed["mismatches"][0]["ledger"]["balance_nanos"],
        2_000_000_000
    );
    assert_eq!(
        printed["mismatches"][0]["cached"]["balance_nanos"],
        2_000_000_001
    );
    db.close().await.ok();
    std::fs::remove_dir_all(&data_dir).ok();
}
