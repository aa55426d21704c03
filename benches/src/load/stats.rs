//! Latencies, error counts and the report printed at the end of a run.

use std::fmt::Write as _;
use std::time::Duration;

/// Latencies of completed operations, kept whole (a run holds at most a few million).
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    samples: Vec<Duration>,
    sorted: bool,
}

impl Latencies {
    /// Adds one sample.
    pub fn record(&mut self, latency: Duration) {
        self.samples.push(latency);
        self.sorted = false;
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: Self) {
        self.samples.extend(other.samples);
        self.sorted = false;
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.samples.sort_unstable();
            self.sorted = true;
        }
    }

    /// The sample at percentile `p` (0 to 100, nearest rank); zero without samples.
    pub fn percentile(&mut self, p: f64) -> Duration {
        self.sort();
        let n = self.samples.len();
        if n == 0 {
            return Duration::ZERO;
        }
        // Nearest rank: the smallest sample with at least p% of the samples at or below.
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
        self.samples[rank.clamp(1, n) - 1]
    }

    /// The largest sample; zero without samples.
    pub fn max(&mut self) -> Duration {
        self.sort();
        self.samples.last().copied().unwrap_or_default()
    }
}

/// What one worker (or a whole run) measured.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Latencies of the operations that succeeded.
    pub latencies: Latencies,
    /// Operations that failed.
    pub errors: u64,
    /// The first few error messages, for the report.
    pub first_errors: Vec<String>,
    /// Payload bytes moved by successful operations (message bodies sent or received).
    pub bytes: u64,
    /// Sessions (connections) opened successfully.
    pub sessions: u64,
}

/// How many distinct error messages a run keeps.
const KEPT_ERRORS: usize = 5;

impl Tally {
    /// Counts a successful operation.
    pub fn success(&mut self, latency: Duration, bytes: u64) {
        self.latencies.record(latency);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// Counts a failed operation.
    pub fn failure(&mut self, why: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_errors.len() < KEPT_ERRORS {
            let why = why.to_string();
            if !self.first_errors.contains(&why) {
                self.first_errors.push(why);
            }
        }
    }

    /// Adds `other` to this tally.
    pub fn merge(&mut self, other: Self) {
        self.latencies.merge(other.latencies);
        self.errors += other.errors;
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.sessions += other.sessions;
        for why in other.first_errors {
            if self.first_errors.len() < KEPT_ERRORS && !self.first_errors.contains(&why) {
                self.first_errors.push(why);
            }
        }
    }
}

/// The result of a run: a tally over a wall-clock time.
#[derive(Debug, Clone)]
pub struct Report {
    /// The protocol or mode (`smtp`, `lmtp`, `imap`, `pop3`).
    pub mode: &'static str,
    /// What one operation is (`message`, `command`, `retr`).
    pub unit: &'static str,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Everything measured.
    pub tally: Tally,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Report {
    /// Successful operations per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.tally.latencies.len() as f64 / secs
        } else {
            0.0
        }
    }

    /// The human-readable report, ending with one `RESULT key=value ...` line that
    /// scripts can parse.
    pub fn render(&mut self) -> String {
        let rate = self.rate();
        let ok = self.tally.latencies.len();
        let secs = self.elapsed.as_secs_f64();
        let lat = &mut self.tally.latencies;
        let (p50, p90, p99, max) = (
            lat.percentile(50.0),
            lat.percentile(90.0),
            lat.percentile(99.0),
            lat.max(),
        );
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {ok} {}s ok, {} errors, {} sessions, concurrency {}, {secs:.2} s",
            self.mode, self.unit, self.tally.errors, self.tally.sessions, self.concurrency
        );
        let _ = writeln!(
            out,
            "throughput: {rate:.1} {}s/s, {:.2} MiB/s of message data",
            self.unit,
            self.tally.bytes as f64 / secs.max(1e-9) / (1024.0 * 1024.0)
        );
        let _ = writeln!(
            out,
            "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            ms(p50),
            ms(p90),
            ms(p99),
            ms(max)
        );
        for why in &self.tally.first_errors {
            let _ = writeln!(out, "error: {why}");
        }
        let _ = writeln!(
            out,
            "RESULT mode={} ok={ok} errors={} secs={secs:.3} rate={rate:.2} p50_ms={:.3} \
             p90_ms={:.3} p99_ms={:.3} max_ms={:.3}",
            self.mode,
            self.tally.errors,
            ms(p50),
            ms(p90),
            ms(p99),
            ms(max)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut l = Latencies::default();
        for ms in [5, 1, 4, 2, 3] {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile(50.0), Duration::from_millis(3));
        assert_eq!(l.percentile(90.0), Duration::from_millis(5));
        assert_eq!(l.percentile(0.0), Duration::from_millis(1));
        assert_eq!(l.max(), Duration::from_millis(5));
        assert_eq!(Latencies::default().percentile(99.0), Duration::ZERO);
    }

    #[test]
    fn tallies_merge_and_keep_distinct_errors() {
        let mut a = Tally::default();
        a.success(Duration::from_millis(1), 10);
        a.failure("refused");
        a.failure("refused");
        let mut b = Tally::default();
        b.success(Duration::from_millis(2), 5);
        b.failure("timeout");
        b.sessions = 2;
        a.merge(b);
        assert_eq!(a.latencies.len(), 2);
        assert_eq!(a.errors, 3);
        assert_eq!(a.bytes, 15);
        assert_eq!(a.sessions, 2);
        assert_eq!(a.first_errors, ["refused", "timeout"]);
    }

    #[test]
    fn the_report_ends_with_a_parsable_line() {
        let mut tally = Tally::default();
        for _ in 0..4 {
            tally.success(Duration::from_millis(10), 1024);
        }
        let mut report = Report {
            mode: "smtp",
            unit: "message",
            concurrency: 2,
            elapsed: Duration::from_secs(2),
            tally,
        };
        let text = report.render();
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("RESULT mode=smtp ok=4 errors=0 secs=2.000 rate=2.00 p50_ms=10.000"),
            "{last}"
        );
    }
}
