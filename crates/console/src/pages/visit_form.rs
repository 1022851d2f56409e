//! The visit form, shared by the front desk (record) and the journal (amend):
//! its fields, reading it back into the API's `VisitFields`, and placing the
//! API's validation errors next to the field they name.

use super::field;
use crate::api::{list, text};
use crate::error::{ApiFailure, ConsoleError};
use crate::messages;
use crate::view::{described_by, field_error};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use maud::{Markup, html};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Two requests on the form: the common case at a front desk (the API takes more;
/// the journal's amendment keeps any beyond these two unchanged only if given).
pub(crate) const REQUESTS: usize = 2;

pub(crate) const CHANNELS: &[(&str, &str)] = &[
    ("ON_SITE", "Sur site"),
    ("PHONE", "Téléphone"),
    ("HOME", "À domicile"),
    ("REMOTE", "À distance"),
];
const AGE_BANDS: &[(&str, &str)] = &[
    ("UNDER_18", "Moins de 18 ans"),
    ("FROM_18_TO_25", "18 à 25 ans"),
    ("FROM_26_TO_40", "26 à 40 ans"),
    ("FROM_41_TO_60", "41 à 60 ans"),
    ("FROM_61_TO_75", "61 à 75 ans"),
    ("OVER_75", "Plus de 75 ans"),
];
const SEXES: &[(&str, &str)] = &[("FEMALE", "Femme"), ("MALE", "Homme"), ("OTHER", "Autre")];
const KINDS: &[(&str, &str)] = &[("GENERAL", "Générale"), ("PARTNER", "Partenaire")];
const OUTCOMES: &[(&str, &str)] = &[
    ("INFORMED", "Informé"),
    ("ORIENTED", "Orienté"),
    ("ACCOMPANIED", "Accompagné"),
    ("MEDIATED", "Médiation réalisée"),
    ("RESOLVED", "Résolu"),
];

/// Offset of French local time from UTC: summer time from the last Sunday of
/// March to the last Sunday of October, at 01:00 UTC both ways.
fn paris_offset(at: DateTime<Utc>) -> Duration {
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(at.year(), month, 31).unwrap_or_default();
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt().unwrap_or(d);
        }
        Utc.from_utc_datetime(&d.and_time(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default()))
    };
    if at >= last_sunday(3) && at < last_sunday(10) {
        Duration::hours(2)
    } else {
        Duration::hours(1)
    }
}

pub(crate) fn local(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.naive_utc() + paris_offset(at)
}

/// Start of today, French time, in UTC.
pub(crate) fn today_start() -> DateTime<Utc> {
    let now = Utc::now();
    let day = local(now).date();
    from_local(day, NaiveTime::MIN)
}

pub(crate) fn from_local(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = day.and_time(time);
    let guess = Utc.from_utc_datetime(&naive);
    Utc.from_utc_datetime(&(naive - paris_offset(guess)))
}

