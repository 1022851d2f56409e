//! Configuration from the environment, optionally completed by a file named by
//! PASSERELLE_CONFIG (KEY=VALUE lines; the environment wins). A missing or bad
//! setting stops the start with one line naming it.

use std::collections::HashMap;
use std::net::SocketAddr;

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
        Ok(Self {
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
        })
    }

    pub fn is_development(&self) -> bool {
        self.env == Environment::Development
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
    }
}
