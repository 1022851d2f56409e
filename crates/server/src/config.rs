//! Configuration from the environment, optionally completed by a file named by
//! PASSERELLE_CONFIG (KEY=VALUE lines; the environment wins). A missing or bad
//! setting stops the start with one line naming it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub database_admin_url: String,
    pub redis_url: String,
    pub listen: SocketAddr,
    pub env: Environment,
    pub oidc_issuer: Option<String>,
    pub oidc_audience: String,
    pub bootstrap_admin_email: Option<String>,
    pub otlp_endpoint: Option<String>,
    /// How often metrics are pushed to the OTLP endpoint (OTEL_METRIC_EXPORT_INTERVAL, ms).
    pub metric_export_interval: std::time::Duration,
    pub introspection: bool,
    /// Requests per minute per actor on /graphql.
    pub rate_limit_per_minute: u32,
    pub db_max_connections: u32,
    /// Seconds a resolved principal is reused (0: never). Invalidated at once by
    /// PostgreSQL notifications on any change to memberships, roles, clients...
    pub principal_cache_secs: u64,
    /// Dashboards cached in Redis (on by default; off to measure them uncached).
    pub dashboard_cache: bool,
    /// Every Redis key's prefix; None: derived from the database at start
    /// (`passerelle:<system identifier>:<database>`), unique per deployment.
    pub redis_prefix: Option<String>,
    /// How long one Redis call may take before it counts as a failure.
    pub redis_timeout_ms: u64,
    /// Failures in a row (lasting at least a second) before Redis is left alone
    /// until a probe answers.
    pub redis_failures_to_open: u32,
    /// How long a request waits for a pooled connection before UNAVAILABLE.
    pub db_acquire_timeout: Duration,
    /// Requests waiting for a connection past which new ones are shed (503).
    pub db_max_waiting: usize,
    /// statement_timeout of query operations' transactions.
    pub db_read_timeout: Duration,
    /// statement_timeout of every other transaction (mutations, authentication).
    pub db_write_timeout: Duration,
    /// lock_timeout of every transaction.
    pub db_lock_timeout: Duration,
    /// idle_in_transaction_session_timeout of every transaction.
    pub db_idle_tx_timeout: Duration,
    /// The readiness check's own limit (connecting included).
    pub readiness_timeout: Duration,
    /// A request still running after this is ended (503, UNAVAILABLE) and its
    /// statement cancelled.
    pub request_timeout: Duration,
    /// After SIGTERM, how long in-flight requests may finish before they are ended.
    pub shutdown_drain: Duration,
    /// Longest wait for a request's headers (and for the next request on a kept-alive
    /// connection) before the connection is closed.
    pub header_read_timeout_secs: u64,
    /// /oauth/token attempts per minute per client address, then per client id.
    pub token_rate_limit_per_minute: u32,
    pub token_client_rate_limit_per_minute: u32,
    /// Bounds on how long an OIDC provider's signing keys are kept (its
    /// Cache-Control max-age, clamped): a withdrawn key is refused at most `max` later.
    pub jwks_min_age_secs: u64,
    pub jwks_max_age_secs: u64,
    /// E-mails' SMTP server (PASSERELLE_SMTP_URL) and sender (PASSERELLE_MAIL_FROM);
    /// without a server, development logs "would send", production keeps them queued.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The delivery worker's pause when idle, and the first retry's delay.
    pub events_poll: Duration,
    pub webhook_retry_base: Duration,
    /// The console's OpenID Connect client at PASSERELLE_OIDC_ISSUER (authorization
    /// code with PKCE); without it the console offers no OIDC sign-in.
    pub console_oidc_client_id: Option<String>,
    /// Its secret, for a confidential client (None: a public client, PKCE only).
    pub console_oidc_client_secret: Option<String>,
    /// The address people reach the server at (the console's OIDC redirect).
    pub public_url: String,
    /// A console session unused this long ends.
    pub console_idle_timeout: Duration,
    /// Where compliance evidence files are stored (PASSERELLE_EVIDENCE_DIR, or an
    /// S3-compatible bucket with PASSERELLE_EVIDENCE_S3_BUCKET).
    pub evidence_store: compliance::StoreConfig,
    /// Days the access log keeps its entries (PASSERELLE_ACCESS_LOG_RETENTION_DAYS);
    /// older ones are purged, each chain keeping a checkpoint.
    pub access_log_retention_days: u32,
    /// How long the journal keeps personal data (PASSERELLE_BENEFICIARY_RETENTION_DAYS,
    /// PASSERELLE_NOTE_RETENTION_DAYS): beneficiaries without contact that long are
    /// anonymised, older notes deleted, hourly and by `passerelle purge`.
    pub journal_retention: mediation::Retention,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {reason}")]
