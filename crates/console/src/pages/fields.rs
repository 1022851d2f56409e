//! The fields of the console's record forms (HR pathways, the auditor's pages):
//! each labelled, its error tied to it, its value kept when the form comes back
//! with an error. Several forms share a page, so every field's id carries its
//! form's prefix (`t-hours`, `x-exitOn`), and so do the errors and kept values.

use super::field;
use crate::error::ApiFailure;
use crate::messages;
use crate::view::{alert, described_by, field_error};
use maud::{Markup, html};
use std::collections::HashMap;

pub(crate) type Errors = HashMap<String, String>;
pub(crate) type Values = HashMap<String, String>;

/// The form's values and errors, as the page shows them.
pub(crate) struct Fields<'a> {
    pub values: &'a Values,
    pub errors: &'a Errors,
}

impl Fields<'_> {
    fn error(&self, id: &str) -> Option<&String> {
        self.errors.get(id)
    }

    fn value<'b>(&'b self, id: &str, default: &'b str) -> &'b str {
        self.values.get(id).map(String::as_str).unwrap_or(default)
    }

    /// An `<input>`: `kind` is text or date; numbers are text with a decimal
    /// keyboard, so that a comma is accepted.
    pub(crate) fn input(
        &self,
        id: &str,
        label: &str,
        hint: Option<&str>,
        kind: &str,
        default: &str,
    ) -> Markup {
        let err = self.error(id);
        let (ty, mode) = match kind {
            "decimal" | "numeric" => ("text", Some(kind)),
            other => (other, None),
        };
        html! {
            div.field.field-invalid[err.is_some()] {
                label for=(id) { (label) @if let Some(h) = hint { span.hint { " (" (h) ")" } } }
                input id=(id) name=(name(id)) type=(ty) inputmode=[mode] value=(self.value(id, default))
                    autocomplete="off" aria-invalid=[err.map(|_| "true")] aria-describedby=[described_by(id, err)];
                (field_error(id, err))
            }
        }
    }

    pub(crate) fn textarea(&self, id: &str, label: &str, hint: Option<&str>) -> Markup {
        let err = self.error(id);
        html! {
            div.field.field-invalid[err.is_some()] {
                label for=(id) { (label) @if let Some(h) = hint { span.hint { " (" (h) ")" } } }
                textarea id=(id) name=(name(id)) rows="3" aria-invalid=[err.map(|_| "true")] aria-describedby=[described_by(id, err)] {
                    (self.value(id, ""))
                }
                (field_error(id, err))
            }
        }
    }

    /// A `<select>` of (value, label); `empty` adds a first blank choice.
    pub(crate) fn select(
        &self,
        id: &str,
        label: &str,
        options: &[(String, String)],
        default: &str,
        empty: Option<&str>,
    ) -> Markup {
        let err = self.error(id);
        let chosen = self.value(id, default);
        html! {
            div.field.field-invalid[err.is_some()] {
                label for=(id) { (label) }
                select id=(id) name=(name(id)) aria-invalid=[err.map(|_| "true")] aria-describedby=[described_by(id, err)] {
                    @if let Some(e) = empty { option value="" { (e) } }
                    @for (v, l) in options { option value=(v) selected[chosen == v] { (l) } }
                }
                (field_error(id, err))
            }
        }
    }

    /// A checkbox, ticked by default until the form comes back unticked.
    pub(crate) fn checkbox(&self, id: &str, prefix: &str, label: &str) -> Markup {
        let sent = self.values.contains_key(&format!("{prefix}form"));
        let checked = if sent {
            self.values.contains_key(id)
        } else {
            true
        };
        html! {
            div.field.checkbox {
                input id=(id) name=(name(id)) type="checkbox" value="true" checked[checked];
                label for=(id) { (label) }
            }
        }
    }

    /// The hidden field naming the form (its prefix), and the error of the form as
    /// a whole (its phase, a conflict), shown above its fields.
    pub(crate) fn head(&self, prefix: &str, csrf: &str) -> Markup {
        let key = format!("{prefix}form");
        html! {
            (crate::view::csrf_field(csrf))
            input type="hidden" name="form" value=(prefix);
            @if let Some(e) = self.error(&key) { (alert("error", e)) }
        }
    }
}

/// The field's name in the form: its id without the form's prefix.
fn name(id: &str) -> &str {
    id.split_once('-').map(|(_, n)| n).unwrap_or(id)
}

/// The form's fields under the form's prefix, to show them again.
pub(crate) fn keep(form: &HashMap<String, String>, prefix: &str) -> Values {
    let mut v: Values = form
        .iter()
        .filter(|(k, _)| !k.starts_with('_') && k.as_str() != "form")
        .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
        .collect();
    v.insert(format!("{prefix}form"), String::new());
    v
}

