//! Input rules for agreements, contacts and payments: pure, unit-tested, failures
//! name the GraphQL field. What needs the database (partner, themes and sites
//! exist, reference unique) is checked by the service.

use super::model::*;
use chrono::NaiveDate;
use kernel::Error;

pub const MAX_SITES: usize = 2000;
pub const MAX_YEARS: i32 = 10;
/// Ten million euros, in cents: far above any PIMMS agreement, well inside i64.
pub const MAX_CENTS: i64 = 1_000_000_000;
pub const MAX_ANNUAL_TARGET: i32 = 10_000_000;

use kernel::input::{opt_text, text};

/// Same shape as the database's check: a letter or digit, then 1 to 63 of letters,
/// digits, '_', '.', '/', '-' (e.g. EDF-2026/LYON-01).
pub fn check_reference(s: &str) -> Result<String, Error> {
    let r = s.trim();
    let ok_first = r.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = r
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
    if ok_first && ok_rest && (2..=64).contains(&r.len()) {
        Ok(r.to_owned())
    } else {
        Err(Error::validation(
            "reference",
            "2 to 64 letters, digits, '_', '.', '/' or '-', starting with a letter or digit",
        ))
    }
}

pub fn check_reason(s: &str) -> Result<String, Error> {
    text("reason", s, 3, 500)
}