pub struct ConfigError {
    pub key: &'static str,
    pub reason: String,
}

fn bad(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        reason: reason.into(),
    }
}

pub const DEFAULT_DATABASE_URL: &str =
    "postgres://passerelle_api:passerelle@127.0.0.1:5432/passerelle";
pub const DEFAULT_DATABASE_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/passerelle";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Ok(path) = std::env::var("PASSERELLE_CONFIG") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| bad("PASSERELLE_CONFIG", format!("cannot read {path}: {e}")))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    bad(
                        "PASSERELLE_CONFIG",
                        format!("line {}: expected KEY=VALUE", n + 1),
                    )
                })?;
                vars.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
            }
        }
        for (k, v) in std::env::vars() {
            vars.insert(k, v);
        }
        Self::from_map(&vars)
    }

    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let env = match get("PASSERELLE_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(bad(
                    "PASSERELLE_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let prod = env == Environment::Production;
        let url =
            |key: &'static str, default: &str, schemes: &[&str]| -> Result<String, ConfigError> {
                let v = match get(key) {
                    Some(v) => v,
                    None if prod => return Err(bad(key, "required in production")),
                    None => default.to_owned(),
                };
                if !schemes.iter().any(|s| v.starts_with(&format!("{s}://"))) {
                    return Err(bad(key, format!("expected a {} URL", schemes.join(" or "))));
                }
                Ok(v)
            };
        let database_url = url(
            "DATABASE_URL",
            DEFAULT_DATABASE_URL,
            &["postgres", "postgresql"],
        )?;
        // In production only `migrate` needs the admin URL; it checks for itself.
        let database_admin_url = match get("DATABASE_ADMIN_URL") {
            None if prod => String::new(),
            _ => url(
                "DATABASE_ADMIN_URL",
                DEFAULT_DATABASE_ADMIN_URL,
                &["postgres", "postgresql"],
            )?,
        };
        let redis_url = url("REDIS_URL", "redis://127.0.0.1:6379", &["redis", "rediss"])?;
        let listen = get("PASSERELLE_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse::<SocketAddr>()
            .map_err(|_| bad("PASSERELLE_LISTEN", "expected host:port, e.g. 0.0.0.0:8080"))?;
        let oidc_issuer = get("PASSERELLE_OIDC_ISSUER");
        if let Some(i) = &oidc_issuer {
            if !(i.starts_with("https://") || (!prod && i.starts_with("http://"))) {
                return Err(bad(
                    "PASSERELLE_OIDC_ISSUER",
                    if prod {
                        "expected an https:// URL"
                    } else {
                        "expected an http(s):// URL"
                    },
                ));
            }
        } else if prod {
            return Err(bad(
                "PASSERELLE_OIDC_ISSUER",
                "required in production (the development issuer cannot run there)",
            ));
        }
        let oidc_audience = match get("PASSERELLE_OIDC_AUDIENCE") {
            Some(a) => a,
            None if prod => return Err(bad("PASSERELLE_OIDC_AUDIENCE", "required in production")),
            None => "passerelle".into(),
        };
        let bootstrap_admin_email = get("PASSERELLE_BOOTSTRAP_ADMIN_EMAIL");
        if let Some(e) = &bootstrap_admin_email {
            tenancy::validate::email("PASSERELLE_BOOTSTRAP_ADMIN_EMAIL", e).map_err(|_| {
                bad(
                    "PASSERELLE_BOOTSTRAP_ADMIN_EMAIL",
                    "not a valid email address",
                )
            })?;
        }
        let otlp_endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
        if let Some(e) = &otlp_endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(bad(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "expected an http(s):// URL",
            ));
        }
        let metric_export_interval = get("OTEL_METRIC_EXPORT_INTERVAL")
            .map(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (100..=3_600_000).contains(n))
            })
            .unwrap_or(Some(60_000))
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| {
                bad(
                    "OTEL_METRIC_EXPORT_INTERVAL",
                    "expected milliseconds from 100 to 3600000",
                )
            })?;
        let introspection = match get("PASSERELLE_INTROSPECTION").as_deref() {
            None => !prod,
            Some("true") => true,
            Some("false") => false,
            Some(_) => return Err(bad("PASSERELLE_INTROSPECTION", "expected true or false")),
        };
        let rate_limit_per_minute = get("PASSERELLE_RATE_LIMIT_PER_MINUTE")
            .map(|v| v.parse::<u32>().ok().filter(|n| *n > 0))
            .unwrap_or(Some(1200))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_RATE_LIMIT_PER_MINUTE",
                    "expected a positive integer",
                )
            })?;
        let db_max_connections = get("PASSERELLE_DB_MAX_CONNECTIONS")
            .map(|v| v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)))
            .unwrap_or(Some(16))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_DB_MAX_CONNECTIONS",
                    "expected an integer from 1 to 1000",
                )
            })?;
        let smtp_url = get("PASSERELLE_SMTP_URL");
        let mail_from = get("PASSERELLE_MAIL_FROM")
            .unwrap_or_else(|| "Passerelle <ne-pas-repondre@passerelle.invalid>".to_owned());
        events::Mailer::new(&events::MailerConfig {
            smtp_url: smtp_url.clone(),
            from: mail_from.clone(),
            production: prod,
        })
        .map_err(|reason| match reason.split_once(": ") {
            Some(("PASSERELLE_MAIL_FROM", why)) => bad("PASSERELLE_MAIL_FROM", why),
            Some((_, why)) => bad("PASSERELLE_SMTP_URL", why),
            None => bad("PASSERELLE_SMTP_URL", reason),
        })?;
        let millis = |key: &'static str, default: u64, max: u64| {
            get(key)
                .map(|v| v.parse::<u64>().ok().filter(|n| (10..=max).contains(n)))
                .unwrap_or(Some(default))
                .map(Duration::from_millis)
                .ok_or_else(|| bad(key, format!("expected milliseconds from 10 to {max}")))
        };
        let events_poll = millis("PASSERELLE_EVENTS_POLL_MS", 1000, 60_000)?;
        let webhook_retry_base = millis("PASSERELLE_WEBHOOK_RETRY_BASE_MS", 30_000, 3_600_000)?;
        let access_log_retention_days = get("PASSERELLE_ACCESS_LOG_RETENTION_DAYS")
            .map(|v| v.parse::<u32>().ok().filter(|n| (180..=3650).contains(n)))
            .unwrap_or(Some(365))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_ACCESS_LOG_RETENTION_DAYS",
                    "expected days from 180 to 3650",
                )
            })?;
        let days = |key: &'static str, default: u32| {
            get(key)
                .map(|v| v.parse::<u32>().ok().filter(|n| (30..=3650).contains(n)))
                .unwrap_or(Some(default))
                .ok_or_else(|| bad(key, "expected days from 30 to 3650"))
        };
        let journal_retention = mediation::Retention {
            beneficiary_days: days("PASSERELLE_BENEFICIARY_RETENTION_DAYS", 730)?,
            note_days: days("PASSERELLE_NOTE_RETENTION_DAYS", 730)?,
        };
        let principal_cache_secs = get("PASSERELLE_PRINCIPAL_CACHE_SECS")
            .map(|v| v.parse::<u64>().ok().filter(|n| *n <= 3600))
            .unwrap_or(Some(30))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_PRINCIPAL_CACHE_SECS",
                    "expected seconds from 0 to 3600",
                )
            })?;
        let dashboard_cache = match get("PASSERELLE_DASHBOARD_CACHE").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(bad("PASSERELLE_DASHBOARD_CACHE", "expected on or off")),
        };
        let redis_prefix = get("PASSERELLE_REDIS_PREFIX");
        if let Some(p) = &redis_prefix
            && (p.len() > 200
                || !p
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b)))
        {
            return Err(bad(
                "PASSERELLE_REDIS_PREFIX",
                "expected at most 200 letters, digits, '_', '-', '.' or ':'",
            ));
        }
        let redis_timeout_ms = get("PASSERELLE_REDIS_TIMEOUT_MS")
            .map(|v| v.parse::<u64>().ok().filter(|n| (10..=10_000).contains(n)))
            .unwrap_or(Some(db::redis_pool::DEFAULT_TIMEOUT.as_millis() as u64))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_REDIS_TIMEOUT_MS",
                    "expected milliseconds from 10 to 10000",
                )
            })?;
        let redis_failures_to_open = get("PASSERELLE_REDIS_FAILURES_TO_OPEN")
            .map(|v| v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)))
            .unwrap_or(Some(db::redis_pool::DEFAULT_FAILURES_TO_OPEN))
            .ok_or_else(|| {
                bad(
                    "PASSERELLE_REDIS_FAILURES_TO_OPEN",
                    "expected an integer from 1 to 1000",
                )
            })?;
        let number = |key: &'static str, default: u64, min: u64, max: u64| {
            get(key)
                .map(|v| v.parse::<u64>().ok().filter(|n| (min..=max).contains(n)))
                .unwrap_or(Some(default))
                .ok_or_else(|| bad(key, format!("expected an integer from {min} to {max}")))
        };
        let request_timeout = number("PASSERELLE_REQUEST_TIMEOUT_SECS", 30, 1, 3600)?;
        // A statement never outlives its request: each limit must end it before the
        // HTTP timeout does (which also cancels it, see db::Scoped).
        let below_request = |key: &'static str, default: u64| {
            let ms = number(key, default, 1, 3_600_000)?;
            if ms >= request_timeout * 1000 {
                return Err(bad(
                    key,
                    format!(
                        "must be below PASSERELLE_REQUEST_TIMEOUT_SECS ({} ms)",
                        request_timeout * 1000
                    ),
                ));
            }
            Ok(Duration::from_millis(ms))
        };
        let db_read_timeout = below_request("PASSERELLE_DB_READ_TIMEOUT_MS", 20_000)?;
        let db_write_timeout = below_request("PASSERELLE_DB_WRITE_TIMEOUT_MS", 10_000)?;
        let db_lock_timeout = below_request("PASSERELLE_DB_LOCK_TIMEOUT_MS", 2_000)?;
        let db_idle_tx_timeout = Duration::from_millis(number(
            "PASSERELLE_DB_IDLE_TX_TIMEOUT_MS",
            15_000,
            100,
            3_600_000,
        )?);
        let db_acquire_timeout = Duration::from_millis(number(
            "PASSERELLE_DB_ACQUIRE_TIMEOUT_MS",
            2_000,
            1,
            600_000,
        )?);
        let db_max_waiting = number(
            "PASSERELLE_DB_MAX_WAITING",
            2 * u64::from(db_max_connections),
            0,
            100_000,
        )? as usize;
        let readiness_timeout = Duration::from_millis(number(
            "PASSERELLE_READINESS_TIMEOUT_MS",
            1_000,
            50,
            60_000,
        )?);
        let shutdown_drain =
            Duration::from_secs(number("PASSERELLE_SHUTDOWN_DRAIN_SECS", 20, 0, 3600)?);
        let seconds = |key: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            get(key)
                .map(|v| v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)))
                .unwrap_or(Some(default))
                .ok_or_else(|| bad(key, format!("expected seconds from 1 to {max}")))
        };
        let per_minute = |key: &'static str, default: u32| -> Result<u32, ConfigError> {
            get(key)
                .map(|v| v.parse::<u32>().ok().filter(|n| *n > 0))
                .unwrap_or(Some(default))
                .ok_or_else(|| bad(key, "expected a positive integer"))
        };
        let header_read_timeout_secs = seconds("PASSERELLE_HEADER_READ_TIMEOUT_SECS", 30, 600)?;
        let token_rate_limit_per_minute = per_minute("PASSERELLE_TOKEN_RATE_LIMIT_PER_MINUTE", 60)?;
        let token_client_rate_limit_per_minute =
            per_minute("PASSERELLE_TOKEN_CLIENT_RATE_LIMIT_PER_MINUTE", 20)?;
        let jwks_min_age_secs = seconds("PASSERELLE_JWKS_MIN_AGE_SECS", 60, 86_400)?;
        let jwks_max_age_secs = seconds("PASSERELLE_JWKS_MAX_AGE_SECS", 3600, 86_400)?;
        if jwks_min_age_secs > jwks_max_age_secs {
            return Err(bad(
                "PASSERELLE_JWKS_MIN_AGE_SECS",
                "must not exceed PASSERELLE_JWKS_MAX_AGE_SECS",
            ));
        }
        let console_oidc_client_id = get("PASSERELLE_CONSOLE_OIDC_CLIENT_ID");
        let console_oidc_client_secret = get("PASSERELLE_CONSOLE_OIDC_CLIENT_SECRET");
        let public_url = match get("PASSERELLE_PUBLIC_URL") {
            Some(u) if u.starts_with("https://") || (!prod && u.starts_with("http://")) => {
                u.trim_end_matches('/').to_owned()
            }
            Some(_) => {
                return Err(bad(
                    "PASSERELLE_PUBLIC_URL",
                    if prod {
                        "expected an https:// URL"
                    } else {
                        "expected an http(s):// URL"
                    },
                ));
            }
            None if prod && console_oidc_client_id.is_some() => {
                return Err(bad(
                    "PASSERELLE_PUBLIC_URL",
                    "required in production with PASSERELLE_CONSOLE_OIDC_CLIENT_ID",
                ));
            }
            None => format!("http://{listen}"),
        };
        let console_idle_timeout =
            Duration::from_secs(60 * number("PASSERELLE_CONSOLE_IDLE_MINUTES", 30, 1, 24 * 60)?);
        // Evidence files: a bucket when named (its endpoint and keys from the AWS_*
        // variables), else a directory; the temporary directory by default, so that
        // development and tests write nothing into the working tree.
        let evidence_store = match get("PASSERELLE_EVIDENCE_S3_BUCKET") {
            Some(b) if b.trim().is_empty() => {
                return Err(bad(
                    "PASSERELLE_EVIDENCE_S3_BUCKET",
                    "expected a bucket name",
                ));
            }
            Some(bucket) => compliance::StoreConfig::S3 { bucket },
            None => compliance::StoreConfig::Local(
                get("PASSERELLE_EVIDENCE_DIR")
                    .map(std::path::PathBuf::from)
                    .unwrap_or_else(|| std::env::temp_dir().join("passerelle-evidence")),
            ),
        };
        Ok(Self {
            evidence_store,
            access_log_retention_days,
            journal_retention,
            console_oidc_client_id,
            console_oidc_client_secret,
            public_url,
            console_idle_timeout,
            database_url,
            database_admin_url,
            redis_url,
            listen,
            env,
            oidc_issuer,
            oidc_audience,
            bootstrap_admin_email,
            otlp_endpoint,
            metric_export_interval,
            introspection,
            rate_limit_per_minute,
            db_max_connections,
            principal_cache_secs,
            dashboard_cache,
            redis_prefix,
            redis_timeout_ms,
            redis_failures_to_open,
            db_acquire_timeout,
            db_max_waiting,
            db_read_timeout,
            db_write_timeout,
            db_lock_timeout,
            db_idle_tx_timeout,
            readiness_timeout,
            request_timeout: Duration::from_secs(request_timeout),
            shutdown_drain,
            header_read_timeout_secs,
            token_rate_limit_per_minute,
            token_client_rate_limit_per_minute,
            jwks_min_age_secs,
            jwks_max_age_secs,
            smtp_url,
            mail_from,
            events_poll,
            webhook_retry_base,
        })
    }

    pub fn is_development(&self) -> bool {
        self.env == Environment::Development
    }

    /// The access log's own connections: a quarter of the pool's (at least 2),
    /// waited for like the pool's. An append is one short statement: one that waits
    /// longer than the lock timeout (for its chain's head) fails like any locked
    /// statement, UNAVAILABLE.
    pub fn access_log_options(&self) -> privacy::WriterOptions {
        privacy::WriterOptions {
            max_connections: (self.db_max_connections / 4).max(2),
            acquire_timeout: self.db_acquire_timeout,
            statement_timeout: self.db_lock_timeout,
        }
    }

    /// The application pool as configured.
    pub fn pool_options(&self) -> db::PoolOptions {
        let limits = |statement| db::Timeouts {
            statement,
            lock: self.db_lock_timeout,
            idle_in_transaction: self.db_idle_tx_timeout,
        };
        db::PoolOptions {
            max_connections: self.db_max_connections,
            min_connections: 1,
            acquire_timeout: self.db_acquire_timeout,
            max_waiting: Some(self.db_max_waiting),
            read: limits(self.db_read_timeout),
            write: limits(self.db_write_timeout),
            check_timeout: self.readiness_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_map(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_work_in_development() {
        let c = cfg(&[]).expect("defaults");
        assert!(c.is_development());
        assert!(c.introspection);
    }

    #[test]
    fn production_requires_issuer_and_names_it() {
        let e = cfg(&[
            ("PASSERELLE_ENV", "production"),
            ("DATABASE_URL", "postgres://a@b/c"),
            ("REDIS_URL", "redis://r"),
        ])
        .err()
        .map(|e| e.key);
        assert_eq!(e, Some("PASSERELLE_OIDC_ISSUER"));
    }

    #[test]
    fn fault_settings_have_bounded_defaults_and_are_checked() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.db_lock_timeout, Duration::from_secs(2));
        assert!(c.db_read_timeout < c.request_timeout);
        assert!(c.db_write_timeout < c.request_timeout);
        assert_eq!(c.db_max_waiting, 32);
        assert_eq!(c.shutdown_drain, Duration::from_secs(20));
        assert!(
            c.shutdown_drain < Duration::from_secs(30),
            "below the 30 s grace period"
        );
        assert_eq!(
            cfg(&[("PASSERELLE_DB_READ_TIMEOUT_MS", "30000")])
                .err()
                .map(|e| e.key),
            Some("PASSERELLE_DB_READ_TIMEOUT_MS"),
            "a statement may not outlive the request"
        );
        assert_eq!(
            cfg(&[("PASSERELLE_SHUTDOWN_DRAIN_SECS", "soon")])
                .err()
                .map(|e| e.key),
            Some("PASSERELLE_SHUTDOWN_DRAIN_SECS")
        );
        let c = cfg(&[
            ("PASSERELLE_REQUEST_TIMEOUT_SECS", "5"),
            ("PASSERELLE_DB_READ_TIMEOUT_MS", "4000"),
            ("PASSERELLE_DB_WRITE_TIMEOUT_MS", "4000"),
        ])
        .expect("valid");
        assert_eq!(c.pool_options().read.statement, Duration::from_secs(4));
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            cfg(&[("PASSERELLE_LISTEN", "nope")]).err().map(|e| e.key),
            Some("PASSERELLE_LISTEN")
        );
        assert_eq!(
            cfg(&[("PASSERELLE_ENV", "staging")]).err().map(|e| e.key),
            Some("PASSERELLE_ENV")
        );
        assert_eq!(
            cfg(&[("REDIS_URL", "http://x")]).err().map(|e| e.key),
            Some("REDIS_URL")
        );
        for (k, v) in [
            ("PASSERELLE_REDIS_PREFIX", "a b"),
            ("PASSERELLE_REDIS_TIMEOUT_MS", "0"),
            ("PASSERELLE_REDIS_FAILURES_TO_OPEN", "zero"),
        ] {
            assert_eq!(cfg(&[(k, v)]).err().map(|e| e.key), Some(k));
        }
        let c = cfg(&[("PASSERELLE_REDIS_PREFIX", "staging:passerelle")]).expect("prefix");
        assert_eq!(c.redis_prefix.as_deref(), Some("staging:passerelle"));
        for key in [
            "PASSERELLE_HEADER_READ_TIMEOUT_SECS",
            "PASSERELLE_TOKEN_RATE_LIMIT_PER_MINUTE",
            "PASSERELLE_TOKEN_CLIENT_RATE_LIMIT_PER_MINUTE",
            "PASSERELLE_JWKS_MIN_AGE_SECS",
            "PASSERELLE_JWKS_MAX_AGE_SECS",
        ] {
            assert_eq!(cfg(&[(key, "0")]).err().map(|e| e.key), Some(key));
        }
        assert_eq!(
            cfg(&[
                ("PASSERELLE_JWKS_MIN_AGE_SECS", "600"),
                ("PASSERELLE_JWKS_MAX_AGE_SECS", "60")
            ])
            .err()
            .map(|e| e.key),
            Some("PASSERELLE_JWKS_MIN_AGE_SECS")
        );
    }
}
