//! Stripe's webhook against bad deliveries (wrong secret, stale timestamp, tampered or
//! malformed bodies, sessions that are not ours) and deliveries signed by Stripe's official
//! Python library (whose verification also accepts ours).

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::json;
use server::billing::money::Nanos;
use server::billing::stripe::signature;
use tests::shop::*;
use tests::stripe_fake::{FakeStripe, WEBHOOK_SECRET};

#[tokio::test]
async fn bad_deliveries_are_refused_and_change_nothing() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 20.0).await;
    let body = FakeStripe::event("checkout.session.completed", &session);

    let wrong_secret = signature::sign(body.as_bytes(), "whsec_wrong", now());
    let reply = deliver_reply(api, &body, Some(&wrong_secret)).await;
    assert!(
        reply
            .expect_error(400)
            .contains("No signatures found matching")
    );
    let stale = signature::sign(body.as_bytes(), WEBHOOK_SECRET, now() - 301);
    let reply = deliver_reply(api, &body, Some(&stale)).await;
    assert!(
        reply
            .expect_error(400)
            .contains("Timestamp outside the tolerance zone")
    );
    assert_eq!(deliver(api, &body, None).await, 400);
    assert_eq!(deliver(api, &body, Some("nonsense")).await, 400);
    let t = now();
    assert_eq!(
        deliver(api, &body, Some(&format!("t={t},v0=abc"))).await,
        400
    );
    // A signed body altered on the way.
    let tampered = body.replace("\"paid\"", "\"paid\" ");
    assert_eq!(deliver(api, &tampered, Some(&signed(&body))).await, 400);
    // Correctly signed, but not an event.
    for malformed in [
        "not json",
        "{}",
        r#"{"type":"charge.refunded","data":{"object":{}}}"#,
    ] {
        let reply = deliver_reply(api, malformed, Some(&signed(malformed))).await;
        assert!(reply.expect_error(400).contains("Malformed"), "{malformed}");
    }
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // Unknown events and unpaid sessions are acknowledged and ignored.
    let unknown = FakeStripe::event("customer.created", &json!({ "id": "cus_1" }));
    assert_eq!(deliver_signed(api, &unknown).await["result"], "ignored");
    let mut unpaid = session.clone();
    unpaid["payment_status"] = json!("unpaid");
    let unpaid = FakeStripe::event("checkout.session.completed", &unpaid);
    assert_eq!(deliver_signed(api, &unpaid).await["result"], "not paid yet");
    // A session that is not ours, or whose amount or organization was changed, credits
    // nothing.
    let mut foreign = session.clone();
    foreign["id"] = json!("cs_test_not_ours");
    let foreign = FakeStripe::event("checkout.session.completed", &foreign);
    assert_eq!(deliver_signed(api, &foreign).await["result"], "ignored");
    let mut inflated = session.clone();
    inflated["amount_total"] = json!(1);
    let inflated = FakeStripe::event("checkout.session.completed", &inflated);
    assert_eq!(deliver_signed(api, &inflated).await["result"], "ignored");
    let mut moved = session.clone();
    moved["metadata"]["org_id"] = json!("org_someone_else");
    let moved = FakeStripe::event("checkout.session.completed", &moved);
    assert_eq!(deliver_signed(api, &moved).await["result"], "ignored");
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // The genuine delivery still credits.
    assert_eq!(deliver_signed(api, &body).await["result"], "credited");
    assert_eq!(balance(api, token).await, dollars("20"));
    assert_reconciled(api).await;
    shop.server.stop().await;
}

/// The official `stripe` Python library, in a virtual environment under ~/.cache.
fn stripe_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let home = std::env::var("HOME").expect("HOME");
        let venv = PathBuf::from(home).join(".cache/switchboard-clients/stripe-venv");
        let python = venv.join("bin/python");
        let run = |cmd: &mut std::process::Command| {
            let status = cmd.status().expect("run");
            assert!(status.success(), "{cmd:?} failed");
        };
        if !python.exists() {
            run(std::process::Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv));
        }
        let requirements = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/clients/stripe/requirements.txt"
        );
        run(std::process::Command::new(venv.join("bin/pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ]));
        python
    })
}

fn python_stripe(args: &[&str], payload: &str) -> Result<String, String> {
    let python = stripe_python();
    let file =
        std::env::temp_dir().join(format!("stripe-event-{:08x}.json", rand::random::<u32>()));
    std::fs::write(&file, payload).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/clients/stripe/webhook_signature.py"
    );
    let mut all = vec![script, args[0], args[1], file.to_str().unwrap()];
    all.extend_from_slice(&args[2..]);
    let out = std::process::Command::new(python)
        .args(&all)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test]
async fn deliveries_signed_by_stripes_python_library_are_accepted() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 25.0).await;
    let body = FakeStripe::event("checkout.session.completed", &session);

    // The library's own header for our body, with the wrong secret and stale: refused.
    let (b, t) = (body.clone(), now().to_string());
    let wrong = tokio::task::spawn_blocking(move || python_stripe(&["sign", "whsec_nope"], &b))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deliver(api, &body, Some(&wrong)).await, 400);
    let b = body.clone();
    let old = (now() - 400).to_string();
    let stale =
        tokio::task::spawn_blocking(move || python_stripe(&["sign", WEBHOOK_SECRET, &old], &b))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(deliver(api, &body, Some(&stale)).await, 400);
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // With the right secret: credited once.
    let b = body.clone();
    let header =
        tokio::task::spawn_blocking(move || python_stripe(&["sign", WEBHOOK_SECRET, &t], &b))
            .await
            .unwrap()
            .unwrap();
    assert!(header.starts_with("t="), "{header}");
    let reply = deliver_reply(api, &body, Some(&header)).await;
    assert_eq!(reply.expect(200)["result"], "credited");
    let reply = deliver_reply(api, &body, Some(&header)).await;
    assert_eq!(reply.expect(200)["result"], "already credited");
    assert_eq!(balance(api, token).await, dollars("25"));

    // And the library accepts the headers our code makes (the same scheme both ways).
    let (b, ours) = (body.clone(), signed(&body));
    let verified =
        tokio::task::spawn_blocking(move || python_stripe(&["verify", WEBHOOK_SECRET, &ours], &b))
            .await
            .unwrap();
    assert_eq!(verified.as_deref(), Ok("checkout.session.completed"));
    let (b, ours) = (body.clone(), signed(&body));
    let refused =
        tokio::task::spawn_blocking(move || python_stripe(&["verify", "whsec_nope", &ours], &b))
            .await
            .unwrap();
    assert!(
        refused
            .unwrap_err()
            .contains("No signatures found matching")
    );
    assert_reconciled(api).await;
    shop.server.stop().await;
}