/// A sentence: capital first, full stop last.
fn sentence(s: String) -> String {
    let mut c = s.chars();
    let mut out = c
        .next()
        .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The API's refusal next to its field when the form has it (`contract.startsOn`
/// is the form's `startsOn`), otherwise above the form; other errors as they are.
pub(crate) fn place(
    e: crate::error::ConsoleError,
    prefix: &str,
    fields: &[&str],
) -> Result<Errors, crate::error::ConsoleError> {
    let f: ApiFailure = match e {
        crate::error::ConsoleError::Api(f)
            if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT") =>
        {
            f
        }
        other => return Err(other),
    };
    if f.code == "CONFLICT" {
        return Ok(Errors::from([(
            format!("{prefix}form"),
            messages::conflict(&f),
        )]));
    }
    let api_field = f.field.as_deref().unwrap_or("");
    let last = api_field.rsplit('.').next().unwrap_or(api_field);
    let why = messages::reason(f.reason.as_deref().unwrap_or(""));
    Ok(if fields.contains(&last) {
        Errors::from([(format!("{prefix}{last}"), sentence(why))])
    } else {
        Errors::from([(format!("{prefix}form"), messages::api_error(&f))])
    })
}

/// The console's own checks before the API is asked: a required field, a date
/// (`YYYY-MM-DD`, as date inputs send it) and a number (comma or point).
pub(crate) struct Check<'a> {
    pub form: &'a HashMap<String, String>,
    pub prefix: &'a str,
    pub errors: Errors,
}

impl<'a> Check<'a> {
    pub(crate) fn new(form: &'a HashMap<String, String>, prefix: &'a str) -> Self {
        Check {
            form,
            prefix,
            errors: Errors::new(),
        }
    }

    fn fail(&mut self, k: &str, why: &str) {
        self.errors
            .entry(format!("{}{k}", self.prefix))
            .or_insert_with(|| why.to_owned());
    }

    pub(crate) fn text(&mut self, k: &str) -> Option<&'a str> {
        let v = field(self.form, k);
        if v.is_none() {
            self.fail(k, messages::REQUIRED);
        }
        v
    }

    pub(crate) fn date(&mut self, k: &str, required: bool) -> Option<String> {
        match field(self.form, k) {
            None => {
                if required {
                    self.fail(k, messages::REQUIRED);
                }
                None
            }
            Some(v) => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y"))
            {
                Ok(d) => Some(d.to_string()),
                Err(_) => {
                    self.fail(k, messages::BAD_DATE);
                    None
                }
            },
        }
    }

    pub(crate) fn number(&mut self, k: &str, required: bool) -> Option<f64> {
        match field(self.form, k) {
            None => {
                if required {
                    self.fail(k, messages::REQUIRED);
                }
                None
            }
            Some(v) => match v.replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() => Some(n),
                _ => {
                    self.fail(k, messages::BAD_NUMBER);
                    None
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConsoleError;

    #[test]
    fn an_api_refusal_goes_next_to_its_field_or_above_the_form() {
        let e = |field: &str, reason: &str| {
            ConsoleError::Api(ApiFailure {
                code: "VALIDATION".into(),
                field: Some(field.into()),
                reason: Some(reason.into()),
                message: String::new(),
            })
        };
        let placed = place(
            e("contract.plannedEndOn", "obligatoire, sauf pour un CDI"),
            "h-",
            &["plannedEndOn"],
        )
        .expect("placed");
        assert_eq!(
            placed.get("h-plannedEndOn").map(String::as_str),
            Some("Obligatoire, sauf pour un CDI.")
        );
        let placed = place(
            e("auditId", "le rapport provisoire n'est pas encore envoyé"),
            "g-",
            &["summary"],
        )
        .expect("placed");
        assert!(placed.get("g-form").is_some_and(|m| m.contains("envoyé")));
        let forbidden = ConsoleError::Api(ApiFailure {
            code: "FORBIDDEN".into(),
            field: None,
            reason: None,
            message: String::new(),
        });
        assert!(place(forbidden, "g-", &[]).is_err());
    }

    #[test]
    fn dates_and_numbers_are_checked_before_the_api() {
        let form = HashMap::from([
            ("startsOn".to_owned(), "2026-13-01".to_owned()),
            ("hours".to_owned(), "7,5".to_owned()),
        ]);
        let mut c = Check::new(&form, "t-");
        assert_eq!(c.date("startsOn", true), None);
        assert_eq!(c.number("hours", true), Some(7.5));
        assert_eq!(c.date("endsOn", true), None);
        assert_eq!(
            c.errors.get("t-startsOn").map(String::as_str),
            Some(messages::BAD_DATE)
        );
        assert_eq!(
            c.errors.get("t-endsOn").map(String::as_str),
            Some(messages::REQUIRED)
        );
        assert!(!c.errors.contains_key("t-hours"));
    }
}
