//! Free text as the domains accept it: trimmed, within a length, no control characters
//! (they break CSV exports and terminals). Failures name the GraphQL field.

use crate::Error;

/// Required text of `min..=max` characters once trimmed.
pub fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, Error> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            format!("between {min} and {max} characters, no control characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Optional text: absent or blank is `None`, anything else as `text` with at least one
/// character.
pub fn opt_text(field: &str, s: Option<String>, max: usize) -> Result<Option<String>, Error> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, 1, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_bounds_and_refuses_control_characters() {
        assert_eq!(text("name", "  PIMMS  ", 1, 10).unwrap(), "PIMMS");
        assert!(matches!(
            text("name", " ", 1, 10),
            Err(Error::Validation { field, .. }) if field == "name"
        ));
        assert!(text("name", "a\u{7}b", 1, 10).is_err());
        assert!(text("name", "abcdef", 1, 5).is_err());
        assert_eq!(opt_text("note", Some("  ".into()), 5).unwrap(), None);
        assert_eq!(opt_text("note", None, 5).unwrap(), None);
        assert!(opt_text("note", Some("toolong".into()), 5).is_err());
    }
}
