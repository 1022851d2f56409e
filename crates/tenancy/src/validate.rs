//! Input rules that need no database. Pure, unit-tested.

use kernel::Error;

pub fn email(field: &str, raw: &str) -> Result<String, Error> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e)
    } else {
        Err(Error::validation(field, "not a valid email address"))
    }
}

pub fn slug(raw: &str) -> Result<String, Error> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Error::validation(
            "slug",
            "lowercase letters, digits and single hyphens, at most 63 characters",
        ))
    }
}

pub fn text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, Error> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(Error::validation(
            field,
            format!("between {min} and {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Error::validation(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("e", " A.B@Example.org ").ok().as_deref(),
            Some("a.b@example.org")
        );
        for bad in ["", "a", "a@b", "@b.fr", "a@.fr", "a b@c.fr", "a@b.fr."] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert!(slug("pimms-lyon-metropole").is_ok());
        for bad in ["", "A", "a--b", "-a", "a-", "é", &"a".repeat(64)] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert!(text("name", " PIMMS ", 2, 10).is_ok());
        assert!(text("name", "x", 2, 10).is_err());
        assert!(text("name", "a\u{0}b", 2, 10).is_err());
    }
}
