//! Just enough of a PostgreSQL URL to read the role, its password and the database
//! name (for `migrate` and `demo`), without pulling in a URL crate.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    pub user: String,
    pub password: Option<String>,
    pub database: String,
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn parse(url: &str) -> Option<PgUrl> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, _host) = authority.rsplit_once('@')?;
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(percent_decode(p)?)),
        None => (userinfo, None),
    };
    let database = path.split('?').next().unwrap_or("");
    Some(PgUrl {
        user: percent_decode(user)?,
        password,
        database: percent_decode(database)?,
    })
}

/// The same URL pointing at another database (for CREATE DATABASE from `postgres`).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_users_passwords_and_databases() {
        let u = parse("postgres://app:p%40ss@db:5432/passerelle?sslmode=require").expect("url");
        assert_eq!(u.user, "app");
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.database, "passerelle");
        assert!(parse("mysql://x").is_none());
        assert_eq!(
            with_database("postgres://a@h:1/x?s=1", "postgres"),
            "postgres://a@h:1/postgres?s=1"
        );
    }
}
