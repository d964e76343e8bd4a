//! Rolling statistics of one endpoint in bounded memory: 30 one-minute buckets (success counts
//! and three log-scale histograms each) and 24 one-hour buckets of success counts. A bucket is
//! reused when its slot comes round again, so nothing grows with traffic or time.

use super::PercentileStats;

/// Histogram bins per octave: values are kept to within about ±9 % (2^(1/8)).
const BINS_PER_OCTAVE: u32 = 4;
/// 20 octaves: 1 … ~10^6 units (1 ms … ~17 minutes; 0.01 … 10 000 tokens/s in centi-units).
const BINS: usize = 20 * BINS_PER_OCTAVE as usize;

pub const MINUTE_MS: u64 = 60_000;
pub const HOUR_MS: u64 = 3_600_000;
/// Minute buckets kept (the `_last_30m` figures).
const MINUTES: usize = 30;
/// Hour buckets kept (`uptime_last_1d`).
const HOURS: usize = 24;

/// A fixed-size log-scale histogram of positive integers.
#[derive(Clone)]
pub struct Histogram {
    bins: [u32; BINS],
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { bins: [0; BINS] }
    }
}

impl Histogram {
    fn bin(value: u64) -> usize {
        let v = value.max(1) as f64;
        let index = (v.log2() * BINS_PER_OCTAVE as f64).floor() as usize;
        index.min(BINS - 1)
    }

    /// The geometric middle of a bin, the value reported for samples in it.
    fn representative(bin: usize) -> f64 {
        2f64.powf((bin as f64 + 0.5) / BINS_PER_OCTAVE as f64)
    }

    pub fn record(&mut self, value: u64) {
        let bin = Self::bin(value);
        self.bins[bin] = self.bins[bin].saturating_add(1);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.bins.iter_mut().zip(other.bins.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    pub fn count(&self) -> u64 {
        self.bins.iter().map(|&c| u64::from(c)).sum()
    }

    /// The value at quantile `q` (0–1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // The smallest value with at least q of the samples at or below it.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (bin, &count) in self.bins.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return Some(Self::representative(bin));
            }
        }
        None
    }
}

/// What one minute saw.
#[derive(Clone, Default)]
struct MinuteBucket {
    /// Epoch minute this slot holds; a slot whose minute is stale counts as empty.
    minute: u64,
    ok: u32,
    failed: u32,
    /// Milliseconds from the attempt's start to the response headers.
    latency: Histogram,
    /// Milliseconds from the attempt's start to the first token the client got.
    ttft: Histogram,
    /// Output tokens per second, in hundredths.
    throughput: Histogram,
}

#[derive(Clone, Copy, Default)]
struct HourBucket {
    hour: u64,
    ok: u32,
    failed: u32,
}

/// One finished exchange that reached the endpoint and was answered.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub latency_ms: u64,
    pub ttft_ms: Option<u64>,
    pub tokens_per_sec: Option<f64>,
}

/// The rolling windows of one endpoint. `now_ms` is milliseconds since the board's epoch.
pub struct Windows {
    minutes: Box<[MinuteBucket; MINUTES]>,
    hours: [HourBucket; HOURS],
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            // Minute 0 would count as current at start; `u64::MAX` marks a slot as never used.
            minutes: Box::new(std::array::from_fn(|_| MinuteBucket {
                minute: u64::MAX,
                ..MinuteBucket::default()
            })),
            hours: [HourBucket {
                hour: u64::MAX,
                ..HourBucket::default()
            }; HOURS],
        }
    }
}

/// Summaries over the windows, as the endpoints view and routing read them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Percentages (0–100); `None` without answered requests in the window.
    pub uptime_5m: Option<f64>,
    pub uptime_30m: Option<f64>,
    pub uptime_1d: Option<f64>,
    pub latency_30m: Option<PercentileStats>,
    pub ttft_30m: Option<PercentileStats>,
    /// Tokens per second; pXX is the speed XX % of requests reached or beat (OpenRouter's
    /// reading: p99 is the slow tail), so values fall from p50 to p99.
    pub throughput_30m: Option<PercentileStats>,
}

impl Windows {
    fn minute_slot(&mut self, now_ms: u64) -> &mut MinuteBucket {
        let minute = now_ms / MINUTE_MS;
        let slot = &mut self.minutes[(minute % MINUTES as u64) as usize];
        if slot.minute != minute {
            *slot = MinuteBucket {
                minute,
                ..MinuteBucket::default()
            };
        }
        slot
    }

    fn hour_slot(&mut self, now_ms: u64) -> &mut HourBucket {
        let hour = now_ms / HOUR_MS;
        let slot = &mut self.hours[(hour % HOURS as u64) as usize];
        if slot.hour != hour {
            *slot = HourBucket {
                hour,
                ..HourBucket::default()
            };
        }
        slot
    }

    pub fn record_success(&mut self, now_ms: u64, sample: Sample) {
        let bucket = self.minute_slot(now_ms);
        bucket.ok = bucket.ok.saturating_add(1);
        bucket.latency.record(sample.latency_ms);
        if let Some(ttft) = sample.ttft_ms {
            bucket.ttft.record(ttft);
        }
        if let Some(tps) = sample.tokens_per_sec.filter(|t| t.is_finite() && *t > 0.0) {
            bucket.throughput.record((tps * 100.0).round() as u64);
        }
        let hour = self.hour_slot(now_ms);
        hour.ok = hour.ok.saturating_add(1);
    }

