//! Input rules for the journal, pure and unit-tested. Failures name the GraphQL field.

use crate::model::{RequestCoding, RequestKind, VisitInput, WorkshopInput};
use chrono::{DateTime, Duration, Utc};
use kernel::Error;

pub const MAX_REQUESTS: usize = 10;
/// Entries may be recorded late (paper forms typed in later), but not from before this.
pub const MAX_AGE_DAYS: i64 = 400;
/// Clock skew tolerated between a front-desk device and the server.
pub const FUTURE_SKEW_MINUTES: i64 = 5;

fn opt_text(field: &str, s: Option<String>, max: usize) -> Result<Option<String>, Error> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max || t.chars().any(char::is_control) => {
            Err(Error::validation(
                field,
                format!("at most {max} characters, no control characters"),
            ))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

pub(crate) fn check_when(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Error> {
    if at > now + Duration::minutes(FUTURE_SKEW_MINUTES) {
        return Err(Error::validation(field, "in the future"));
    }
    if at < now - Duration::days(MAX_AGE_DAYS) {
        return Err(Error::validation(
            field,
            format!("more than {MAX_AGE_DAYS} days ago"),
        ));
    }
    Ok(())
}

pub(crate) fn check_visit(mut v: VisitInput, now: DateTime<Utc>) -> Result<VisitInput, Error> {
    check_when("occurredAt", v.occurred_at, now)?;
    if !(1..=480).contains(&v.duration_minutes) {
        return Err(Error::validation(
            "durationMinutes",
            "between 1 and 480 minutes",
        ));
    }
    v.language = match v
        .language
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
    {
        None => None,
        Some(l) if l == "fr" => None,
        Some(l) if (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()) => {
            Some(l)
        }
        Some(_) => {
            return Err(Error::validation(
                "language",
                "an ISO 639 language code, e.g. ar, tr, ro",
            ));
        }
    };
    v.neighbourhood = opt_text("neighbourhood", v.neighbourhood, 100)?;
    if v.requests.is_empty() || v.requests.len() > MAX_REQUESTS {
        return Err(Error::validation(
            "requests",
            format!("between 1 and {MAX_REQUESTS} requests"),
        ));
    }
    for (i, r) in v.requests.iter_mut().enumerate() {
        match (r.kind, r.partner_id) {
            (RequestKind::Partner, None) => {
                return Err(Error::validation(
                    format!("requests[{i}].partnerId"),
                    "required for a partner request",
                ));
            }
            (RequestKind::General, Some(_)) => {
                return Err(Error::validation(
                    format!("requests[{i}].partnerId"),
                    "only for a partner request",
                ));
            }
            _ => {}
        }
        if r.kind == RequestKind::General && r.agreement_id.is_some() {
            return Err(not_codable(i));
        }
        r.theme = r.theme.trim().to_owned();
        if r.theme.is_empty() {
            return Err(Error::validation(
                format!("requests[{i}].theme"),
                "required",
            ));
        }
        r.referred_to = opt_text(
            &format!("requests[{i}].referredTo"),
            r.referred_to.take(),
            200,
        )?;
        if r.mediation_act.is_none() {
            r.mediation_act = Some(r.outcome.is_mediation_act());
        }
    }
    Ok(v)
}

pub(crate) fn check_workshop(
    mut w: WorkshopInput,
    today: chrono::NaiveDate,
) -> Result<WorkshopInput, Error> {
    if w.held_on > today {
        return Err(Error::validation("heldOn", "in the future"));
    }
    if w.held_on < today - chrono::Days::new(MAX_AGE_DAYS as u64) {
        return Err(Error::validation(
            "heldOn",
            format!("more than {MAX_AGE_DAYS} days ago"),
        ));
    }
    if !(15..=600).contains(&w.duration_minutes) {
        return Err(Error::validation(
            "durationMinutes",
            "between 15 and 600 minutes",
        ));
    }
    if !(0..=1000).contains(&w.attendees) {
        return Err(Error::validation("attendees", "between 0 and 1000"));
    }
    if (w.named_attendees.len() as i32) > w.attendees {
        return Err(Error::validation(
            "namedAttendees",
            "more named attendees than attendees",
        ));
    }
    let t = w.title.trim();
    if t.chars().count() < 2 || t.chars().count() > 200 {
        return Err(Error::validation("title", "between 2 and 200 characters"));
    }
    w.title = t.to_owned();
    w.theme = w.theme.trim().to_owned();
    Ok(w)
}

fn not_codable(i: usize) -> Error {
    Error::validation(
        format!("requests[{i}].agreementId"),
        "only a partner request can be coded to an agreement",
    )
}

/// Codings of a visit's requests: at least one, each position once and present
/// among the visit's requests (`kinds`: position and kind), and agreements only on
/// partner requests.
pub(crate) fn check_codings(
    codings: &[RequestCoding],
    kinds: &[(i16, RequestKind)],
) -> Result<(), Error> {
    if codings.is_empty() || codings.len() > MAX_REQUESTS {
        return Err(Error::validation(
            "requests",
            format!("between 1 and {MAX_REQUESTS} codings"),
        ));
    }
    for (i, c) in codings.iter().enumerate() {
        if codings[..i].iter().any(|o| o.position == c.position) {
            return Err(Error::validation(
                format!("requests[{i}].position"),
                "given twice",
            ));
        }
        let (_, kind) = kinds
            .iter()
            .find(|(p, _)| *p == c.position)
            .ok_or_else(|| {
                Error::validation(
                    format!("requests[{i}].position"),
                    "the visit has no request at this position",
                )
            })?;
        if *kind == RequestKind::General && c.agreement_id.is_some() {
            return Err(not_codable(i));
        }
    }
    Ok(())
}

pub(crate) fn check_client_key(k: &str) -> Result<String, Error> {
    let k = k.trim();
    if (8..=100).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c))
    {
        Ok(k.to_owned())
    } else {
        Err(Error::validation(
            "clientKey",
            "8 to 100 letters, digits, '-', '_', ':' or '.' (a UUID fits)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, NewRequest, Outcome};
    use uuid::Uuid;

    fn visit(now: DateTime<Utc>) -> VisitInput {
        VisitInput {
            site_id: Uuid::now_v7(),
            mediator_id: None,
            occurred_at: now - Duration::minutes(20),
            channel: Channel::OnSite,
            duration_minutes: 15,
            language: Some("FR".into()),
            age_band: None,
            sex: None,
            neighbourhood: None,
            beneficiary_id: None,
            requests: vec![NewRequest {
                theme: " energy ".into(),
                kind: RequestKind::Partner,
                partner_id: Some(Uuid::now_v7()),
                outcome: Outcome::Mediated,
                mediation_act: None,
                referred_to: None,
                agreement_id: None,
                keep_coding: false,
            }],
        }
    }

    fn field(r: Result<VisitInput, Error>) -> String {
        match r {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_visit_is_normalised() {
        let now = Utc::now();
        let v = check_visit(visit(now), now).expect("valid");
        assert_eq!(v.language, None, "French is the default, not recorded");
        assert_eq!(v.requests[0].theme, "energy");
        assert_eq!(v.requests[0].mediation_act, Some(true));
    }

    #[test]
    fn bad_visits_name_the_field() {
        let now = Utc::now();
        let cases = [
            (
                VisitInput {
                    occurred_at: now + Duration::hours(1),
                    ..visit(now)
                },
                "occurredAt",
            ),
            (
                VisitInput {
                    occurred_at: now - Duration::days(500),
                    ..visit(now)
                },
                "occurredAt",
            ),
            (
                VisitInput {
                    duration_minutes: -5,
                    ..visit(now)
                },
                "durationMinutes",
            ),
            (
                VisitInput {
                    language: Some("klingon".into()),
                    ..visit(now)
                },
                "language",
            ),
            (
                VisitInput {
                    requests: vec![],
                    ..visit(now)
                },
                "requests",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(field(check_visit(input, now)), expected);
        }
        let mut v = visit(now);
        v.requests[0].partner_id = None;
        assert_eq!(field(check_visit(v, now)), "requests[0].partnerId");
        let mut v = visit(now);
        v.requests[0].kind = RequestKind::General;
        assert_eq!(field(check_visit(v, now)), "requests[0].partnerId");
        let mut v = visit(now);
        v.requests[0].kind = RequestKind::General;
        v.requests[0].partner_id = None;
        v.requests[0].agreement_id = Some(Uuid::now_v7());
        assert_eq!(field(check_visit(v, now)), "requests[0].agreementId");
    }

    #[test]
    fn codings_name_the_request() {
        use RequestKind::{General, Partner};
        let a = Some(Uuid::now_v7());
        let c = |position, agreement_id| RequestCoding {
            position,
            agreement_id,
        };
        let kinds = [(0, Partner), (1, General)];
        let f = |r: Result<(), Error>| match r {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert!(check_codings(&[c(0, a)], &kinds).is_ok());
        assert!(
            check_codings(&[c(1, None)], &kinds).is_ok(),
            "uncoding is always fine"
        );
        assert_eq!(f(check_codings(&[], &kinds)), "requests");
        assert_eq!(
            f(check_codings(&[c(0, a), c(0, None)], &kinds)),
            "requests[1].position"
        );
        assert_eq!(f(check_codings(&[c(2, a)], &kinds)), "requests[0].position");
        assert_eq!(
            f(check_codings(&[c(-1, a)], &kinds)),
            "requests[0].position"
        );
        assert_eq!(
            f(check_codings(&[c(0, a), c(1, a)], &kinds)),
            "requests[1].agreementId"
        );
    }

    #[test]
    fn client_keys() {
        assert!(check_client_key(&Uuid::now_v7().to_string()).is_ok());
        assert!(check_client_key("short").is_err());
        assert!(check_client_key("has spaces in it").is_err());
    }
}
