//! Backoff between attempts of a failing job: exponential, capped, with jitter.
//!
//! The jitter is derived from the job id and the attempt number (splitmix64), not from a
//! random source: retries of many jobs that failed together still spread out (their ids
//! differ), while the delay of one job's attempt is reproducible, which tests rely on.

use std::time::Duration;

use crate::model::JobId;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt, before jitter.
    pub base: Duration,
    /// Upper bound of the delay, before jitter.
    pub max: Duration,
    /// Fraction of the delay that jitter may remove, in `[0, 1]`: the delay lies in
    /// `[d * (1 - jitter), d]`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt after attempt number `attempt` (1-based) failed.
    pub fn backoff(&self, job: JobId, attempt: i32) -> Duration {
        let jitter = self.jitter.clamp(0.0, 1.0);
        self.ceiling(attempt)
            .mul_f64(1.0 - jitter * unit_interval(job, attempt))
    }

    /// The shortest and longest delay [`RetryPolicy::backoff`] may return for `attempt`.
    pub fn bounds(&self, attempt: i32) -> (Duration, Duration) {
        let hi = self.ceiling(attempt);
        (hi.mul_f64(1.0 - self.jitter.clamp(0.0, 1.0)), hi)
    }

    /// `base * 2^(attempt-1)`, capped at `max`.
    fn ceiling(&self, attempt: i32) -> Duration {
        let exp = attempt.saturating_sub(1).clamp(0, 31) as u32;
        self.base
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// A number in `[0, 1)` determined by the job id and the attempt.
fn unit_interval(job: JobId, attempt: i32) -> f64 {
    let (hi, lo) = job.as_uuid().as_u64_pair();
    let mut x = hi ^ lo.rotate_left(17) ^ (attempt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser: good avalanche, so neighbouring ids give unrelated values.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_until_the_cap_and_stays_within_jitter_bounds() {
        let p = RetryPolicy {
            base: Duration::from_secs(10),
            max: Duration::from_secs(100),
            jitter: 0.25,
        };
        for attempt in 1..=40 {
            let (lo, hi) = p.bounds(attempt);
            let expect_hi = Duration::from_secs((10u64 << (attempt - 1).min(20)).min(100));
            assert_eq!(hi, expect_hi, "attempt {attempt}");
            for _ in 0..20 {
                let d = p.backoff(JobId::new(), attempt);
                assert!(
                    d >= lo && d <= hi,
                    "attempt {attempt}: {d:?} not in {lo:?}..{hi:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_is_reproducible_per_job_and_attempt_and_spreads_jobs() {
        let p = RetryPolicy::default();
        let j = JobId::new();
        assert_eq!(p.backoff(j, 2), p.backoff(j, 2));
        let distinct: std::collections::BTreeSet<_> =
            (0..50).map(|_| p.backoff(JobId::new(), 2)).collect();
        assert!(distinct.len() > 40, "jitter does not spread: {distinct:?}");
    }

    #[test]
    fn no_jitter_means_exact_exponential() {
        let p = RetryPolicy {
            base: Duration::from_secs(1),
            max: Duration::from_secs(3600),
            jitter: 0.0,
        };
        assert_eq!(p.backoff(JobId::new(), 1), Duration::from_secs(1));
        assert_eq!(p.backoff(JobId::new(), 4), Duration::from_secs(8));
        assert_eq!(p.backoff(JobId::new(), 0), Duration::from_secs(1));
    }
}
