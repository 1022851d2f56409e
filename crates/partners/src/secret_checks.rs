//! What a client secret check costs, bounded. argon2id takes tens of milliseconds of
//! a core on purpose; unbounded, a flood of token requests would take every core
//! and every other caller would wait behind it.
//!
//! - At most `permits` verifications run at once (half the cores, at least one); a
//!   request waits at most `max_wait` for its turn, then is told to come back.
//! - A client id that does not exist (or has no secret) is not hashed at all: it
//!   waits its turn like any other, then sleeps for the duration of one of the
//!   recent real verifications, drawn at random. Its answer takes as long as a
//!   wrong secret's would, so timing does not tell which ids exist, and it costs no
//!   CPU. Until a real verification has been timed, one is made against a decoy
//!   hash to have a first duration.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::Rng;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Durations kept to draw from: enough to follow the machine's load.
const SAMPLES: usize = 32;

pub(crate) struct SecretChecks {
    permits: Semaphore,
    size: usize,
    max_wait: Duration,
    recent: Mutex<VecDeque<Duration>>,
    hashed: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// Why a secret could not be checked.
#[derive(Debug)]
pub(crate) enum CheckError {
    /// Every permit stayed busy for `max_wait`.
    Busy,
    Failed(String),
}

/// What the checks cost so far (observability and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretCheckStats {
    /// argon2 verifications computed.
    pub hashed: u64,
    /// Most verifications seen running at once.
    pub peak_concurrent: usize,
    /// The bound on that.
    pub permits: usize,
}

impl SecretChecks {
    pub(crate) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let size = (cores / 2).max(1);
        Self {
            permits: Semaphore::new(size),
            size,
            max_wait: Duration::from_secs(5),
            recent: Mutex::new(VecDeque::with_capacity(SAMPLES)),
            hashed: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    pub(crate) fn stats(&self) -> SecretCheckStats {
        SecretCheckStats {
            hashed: self.hashed.load(Ordering::Relaxed),
            peak_concurrent: self.peak.load(Ordering::Relaxed),
            permits: self.size,
        }
    }

    /// Whether `secret` matches `hash`; `None` (unknown client) never matches.
    pub(crate) async fn verify(
        &self,
        secret: String,
        hash: Option<String>,
    ) -> Result<bool, CheckError> {
        let permit = tokio::time::timeout(self.max_wait, self.permits.acquire())
            .await
            .map_err(|_| CheckError::Busy)?
            .map_err(|e| CheckError::Failed(e.to_string()))?;
        let (hash, known) = match hash {
            Some(h) => (h, true),
            None => match self.sample() {
                Some(d) => {
                    drop(permit);
                    tokio::time::sleep(d).await;
                    return Ok(false);
                }
                None => (decoy_hash().to_owned(), false),
            },
        };
        let running = self.running.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(running, Ordering::Relaxed);
        let started = Instant::now();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(secret.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await;
        self.running.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
        let ok = ok.map_err(|e| CheckError::Failed(e.to_string()))?;
        self.hashed.fetch_add(1, Ordering::Relaxed);
        self.record(started.elapsed());
        Ok(known && ok)
    }

    fn record(&self, d: Duration) {
        if let Ok(mut r) = self.recent.lock() {
            if r.len() == SAMPLES {
                r.pop_front();
            }
            r.push_back(d);
        }
    }

    fn sample(&self) -> Option<Duration> {
        let r = self.recent.lock().ok()?;
        if r.is_empty() {
            return None;
        }
        r.get(rand::rng().random_range(0..r.len())).copied()
    }
}

/// A hash nobody's secret matches, with the same parameters as real ones.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        SaltString::encode_b64(b"passerelle-decoy")
            .ok()
            .and_then(|s| {
                Argon2::default()
                    .hash_password(&secret, &s)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_ids_are_hashed_once_then_timed_from_real_checks() {
        let checks = SecretChecks::new();
        // First unknown id: nothing timed yet, so one decoy verification.
        assert!(!checks.verify("x".into(), None).await.unwrap());
        assert_eq!(checks.stats().hashed, 1);
        for _ in 0..5 {
            let t = Instant::now();
            assert!(!checks.verify("x".into(), None).await.unwrap());
            assert!(
                t.elapsed() > Duration::from_millis(1),
                "waited like a real check"
            );
        }
        assert_eq!(checks.stats().hashed, 1, "no more hashing for unknown ids");
        let real = crate::clients::hash_secret_blocking("s3cret").unwrap();
        assert!(
            checks
                .verify("s3cret".into(), Some(real.clone()))
                .await
                .unwrap()
        );
        assert!(!checks.verify("wrong".into(), Some(real)).await.unwrap());
        assert_eq!(checks.stats().hashed, 3);
    }

    #[tokio::test]
    async fn concurrent_checks_are_bounded() {
        let checks = std::sync::Arc::new(SecretChecks::new());
        let real = crate::clients::hash_secret_blocking("s3cret").unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = checks.clone();
                let h = real.clone();
                tokio::spawn(async move { c.verify("wrong".into(), Some(h)).await })
            })
            .collect();
        for t in tasks {
            assert!(!t.await.unwrap().unwrap());
        }
        let s = checks.stats();
        assert_eq!(s.hashed, 8);
        assert!(s.peak_concurrent <= s.permits, "{s:?}");
    }
}