fn codes(field: &str, v: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for (i, t) in v.into_iter().enumerate() {
        let t = t.trim().to_owned();
        if t.is_empty() {
            return Err(Error::validation(format!("{field}[{i}]"), "required"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Normalises and checks an agreement's terms.
pub fn check_terms(mut t: Terms) -> Result<Terms, Error> {
    t.title = text("title", &t.title, 2, 200)?;
    if t.ends_on < t.starts_on {
        return Err(Error::validation("endsOn", "before startsOn"));
    }
    if t.starts_on
        .checked_add_months(chrono::Months::new(12 * MAX_YEARS as u32))
        .is_none_or(|limit| t.ends_on >= limit)
    {
        return Err(Error::validation(
            "endsOn",
            format!("an agreement lasts at most {MAX_YEARS} years"),
        ));
    }
    t.services.sort();
    t.services.dedup();
    if t.services.is_empty() {
        return Err(Error::validation("services", "at least one service"));
    }
    t.themes = codes("themes", t.themes)?;
    t.workshop_themes = codes("workshopThemes", t.workshop_themes)?;
    for (field, themes, service) in [
        ("themes", &t.themes, Service::PartnerVisits),
        ("workshopThemes", &t.workshop_themes, Service::Workshops),
    ] {
        match (t.services.contains(&service), themes.is_empty()) {
            (true, true) => {
                return Err(Error::validation(
                    field,
                    format!("at least one theme for {}", service.label_fr()),
                ));
            }
            (false, false) => {
                return Err(Error::validation(
                    field,
                    format!("only for an agreement covering {}", service.label_fr()),
                ));
            }
            _ => {}
        }
    }
    let mut sites = Vec::with_capacity(t.site_ids.len());
    for s in &t.site_ids {
        if !sites.contains(s) {
            sites.push(*s);
        }
    }
    if sites.len() > MAX_SITES {
        return Err(Error::validation(
            "siteIds",
            format!("at most {MAX_SITES} sites"),
        ));
    }
    t.site_ids = sites;
    for (i, target) in t.targets.iter().enumerate() {
        if t.targets[..i]
            .iter()
            .any(|o| o.indicator == target.indicator)
        {
            return Err(Error::validation(
                format!("targets[{i}].indicator"),
                "given twice",
            ));
        }
        if !(1..=MAX_ANNUAL_TARGET).contains(&target.annual_target) {
            return Err(Error::validation(
                format!("targets[{i}].annualTarget"),
                format!("between 1 and {MAX_ANNUAL_TARGET}"),
            ));
        }
        let service = target.indicator.service();
        if !t.services.contains(&service) {
            return Err(Error::validation(
                format!("targets[{i}].indicator"),
                format!(
                    "the agreement does not cover this service ({})",
                    service.label_fr()
                ),
            ));
        }
    }
    if !(0..=MAX_CENTS).contains(&t.funding_cents) {
        return Err(Error::validation(
            "fundingCents",
            format!("between 0 and {MAX_CENTS}"),
        ));
    }
    Ok(t)
}

pub fn check_payment(mut p: NewPayment, today: NaiveDate) -> Result<NewPayment, Error> {
    if !(1..=MAX_CENTS).contains(&p.amount_cents) {
        return Err(Error::validation(
            "amountCents",
            format!("between 1 and {MAX_CENTS}"),
        ));
    }
    if p.kind == PaymentKind::Received && p.on_date > today {
        return Err(Error::validation(
            "onDate",
            "a payment received cannot be in the future",
        ));
    }
    p.label = opt_text("label", p.label, 200)?;
    Ok(p)
}

pub fn check_contact(c: NewContact) -> Result<NewContact, Error> {
    let email = match opt_text("email", c.email, 254)? {
        None => None,
        Some(e) => {
            let e = e.to_lowercase();
            let ok = match e.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain
                            .split_once('.')
                            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                        && !e.chars().any(char::is_whitespace)
                }
                None => false,
            };
            if !ok {
                return Err(Error::validation("email", "not an email address"));
            }
            Some(e)
        }
    };
    let phone = match opt_text("phone", c.phone, 20)? {
        None => None,
        Some(p) => {
            let digits = p.strip_prefix('+').unwrap_or(&p);
            if p.len() < 6
                || !digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || " .-".contains(c))
            {
                return Err(Error::validation(
                    "phone",
                    "6 to 20 digits, spaces, dots or dashes, optionally after a +",
                ));
            }
            Some(p)
        }
    };
    Ok(NewContact {
        full_name: text("fullName", &c.full_name, 2, 200)?,
        job_title: opt_text("jobTitle", c.job_title, 200)?,
        email,
        phone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn terms() -> Terms {
        Terms {
            title: "  Convention EDF Lyon 2026 ".into(),
            starts_on: d(2026, 1, 1),
            ends_on: d(2026, 12, 31),
            services: vec![
                Service::Workshops,
                Service::PartnerVisits,
                Service::PartnerVisits,
            ],
            themes: vec!["energy".into(), " energy".into()],
            workshop_themes: vec!["energy_saving".into()],
            site_ids: vec![],
            targets: vec![Target {
                indicator: Indicator::PartnerRequests,
                annual_target: 1200,
            }],
            funding_cents: 4_500_000,
            reporting_frequency: ReportingFrequency::Quarterly,
        }
    }

    fn field<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
        match r {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn terms_are_normalised() {
        let t = check_terms(terms()).expect("valid");
        assert_eq!(t.title, "Convention EDF Lyon 2026");
        assert_eq!(t.services, vec![Service::PartnerVisits, Service::Workshops]);
        assert_eq!(t.themes, vec!["energy".to_owned()]);
    }

    #[test]
    fn bad_terms_name_the_field() {
        let mut t = terms();
        t.ends_on = d(2025, 12, 1);
        assert_eq!(field(check_terms(t)), "endsOn");
        let mut t = terms();
        t.ends_on = d(2040, 1, 1);
        assert_eq!(field(check_terms(t)), "endsOn");
        let mut t = terms();
        t.services.clear();
        assert_eq!(field(check_terms(t)), "services");
        let mut t = terms();
        t.themes.clear();
        assert_eq!(field(check_terms(t)), "themes");
        let mut t = terms();
        t.services = vec![Service::PartnerVisits];
        assert_eq!(field(check_terms(t)), "workshopThemes");
        let mut t = terms();
        t.targets[0].annual_target = 0;
        assert_eq!(field(check_terms(t)), "targets[0].annualTarget");
        let mut t = terms();
        t.targets.push(t.targets[0]);
        assert_eq!(field(check_terms(t)), "targets[1].indicator");
        let mut t = terms();
        t.targets[0].indicator = Indicator::OutreachCases;
        assert_eq!(field(check_terms(t)), "targets[0].indicator");
        let mut t = terms();
        t.funding_cents = -1;
        assert_eq!(field(check_terms(t)), "fundingCents");
        let mut t = terms();
        t.title = "x".into();
        assert_eq!(field(check_terms(t)), "title");
    }

    #[test]
    fn references() {
        assert_eq!(
            check_reference(" EDF-2026/LYON-01 ").ok().as_deref(),
            Some("EDF-2026/LYON-01")
        );
        assert!(check_reference("-EDF").is_err());
        assert!(check_reference("E").is_err());
        assert!(check_reference("EDF 2026").is_err());
        assert!(check_reference(&"A".repeat(65)).is_err());
    }

    #[test]
    fn the_workflow() {
        use AgreementStatus::*;
        assert!(Draft.may_become(Active));
        assert!(Active.may_become(Suspended) && Suspended.may_become(Active));
        assert!(Active.may_become(Ended) && Suspended.may_become(Ended));
        assert!(!Draft.may_become(Suspended));
        assert!(!Ended.may_become(Active), "ended is final");
        assert!(!Active.may_become(Draft));
    }

    #[test]
    fn payments_and_contacts() {
        let today = d(2026, 5, 1);
        let p = NewPayment {
            kind: PaymentKind::Received,
            on_date: d(2026, 6, 1),
            amount_cents: 100,
            label: None,
        };
        assert_eq!(field(check_payment(p.clone(), today)), "onDate");
        let scheduled = NewPayment {
            kind: PaymentKind::Scheduled,
            ..p.clone()
        };
        assert!(check_payment(scheduled, today).is_ok());
        assert_eq!(
            field(check_payment(
                NewPayment {
                    amount_cents: 0,
                    on_date: today,
                    ..p
                },
                today
            )),
            "amountCents"
        );
        let c = NewContact {
            full_name: " Claire Martin ".into(),
            job_title: Some("Chargée de solidarité".into()),
            email: Some("Claire.Martin@EDF.example".into()),
            phone: Some("+33 4 72 00 00 00".into()),
        };
        let ok = check_contact(c.clone()).expect("valid");
        assert_eq!(ok.email.as_deref(), Some("claire.martin@edf.example"));
        assert_eq!(
            field(check_contact(NewContact {
                email: Some("pas une adresse".into()),
                ..c.clone()
            })),
            "email"
        );
        assert_eq!(
            field(check_contact(NewContact {
                phone: Some("appelez-moi".into()),
                ..c
            })),
            "phone"
        );
    }

    #[test]
    fn funding_summary() {
        let p = |kind, amount_cents| Payment {
            id: uuid::Uuid::nil(),
            kind,
            on_date: d(2026, 1, 1),
            amount_cents,
            label: None,
            created_at: chrono::Utc::now().into(),
        };
        let f = Funding::of(
            10_000,
            &[
                p(PaymentKind::Scheduled, 5_000),
                p(PaymentKind::Scheduled, 5_000),
                p(PaymentKind::Received, 4_000),
            ],
        );
        assert_eq!(
            f,
            Funding {
                agreed: 10_000,
                scheduled: 10_000,
                received: 4_000,
                outstanding: 6_000
            }
        );
    }
}
