//! The request-duration histogram: counters only, no lock.
//!
//! prometheus-client's `Histogram` takes a mutex on every observation (it
//! also keeps native buckets and scheduled resets, which keel uses
//! neither of). Every request observes one, so here an observation is a
//! bucket found by comparing integers and two atomic adds; a scrape adds
//! the buckets up.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets in nanoseconds: 0.25 ms doubling to about
/// 4 s; one more bucket, `+Inf`, holds the rest.
const BOUNDS_NANOS: [u64; 15] = {
    let mut bounds = [250_000; 15];
    let mut i = 1;
    while i < bounds.len() {
        bounds[i] = bounds[i - 1] * 2;
        i += 1;
    }
    bounds
};

/// A histogram of durations with fixed buckets, shared by its clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Latency(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; BOUNDS_NANOS.len() + 1],
    /// Sum of the observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Latency {
    /// Counts one request that took `elapsed`.
    pub(crate) fn observe(&self, elapsed: Duration) {
        // Compared exactly: 250.5 µs is past the 0.25 ms bound.
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // Most requests land in the first bucket or two: a short scan.
        let bucket = BOUNDS_NANOS.iter().position(|bound| nanos <= *bound).unwrap_or(BOUNDS_NANOS.len());
        self.0.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.0.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// `(upper bound in seconds, count)` per bucket, the last bound infinite
    /// (encoded `+Inf`), and the count of all observations.
    fn snapshot(&self) -> (Vec<(f64, u64)>, u64) {
        let bounds = BOUNDS_NANOS.iter().map(|nanos| *nanos as f64 / 1e9).chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds
            .zip(&self.0.buckets)
            .map(|(bound, count)| (bound, count.load(Ordering::Relaxed)))
            .collect();
        // The count is the buckets' total, so a scrape racing an observation
        // still shows `_count` equal to the `+Inf` bucket.
        let count = buckets.iter().map(|(_, n)| n).sum();
        (buckets, count)
    }
}

impl TypedMetric for Latency {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (buckets, count) = self.snapshot();
        // Read apart from the buckets: a scrape racing an observation may
        // show its time in `_sum` a scrape before its bucket, a difference
        // of one request that the next scrape makes good.
        let sum = self.0.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_double_from_a_quarter_millisecond() {
        assert_eq!(BOUNDS_NANOS[0], 250_000);
        assert_eq!(BOUNDS_NANOS[1], 500_000);
        assert_eq!(BOUNDS_NANOS[14], 250_000 << 14);
    }

    #[test]
    fn an_observation_lands_in_the_first_bucket_that_holds_it() {
        let latency = Latency::default();
        for nanos in [0, 250_000, 250_001, 4_000_000, 10_000_000_000] {
            latency.observe(Duration::from_nanos(nanos));
        }
        let (buckets, count) = latency.snapshot();
        assert_eq!(count, 5);
        let counts: Vec<u64> = buckets.iter().map(|(_, n)| *n).collect();
        // 0 and 250 µs ≤ 0.25 ms; 250.001 µs ≤ 0.5 ms; 4 ms ≤ 4 ms; 10 s > 4.096 s.
        assert_eq!(counts[0], 2);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[4], 1);
        assert_eq!(counts[15], 1);
        assert_eq!(buckets[15].0, f64::INFINITY);
        assert_eq!(Latency::default().snapshot().1, 0);
    }

    #[test]
    fn it_encodes_as_a_cumulative_histogram_in_seconds() {
        let latency = Latency::default();
        latency.observe(Duration::from_micros(300));
        latency.observe(Duration::from_micros(700));
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("t_seconds", "test", latency);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
        assert!(text.contains("# TYPE t_seconds histogram"), "{text}");
        assert!(text.contains("t_seconds_count 2"), "{text}");
        assert!(text.contains("t_seconds_sum 0.001"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.00025\"} 0"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.0005\"} 1"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"0.001\"} 2"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"+Inf\"} 2"), "{text}");
    }
}
