//! A webhook receiver for the alert tests: a plain HTTP/1.1 listener on 127.0.0.1 that records
//! every request (headers, body, time) and answers 500 to the first `fail_first` of them, 200
//! after. Signatures are checked here with the `hmac` crate, independently of the server's code.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Delivery {
    /// Lower-case header names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// What the receiver answered.
    pub status: u16,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether `X-Switchboard-Signature` is `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let Some(header) = self.headers.get("x-switchboard-signature") else {
            return false;
        };
        let Some((t, v1)) = header
            .split_once(',')
            .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let Ok(given) = hex::decode(v1) else {
            return false;
        };
        let fresh = t
            .parse::<i64>()
            .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
        fresh && mac.verify_slice(&given).is_ok()
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    /// Listens on an ephemeral port; the first `fail_first` requests get 500.
    pub async fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/alerts", listener.local_addr().unwrap());
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(AtomicUsize::new(0));
        let recording = deliveries.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let recording = recording.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some((headers, body)) = read_request(&mut socket).await else {
                        return;
                    };
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    let status = if n < fail_first { 500 } else { 200 };
                    recording.lock().unwrap().push(Delivery {
                        headers,
                        body,
                        at: Instant::now(),
                        status,
                    });
                    let reply = format!(
                        "HTTP/1.1 {status} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        if status == 200 {
                            "OK"
                        } else {
                            "Internal Server Error"
                        }
                    );
                    socket.write_all(reply.as_bytes()).await.ok();
                    socket.shutdown().await.ok();
                });
            }
        });
        Receiver { url, deliveries }
    }

    /// Every request received so far (failed ones too), in arrival order.
    pub fn all(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// The requests answered 200.
    pub fn delivered(&self) -> Vec<Delivery> {
        self.all().into_iter().filter(|d| d.status == 200).collect()
    }

    /// Waits until `count` requests were answered 200 (panics after `within`).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + within;
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} webhook deliveries arrived: {:?}",
                delivered.len(),
                delivered.iter().map(Delivery::json).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn read_request(
    socket: &mut tokio::net::TcpStream,
) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, body))
}