/// An API timestamp shown in French local time: "04/12/2026 14:05".
pub(crate) fn show_time(v: &Value) -> String {
    DateTime::parse_from_rfc3339(text(v))
        .map(|t| {
            local(t.with_timezone(&Utc))
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The form's values, as typed (re-shown with the errors).
pub(crate) type Values = HashMap<String, String>;
/// Errors by input id.
pub(crate) type Errors = HashMap<String, String>;

/// Values of a visit as the API gives it, for the amendment form.
pub(crate) fn values_of(v: &Value) -> Values {
    let mut m = Values::new();
    m.insert("site".into(), text(&v["site"]["id"]).into());
    if let Ok(t) = DateTime::parse_from_rfc3339(text(&v["occurredAt"])) {
        let l = local(t.with_timezone(&Utc));
        m.insert("date".into(), l.format("%Y-%m-%d").to_string());
        m.insert("time".into(), l.format("%H:%M").to_string());
    }
    m.insert("channel".into(), text(&v["channel"]).into());
    m.insert(
        "duration".into(),
        v["durationMinutes"].as_i64().unwrap_or(0).to_string(),
    );
    m.insert("age".into(), text(&v["ageBand"]).into());
    m.insert("sex".into(), text(&v["sex"]).into());
    for (i, r) in list(&v["requests"]).iter().enumerate().take(REQUESTS) {
        m.insert(format!("r{i}-theme"), text(&r["theme"]).into());
        m.insert(format!("r{i}-kind"), text(&r["kind"]).into());
        m.insert(format!("r{i}-partner"), text(&r["partner"]["id"]).into());
        m.insert(format!("r{i}-outcome"), text(&r["outcome"]).into());
        if r["mediationAct"].as_bool() == Some(true) {
            m.insert(format!("r{i}-act"), "on".into());
        }
    }
    m
}

/// Defaults for a new visit: now, on site, 15 minutes, at the remembered site.
pub(crate) fn defaults(site: Option<&str>) -> Values {
    let now = local(Utc::now());
    let mut m = Values::new();
    m.insert("site".into(), site.unwrap_or("").into());
    m.insert("date".into(), now.format("%Y-%m-%d").to_string());
    m.insert("time".into(), now.format("%H:%M").to_string());
    m.insert("channel".into(), "ON_SITE".into());
    m.insert("duration".into(), "15".into());
    for i in 0..REQUESTS {
        m.insert(format!("r{i}-kind"), "GENERAL".into());
        m.insert(format!("r{i}-outcome"), "INFORMED".into());
    }
    m
}

/// The form read into `VisitFields`, or the errors to show next to the fields.
pub(crate) fn read(form: &HashMap<String, String>) -> Result<Value, Errors> {
    let mut errors = Errors::new();
    let site = field(form, "site");
    if site.is_none() {
        errors.insert("site".into(), "Choisissez le site.".into());
    }
    let day = field(form, "date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let time = field(form, "time").and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
    if day.is_none() {
        errors.insert("date".into(), "Saisissez une date (jj/mm/aaaa).".into());
    }
    if time.is_none() {
        errors.insert("time".into(), "Saisissez une heure (hh:mm).".into());
    }
    let duration = field(form, "duration").and_then(|d| d.parse::<i64>().ok());
    if duration.is_none() {
        errors.insert(
            "duration".into(),
            "Saisissez la durée en minutes, en chiffres.".into(),
        );
    }
    let mut requests = Vec::new();
    for i in 0..REQUESTS {
        let Some(theme) = field(form, &format!("r{i}-theme")) else {
            if i == 0 {
                errors.insert(
                    "r0-theme".into(),
                    "Choisissez le thème de la demande.".into(),
                );
            }
            continue;
        };
        let kind = field(form, &format!("r{i}-kind")).unwrap_or("GENERAL");
        requests.push(json!({
            "theme": theme,
            "kind": kind,
            "partnerId": field(form, &format!("r{i}-partner")),
            "outcome": field(form, &format!("r{i}-outcome")).unwrap_or("INFORMED"),
            "mediationAct": form.contains_key(&format!("r{i}-act")),
        }));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let occurred = match (day, time) {
        (Some(d), Some(t)) => from_local(d, t),
        _ => return Err(errors),
    };
    Ok(json!({
        "siteId": site,
        "occurredAt": occurred.to_rfc3339(),
        "channel": field(form, "channel").unwrap_or("ON_SITE"),
        "durationMinutes": duration,
        "ageBand": field(form, "age"),
        "sex": field(form, "sex"),
        "requests": requests,
    }))
}

/// The input id an API field names (`requests[1].partnerId` is `r1-partner`).
fn input_of(api_field: &str) -> Option<String> {
    if let Some(rest) = api_field.strip_prefix("requests[")
        && let Some((n, sub)) = rest.split_once("].")
    {
        let name = match sub {
            "theme" => "theme",
            "kind" => "kind",
            "partnerId" => "partner",
            "outcome" => "outcome",
            _ => return None,
        };
        return Some(format!("r{n}-{name}"));
    }
    Some(
        match api_field {
            "siteId" => "site",
            "occurredAt" => "date",
            "channel" => "channel",
            "durationMinutes" => "duration",
            "ageBand" => "age",
            "sex" => "sex",
            "requests" => "r0-theme",
            "reason" => "reason",
            _ => return None,
        }
        .to_owned(),
    )
}

/// A validation error of the API as the error of its field (in French), or the
/// error itself when it names no field of this form.
pub(crate) fn place(e: ConsoleError) -> Result<Errors, ConsoleError> {
    match e {
        ConsoleError::Api(ApiFailure {
            code,
            field: Some(f),
            reason,
            message,
        }) if code == "VALIDATION" => match input_of(&f) {
            Some(input) => {
                let reason = messages::reason(reason.as_deref().unwrap_or(""));
                let mut text = reason.clone();
                if let Some(first) = text.get(..1) {
                    text = first.to_uppercase() + &reason[1..];
                }
                Ok(Errors::from([(input, text)]))
            }
            None => Err(ConsoleError::Api(ApiFailure {
                code,
                field: Some(f),
                reason,
                message,
            })),
        },
        other => Err(other),
    }
}

/// The catalogues the form offers: sites, themes, partners (from the API).
pub(crate) struct Choices<'a> {
    pub sites: &'a [Value],
    pub themes: &'a [Value],
    pub partners: &'a [Value],
}

fn select(
    id: &str,
    label: &str,
    options: &[(String, String)],
    empty: Option<&str>,
    values: &Values,
    errors: &Errors,
    hint: Option<&str>,
) -> Markup {
    let current = values.get(id).map(String::as_str).unwrap_or("");
    let error = errors.get(id);
    html! {
        div.field.field-invalid[error.is_some()] {
            label for=(id) { (label) @if let Some(h) = hint { span.hint { (h) } } }
            select id=(id) name=(id) aria-invalid=[error.map(|_| "true")] aria-describedby=[described_by(id, error)] required[empty.is_none()] {
                @if let Some(e) = empty { option value="" { (e) } }
                @for (v, l) in options {
                    option value=(v) selected[v == current] { (l) }
                }
            }
            (field_error(id, error))
        }
    }
}

fn statics(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

fn input(
    id: &str,
    label: &str,
    kind: &str,
    values: &Values,
    errors: &Errors,
    extra: Option<&str>,
) -> Markup {
    let error = errors.get(id);
    html! {
        div.field.field-invalid[error.is_some()] {
            label for=(id) { (label) @if let Some(h) = extra { span.hint { (h) } } }
            input id=(id) name=(id) type=(kind) value=[values.get(id)] required
                inputmode=[(kind == "text").then_some("numeric")]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described_by(id, error)];
            (field_error(id, error))
        }
    }
}

/// The visit's fields and its two requests (no `<form>`: the page wraps them).
pub(crate) fn fields(c: &Choices, values: &Values, errors: &Errors) -> Markup {
    let sites: Vec<(String, String)> = c
        .sites
        .iter()
        .map(|s| (text(&s["id"]).to_owned(), text(&s["name"]).to_owned()))
        .collect();
    let themes: Vec<(String, String)> = c
        .themes
        .iter()
        .map(|t| (text(&t["code"]).to_owned(), text(&t["label"]).to_owned()))
        .collect();
    let partners: Vec<(String, String)> = c
        .partners
        .iter()
        .map(|p| (text(&p["id"]).to_owned(), text(&p["name"]).to_owned()))
        .collect();
    html! {
        fieldset.fieldset {
            legend { "La visite" }
            div.grid {
                (select("site", "Site", &sites, Some("— Choisir un site —"), values, errors, None))
                (input("date", "Date", "date", values, errors, None))
                (input("time", "Heure d'arrivée", "time", values, errors, None))
                (select("channel", "Canal", &statics(CHANNELS), None, values, errors, None))
                (input("duration", "Durée", "text", values, errors, Some(" (en minutes)")))
                (select("age", "Tranche d'âge", &statics(AGE_BANDS), Some("Non renseignée"), values, errors, Some(" (facultatif)")))
                (select("sex", "Sexe", &statics(SEXES), Some("Non renseigné"), values, errors, Some(" (facultatif)")))
            }
        }
        @for i in 0..REQUESTS {
            fieldset.fieldset {
                legend { "Demande " (i + 1) @if i > 0 { " (facultative)" } }
                div.grid {
                    (select(&format!("r{i}-theme"), "Thème", &themes,
                        Some(if i == 0 { "— Choisir un thème —" } else { "Aucune autre demande" }),
                        values, errors, None))
                    (select(&format!("r{i}-kind"), "Type de demande", &statics(KINDS), None, values, errors, None))
                    (select(&format!("r{i}-partner"), "Partenaire", &partners, Some("Aucun (demande générale)"), values, errors, Some(" (pour une demande partenaire)")))
                    (select(&format!("r{i}-outcome"), "Issue", &statics(OUTCOMES), None, values, errors, None))
                    div.field.checkbox {
                        input type="checkbox" id={ "r" (i) "-act" } name={ "r" (i) "-act" } checked[values.contains_key(&format!("r{i}-act"))];
                        label for={ "r" (i) "-act" } { "Compte comme acte de médiation" }
                    }
                }
            }
        }
    }
}
