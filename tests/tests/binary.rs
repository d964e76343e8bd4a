//! The real binary, as the README runs it: embedded SQLite default, generated secrets,
//! the admin from the environment, graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::Api;

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
    Command::new(binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("ADMIN_EMAIL", "owner@switchboard.test")
        .env("LOG", "warn")
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
