//! The fixed log-scale histogram of durations that rollup rows carry (latency and time to
//! first token), and percentiles read from it.
//!
//! 32 buckets: bucket 0 holds 0–3 ms, bucket `i ≥ 1` holds durations from `4·√2^(i-1)` ms
//! (rounded) up to the next bucket's start; bucket 31 is open-ended (from about 131 s). A
//! percentile is interpolated linearly within its bucket, so it is within one bucket's width
//! (a factor of √2) of the exact figure, usually much closer. Histograms add, so summing rows
//! (hours into days, keys into an organization) loses nothing.

use std::sync::LazyLock;

pub const BUCKETS: usize = 32;

/// Each bucket's lower bound in milliseconds.
static LOWER: LazyLock<[i64; BUCKETS]> = LazyLock::new(|| {
    let mut lower = [0i64; BUCKETS];
    for (i, bound) in lower.iter_mut().enumerate().skip(1) {
        *bound = (4.0 * 2f64.powf((i as f64 - 1.0) / 2.0)).round() as i64;
    }
    lower
});

/// The bucket a duration falls in (negative durations count as 0).
pub fn bucket_of(ms: i64) -> usize {
    LOWER.partition_point(|&lower| lower <= ms.max(0)) - 1
}

/// The bucket's lower bound and (exclusive) upper bound; the last bucket's upper bound is
/// taken as √2 times its lower bound.
fn range(bucket: usize) -> (f64, f64) {
    let lower = LOWER[bucket] as f64;
    let upper = LOWER
        .get(bucket + 1)
        .map_or(lower * std::f64::consts::SQRT_2, |&u| u as f64);
    (lower, upper)
}

/// The `p` quantile (0 < p ≤ 1) in whole milliseconds, or `None` for an empty histogram.
pub fn percentile(counts: &[i64; BUCKETS], p: f64) -> Option<i64> {
    let total: i64 = counts.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = (p * total as f64).ceil().max(1.0);
    let mut below = 0i64;
    for (bucket, &count) in counts.iter().enumerate() {
        if count > 0 && (below + count) as f64 >= rank {
            let (lower, upper) = range(bucket);
            let within = (rank - below as f64) / count as f64;
            return Some((lower + within * (upper - lower)).round() as i64);
        }
        below += count;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log_scale_and_cover_every_duration() {
        assert_eq!(bucket_of(-5), 0);
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(3), 0);
        assert_eq!(bucket_of(4), 1);
        assert_eq!(bucket_of(6), 2);
        assert_eq!(bucket_of(8), 3);
        assert_eq!(bucket_of(i64::MAX), BUCKETS - 1);
        for i in 1..BUCKETS {
            assert!(LOWER[i] > LOWER[i - 1], "bounds rise at {i}");
            assert_eq!(bucket_of(LOWER[i]), i);
            assert_eq!(bucket_of(LOWER[i] - 1), i - 1);
        }
        assert_eq!(LOWER[31], 131_072);
    }

    #[test]
    fn percentiles_fall_within_the_bucket_of_the_exact_figure() {
        let durations: Vec<i64> = (1..=1000).map(|n| n * 7).collect();
        let mut counts = [0i64; BUCKETS];
        for &d in &durations {
            counts[bucket_of(d)] += 1;
        }
        for p in [0.5, 0.9, 0.99] {
            let exact = durations[(p * 1000.0) as usize - 1];
            let estimate = percentile(&counts, p).unwrap();
            assert_eq!(
                bucket_of(estimate),
                bucket_of(exact),
                "p{p}: {estimate} vs {exact}"
            );
        }
        assert_eq!(percentile(&[0; BUCKETS], 0.5), None);
        let mut one = [0i64; BUCKETS];
        one[0] = 1;
        assert!(percentile(&one, 0.99).unwrap() <= 4);
    }
}
