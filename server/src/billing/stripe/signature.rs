//! `Stripe-Signature` verification, the scheme of Stripe's own libraries
//! (`stripe.WebhookSignature`): the header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; each
//! `v1` is HMAC-SHA256 keyed by the endpoint secret over `<t>.<raw body>`. Any matching `v1`
//! is enough (Stripe sends several while a secret is being rolled); other schemes (`v0`) are
//! ignored. The comparison is constant-time, and a timestamp older than the tolerance is
//! refused so that a captured delivery cannot be replayed later. The body must be the raw
//! bytes: re-serialised JSON would not match.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance: five minutes.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery was refused; the messages are those of Stripe's libraries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Unable to extract timestamp and signatures from header")]
    Malformed,
    #[error("No signatures found with expected scheme v1")]
    NoV1,
    #[error("No signatures found matching the expected signature for payload")]
    Mismatch,
    #[error("Timestamp outside the tolerance zone ({0})")]
    Stale(i64),
}

/// Verifies `header` for `payload` with `secret`, at `now` (unix seconds).
pub fn verify(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoV1);
    }
    let matched = signatures.iter().any(|hex_sig| {
        // A `v1` that is not hex cannot match; decoding leaks nothing about the secret.
        hex::decode(hex_sig).is_ok_and(|bytes| {
            // `verify_slice` compares in constant time.
            mac(secret, timestamp, payload).verify_slice(&bytes).is_ok()
        })
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    // Stripe's libraries check only the past side; a clock ahead of ours is not an attack.
    if timestamp < now - tolerance_secs {
        return Err(SignatureError::Stale(timestamp));
    }
    Ok(())
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `timestamp` (for tests
/// and the fake Stripe).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/stripe");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn vector() -> serde_json::Value {
        let doc: serde_json::Value =
            serde_json::from_slice(&fixture("webhook_signature.json")).unwrap();
        doc["test_vector"].clone()
    }

    #[test]
    fn the_published_vector_verifies() {
        let v = vector();
        let payload = fixture(v["payload_file"].as_str().unwrap());
        let secret = v["secret"].as_str().unwrap();
        let t = v["timestamp"].as_i64().unwrap();
        let header = v["header"].as_str().unwrap();
        assert_eq!(sign(&payload, secret, t), header);
        assert_eq!(
            verify(header, &payload, secret, t + 10, TOLERANCE_SECS),
            Ok(())
        );
        // Exactly at the edge of the tolerance still counts; one second later does not.
        assert_eq!(
            verify(header, &payload, secret, t + 300, TOLERANCE_SECS),
            Ok(())
        );
        assert_eq!(
            verify(header, &payload, secret, t + 301, TOLERANCE_SECS),
            Err(SignatureError::Stale(t))
        );
    }

    #[test]
    fn any_v1_may_match_and_other_schemes_are_ignored() {
        let v = vector();
        let payload = fixture(v["payload_file"].as_str().unwrap());
        let t = v["timestamp"].as_i64().unwrap();
        let good = v["expected_v1"].as_str().unwrap();
        let header = format!("t={t},v1={},v0=abc,v1={good}", "0".repeat(64));
        assert_eq!(
            verify(&header, &payload, "whsec_test_secret", t, 300),
            Ok(())
        );
    }

    #[test]
    fn refusals_carry_stripes_messages() {
        let v = vector();
        let payload = fixture(v["payload_file"].as_str().unwrap());
        let t = v["timestamp"].as_i64().unwrap();
        let header = v["header"].as_str().unwrap();
        let msg = |e: SignatureError| e.to_string();
        let doc: serde_json::Value =
            serde_json::from_slice(&fixture("webhook_signature.json")).unwrap();
        let expected = &doc["sdk_error_messages"];
        assert_eq!(
            msg(verify("garbage", &payload, "whsec_test_secret", t, 300).unwrap_err()),
            expected["malformed"]
        );
        assert_eq!(
            msg(verify(
                &format!("t={t},v0=ab"),
                &payload,
                "whsec_test_secret",
                t,
                300
            )
            .unwrap_err()),
            expected["no_v1"]
        );
        assert_eq!(
            msg(verify(header, &payload, "whsec_other", t, 300).unwrap_err()),
            expected["mismatch"]
        );
        let mut altered = payload.clone();
        altered.push(b' ');
        assert_eq!(
            verify(header, &altered, "whsec_test_secret", t, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            msg(verify(header, &payload, "whsec_test_secret", t + 301, 300).unwrap_err()),
            format!("Timestamp outside the tolerance zone ({t})")
        );
        assert_eq!(
            verify(
                &format!("t={t},v1=zz"),
                &payload,
                "whsec_test_secret",
                t,
                300
            ),
            Err(SignatureError::Mismatch)
        );
    }
}
