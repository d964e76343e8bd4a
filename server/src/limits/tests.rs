use super::*;

fn limits(adjust: impl FnOnce(&mut Config)) -> RateLimits {
    let mut config = Config {
        rate_limit_window_secs: 60,
        rate_limit_key_requests_per_window: 3,
        rate_limit_org_requests_per_window: 5,
        free_model_requests_per_window: 2,
        free_model_requests_per_day: 4,
        ..Config::default()
    };
    adjust(&mut config);
    RateLimits::new(&config)
}

fn caller<'a>(key: &'a str, org: &'a str) -> Caller<'a> {
    Caller {
        key,
        org_id: org,
        purchased: Nanos::ZERO,
    }
}

fn noon() -> DateTime<Utc> {
    "2026-11-22T12:00:00Z".parse().unwrap()
}

#[test]
fn key_limit_then_org_limit() {
    let limits = limits(|_| {});
    let now = Utc::now();
    for remaining in [2, 1, 0] {
        let admitted = limits.admit(&caller("k1", "org"), false, now).unwrap();
        let tightest = admitted.tightest.unwrap();
        assert_eq!(tightest.kind, LimitKind::Key);
        assert_eq!((tightest.limit, tightest.remaining), (3, remaining));
    }
    let refused = limits.admit(&caller("k1", "org"), false, now).unwrap_err();
    assert_eq!(refused.standing.kind, LimitKind::Key);
    assert_eq!(refused.standing.remaining, 0);
    // One request refills every 20 s.
    assert!(refused.retry_after_secs() >= 19 && refused.retry_after_secs() <= 20);
    // Another key of the organization has its own bucket but shares the organization's 5.
    limits.admit(&caller("k2", "org"), false, now).unwrap();
    limits.admit(&caller("k2", "org"), false, now).unwrap();
    let refused = limits.admit(&caller("k2", "org"), false, now).unwrap_err();
    assert_eq!(refused.standing.kind, LimitKind::Organization);
    assert_eq!(refused.standing.limit, 5);
}

#[test]
fn a_refused_request_counts_against_nothing() {
    let limits = limits(|c| c.rate_limit_org_requests_per_window = 1);
    let now = Utc::now();
    limits.admit(&caller("k1", "org"), false, now).unwrap();
    // The organization refuses k2's requests: k2's own bucket must stay untouched.
    for _ in 0..10 {
        let refused = limits.admit(&caller("k2", "org"), false, now).unwrap_err();
        assert_eq!(refused.standing.kind, LimitKind::Organization);
    }
    let other_org = limits.admit(&caller("k9", "org-b"), false, now).unwrap();
    assert_eq!(
        other_org.tightest.unwrap().remaining,
        0,
        "org-b's bucket is 1"
    );
    limits.set_override(
        "org",
        Some(Override {
            org_requests_per_window: Some(0),
            ..Override::default()
        }),
    );
    // k2's bucket still holds all 3 requests.
    for _ in 0..3 {
        limits.admit(&caller("k2", "org"), false, now).unwrap();
    }
    assert_eq!(
        limits
            .admit(&caller("k2", "org"), false, now)
            .unwrap_err()
            .standing
            .kind,
        LimitKind::Key
    );
}

#[test]
fn free_requests_have_their_own_rate_and_a_daily_cap() {
    let limits = limits(|c| {
        c.rate_limit_key_requests_per_window = 0;
        c.rate_limit_org_requests_per_window = 0;
    });
    let now = noon();
    let ok = limits.admit(&caller("k", "org"), true, now).unwrap();
    let ok2 = limits.admit(&caller("k", "org"), true, now).unwrap();
    assert_eq!(ok.tightest.unwrap().kind, LimitKind::FreePerWindow);
    assert_eq!(ok2.tightest.unwrap().remaining, 0);
    let refused = limits.admit(&caller("k", "org"), true, now).unwrap_err();
    assert_eq!(refused.standing.kind, LimitKind::FreePerWindow);
    // Paid requests are not limited here.
    limits.admit(&caller("k", "org"), false, now).unwrap();
    // Another key: free rate is per key, the daily cap (4) per organization.
    limits.admit(&caller("k2", "org"), true, now).unwrap();
    let last = limits.admit(&caller("k2", "org"), true, now).unwrap();
    let day = last.tightest.unwrap();
    assert_eq!(day.kind, LimitKind::FreePerDay);
    assert_eq!((day.limit, day.remaining), (4, 0));
    assert_eq!(
        day.reset_at,
        "2026-11-23T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let refused = limits.admit(&caller("k3", "org"), true, now).unwrap_err();
    assert_eq!(refused.standing.kind, LimitKind::FreePerDay);
    assert_eq!(refused.retry_after_secs(), 12 * 3600);
    assert_eq!(refused.purchase_unlocks, Some(1000));
    assert!(
        refused.message().contains("free-models-per-day"),
        "{}",
        refused.message()
    );
    assert_eq!(
        refused.metadata()["headers"]["X-RateLimit-Reset"],
        json!("1795392000000")
    );
    assert_eq!(limits.free_used_today("org", now), 4);
    // The next UTC day starts afresh.
    let tomorrow = "2026-11-23T00:00:01Z".parse().unwrap();
    limits.admit(&caller("k3", "org"), true, tomorrow).unwrap();
    assert_eq!(limits.free_used_today("org", tomorrow), 1);
}

#[test]
fn purchases_raise_the_daily_cap() {
    let limits = limits(|c| c.free_model_requests_per_day_purchased = 6);
    let rich = Caller {
        key: "k",
        org_id: "org",
        purchased: Nanos::from_cents(1_000),
    };
    assert_eq!(
        limits
            .effective("org", rich.purchased)
            .free_requests_per_day,
        6
    );
    assert_eq!(
        limits.effective("org", Nanos::ZERO).free_requests_per_day,
        4
    );
}

#[test]
fn no_limits_means_no_standing() {
    let limits = limits(|c| {
        c.rate_limit_key_requests_per_window = 0;
        c.rate_limit_org_requests_per_window = 0;
    });
    for _ in 0..100 {
        assert_eq!(
            limits
                .admit(&caller("k", "org"), false, Utc::now())
                .unwrap(),
            Admission { tightest: None }
        );
    }
    assert_eq!(limits.tracked(), 0);
}

#[test]
fn retry_after_rounds_up() {
    let refused = RateLimited {
        standing: Standing {
            kind: LimitKind::Key,
            limit: 1,
            remaining: 0,
            reset_at: noon(),
        },
        retry_after: Duration::from_millis(1_200),
        purchase_unlocks: None,
    };
    assert_eq!(refused.retry_after_secs(), 2);
    let tiny = RateLimited {
        retry_after: Duration::from_millis(3),
        ..refused
    };
    assert_eq!(tiny.retry_after_secs(), 1);
}

#[test]
fn concurrent_requests_never_exceed_a_limit() {
    let limits = Arc::new(limits(|c| {
        c.rate_limit_window_secs = 3_600;
        c.rate_limit_key_requests_per_window = 1_000;
        c.rate_limit_org_requests_per_window = 50;
    }));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let limits = limits.clone();
            std::thread::spawn(move || {
                let key = format!("key-{t}");
                (0..100)
                    .filter(|_| {
                        limits
                            .admit(&caller(&key, "org"), false, Utc::now())
                            .is_ok()
                    })
                    .count()
            })
        })
        .collect();
    let admitted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(admitted, 50);
}