    pub fn record_failure(&mut self, now_ms: u64) {
        let bucket = self.minute_slot(now_ms);
        bucket.failed = bucket.failed.saturating_add(1);
        let hour = self.hour_slot(now_ms);
        hour.failed = hour.failed.saturating_add(1);
    }

    pub fn summary(&self, now_ms: u64) -> Summary {
        let minute = now_ms / MINUTE_MS;
        let recent = |span: u64| {
            self.minutes
                .iter()
                .filter(move |b| b.minute <= minute && minute - b.minute < span)
        };
        let uptime = |ok: u64, failed: u64| {
            (ok + failed > 0).then(|| 100.0 * ok as f64 / (ok + failed) as f64)
        };
        let count = |span: u64| {
            recent(span).fold((0u64, 0u64), |(ok, failed), b| {
                (ok + u64::from(b.ok), failed + u64::from(b.failed))
            })
        };
        let (ok5, failed5) = count(5);
        let (ok30, failed30) = count(MINUTES as u64);
        let hour = now_ms / HOUR_MS;
        let (ok1d, failed1d) = self
            .hours
            .iter()
            .filter(|b| b.hour <= hour && hour - b.hour < HOURS as u64)
            .fold((0u64, 0u64), |(ok, failed), b| {
                (ok + u64::from(b.ok), failed + u64::from(b.failed))
            });
        let mut latency = Histogram::default();
        let mut ttft = Histogram::default();
        let mut throughput = Histogram::default();
        for b in recent(MINUTES as u64) {
            latency.merge(&b.latency);
            ttft.merge(&b.ttft);
            throughput.merge(&b.throughput);
        }
        let rising = |h: &Histogram, scale: f64| {
            Some(PercentileStats {
                p50: h.quantile(0.50)? / scale,
                p75: h.quantile(0.75)? / scale,
                p90: h.quantile(0.90)? / scale,
                p99: h.quantile(0.99)? / scale,
            })
        };
        let falling = |h: &Histogram, scale: f64| {
            Some(PercentileStats {
                p50: h.quantile(0.50)? / scale,
                p75: h.quantile(0.25)? / scale,
                p90: h.quantile(0.10)? / scale,
                p99: h.quantile(0.01)? / scale,
            })
        };
        Summary {
            uptime_5m: uptime(ok5, failed5),
            uptime_30m: uptime(ok30, failed30),
            uptime_1d: uptime(ok1d, failed1d),
            latency_30m: rising(&latency, 1.0),
            ttft_30m: rising(&ttft, 1.0),
            throughput_30m: falling(&throughput, 100.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= b * 0.1
    }

    #[test]
    fn histogram_quantiles_within_a_bin() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=100 {
            h.record(v * 10);
        }
        assert!(
            close(h.quantile(0.5).unwrap(), 500.0),
            "{:?}",
            h.quantile(0.5)
        );
        assert!(
            close(h.quantile(0.9).unwrap(), 900.0),
            "{:?}",
            h.quantile(0.9)
        );
        assert!(close(h.quantile(0.99).unwrap(), 990.0));
        // Out-of-range values land in the edge bins instead of being lost.
        h.record(0);
        h.record(u64::MAX);
        assert_eq!(h.count(), 102);
    }

    #[test]
    fn uptime_counts_windows_and_forgets_old_minutes() {
        let mut w = Windows::default();
        assert_eq!(w.summary(0), Summary::default());
        let sample = Sample {
            latency_ms: 100,
            ttft_ms: Some(200),
            tokens_per_sec: Some(50.0),
        };
        // Minute 0: three answered, one failed.
        for _ in 0..3 {
            w.record_success(1_000, sample);
        }
        w.record_failure(2_000);
        let s = w.summary(3_000);
        assert_eq!(s.uptime_5m, Some(75.0));
        assert_eq!(s.uptime_30m, Some(75.0));
        assert_eq!(s.uptime_1d, Some(75.0));
        assert!(close(s.latency_30m.unwrap().p50, 100.0));
        assert!(close(s.ttft_30m.unwrap().p99, 200.0));
        assert!(close(s.throughput_30m.unwrap().p50, 50.0));
        // Ten minutes later the 5-minute window is empty, the 30-minute one is not.
        let later = 10 * MINUTE_MS;
        let s = w.summary(later);
        assert_eq!(s.uptime_5m, None);
        assert_eq!(s.uptime_30m, Some(75.0));
        // After 40 minutes the minute slots are stale; the day still remembers.
        w.record_success(40 * MINUTE_MS, sample);
        let s = w.summary(40 * MINUTE_MS);
        assert_eq!(s.uptime_30m, Some(100.0));
        assert_eq!(s.uptime_1d, Some(80.0));
        // A slot reused for a new minute starts empty.
        w.record_failure(60 * MINUTE_MS);
        assert_eq!(w.summary(60 * MINUTE_MS).uptime_5m, Some(0.0));
        // A day later everything has rolled out.
        assert_eq!(w.summary(26 * HOUR_MS), Summary::default());
    }

    #[test]
    fn throughput_percentiles_fall_towards_the_slow_tail() {
        let mut w = Windows::default();
        for tps in 1..=100 {
            w.record_success(
                0,
                Sample {
                    latency_ms: 10,
                    ttft_ms: None,
                    tokens_per_sec: Some(f64::from(tps)),
                },
            );
        }
        let t = w.summary(0).throughput_30m.unwrap();
        assert!(t.p50 > t.p75 && t.p75 > t.p90 && t.p90 > t.p99, "{t:?}");
        assert!(close(t.p90, 10.0), "{t:?}");
        assert_eq!(w.summary(0).ttft_30m, None);
    }
}
