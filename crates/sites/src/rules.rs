//! Input rules, pure and unit-tested. Each failure names the GraphQL field.

use crate::model::{Closure, Label, NewSite, OpeningSlot, SERVICES, Site, SiteKind, SitePatch};
use kernel::Error;

use kernel::input::{opt_text, text};

fn postcode(s: &str) -> Result<String, Error> {
    let t = s.trim();
    if t.len() == 5 && t.chars().all(|c| c.is_ascii_digit()) {
        Ok(t.to_owned())
    } else {
        Err(Error::validation("postcode", "five digits"))
    }
}

fn insee(s: Option<String>) -> Result<Option<String>, Error> {
    let Some(t) = s.map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let b = t.as_bytes();
    let ok = b.len() == 5
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || b[1] == b'A' || b[1] == b'B')
        && b[2..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(Some(t))
    } else {
        Err(Error::validation(
            "inseeCode",
            "an INSEE commune code, e.g. 69123 or 2A004",
        ))
    }
}

fn qpv(s: Option<String>) -> Result<Option<String>, Error> {
    let Some(t) = s.map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok = t.starts_with('Q')
        && (7..=9).contains(&t.len())
        && t.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(Some(t))
    } else {
        Err(Error::validation(
            "qpvCode",
            "a priority-neighbourhood code, e.g. QP069012",
        ))
    }
}

fn coordinates(c: Option<(f64, f64)>) -> Result<Option<(f64, f64)>, Error> {
    match c {
        Some((lat, lon))
            if !(-90.0..=90.0).contains(&lat)
                || !(-180.0..=180.0).contains(&lon)
                || lat.is_nan()
                || lon.is_nan() =>
        {
            Err(Error::validation(
                "coordinates",
                "latitude within ±90 and longitude within ±180",
            ))
        }
        other => Ok(other),
    }
}

fn services(v: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        let s = s.trim().to_owned();
        if !SERVICES.iter().any(|(code, _)| *code == s) {
            return Err(Error::validation(
                "services",
                format!("unknown service {s:?}"),
            ));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

pub(crate) fn check_new(n: NewSite) -> Result<NewSite, Error> {
    let kind = n.kind.unwrap_or(SiteKind::Site);
    if (kind == SiteKind::Permanence) != n.parent_site_id.is_some() {
        return Err(Error::validation(
            "parentSiteId",
            "required for a permanence, and only for one",
        ));
    }
    let host_place = opt_text("hostPlace", n.host_place, 200)?;
    if kind == SiteKind::Permanence && host_place.is_none() {
        return Err(Error::validation(
            "hostPlace",
            "a permanence is held at a host place",
        ));
    }
    let opened_on = n
        .opened_on
        .ok_or_else(|| Error::validation("openedOn", "required"))?;
    if opened_on > kernel::time::today() + chrono::Days::new(366) {
        return Err(Error::validation("openedOn", "more than a year ahead"));
    }
    Ok(NewSite {
        name: text("name", &n.name, 2, 200)?,
        kind: Some(kind),
        parent_site_id: n.parent_site_id,
        host_place,
        street: opt_text("street", n.street, 200)?,
        postcode: postcode(&n.postcode)?,
        city: text("city", &n.city, 1, 120)?,
        insee_code: insee(n.insee_code)?,
        coordinates: coordinates(n.coordinates)?,
        qpv_code: qpv(n.qpv_code)?,
        opened_on: Some(opened_on),
        services: services(n.services)?,
    })
}

pub(crate) fn apply_patch(mut s: Site, p: SitePatch) -> Result<Site, Error> {
    if let Some(n) = p.name {
        s.name = text("name", &n, 2, 200)?;
    }
    if let Some(h) = p.host_place {
        s.host_place = opt_text("hostPlace", h, 200)?;
        if s.kind == SiteKind::Permanence && s.host_place.is_none() {
            return Err(Error::validation(
                "hostPlace",
                "a permanence is held at a host place",
            ));
        }
    }
    if let Some(v) = p.street {
        s.street = opt_text("street", v, 200)?;
    }
    if let Some(v) = p.postcode {
        s.postcode = postcode(&v)?;
    }
    if let Some(v) = p.city {
        s.city = text("city", &v, 1, 120)?;
    }
    if let Some(v) = p.insee_code {
        s.insee_code = insee(v)?;
    }
    if let Some(c) = p.coordinates {
        let c = coordinates(c)?;
        s.latitude = c.map(|c| c.0);
        s.longitude = c.map(|c| c.1);
    }
    if let Some(v) = p.qpv_code {
        s.qpv_code = qpv(v)?;
    }
    if let Some(v) = p.opened_on {
        s.opened_on = v;
    }
    if let Some(v) = p.closed_on {
        s.closed_on = v;
    }
    if s.closed_on.is_some_and(|c| c < s.opened_on) {
        return Err(Error::validation("closedOn", "before the opening date"));
    }
    if let Some(v) = p.services {
        s.services = services(v)?;
    }
    Ok(s)
}

pub fn validate_slots(slots: &[OpeningSlot]) -> Result<(), Error> {
    if slots.len() > 60 {
        return Err(Error::validation("slots", "at most 60 slots"));
    }
    for (i, s) in slots.iter().enumerate() {
        if !(1..=7).contains(&s.weekday) {
            return Err(Error::validation(
                format!("slots[{i}].weekday"),
                "1 (Monday) to 7 (Sunday)",
            ));
        }
        if s.closes <= s.opens {
            return Err(Error::validation(
                format!("slots[{i}].closes"),
                "after the opening time",
            ));
        }
        if !(1..=4).contains(&s.every_n_weeks) {
            return Err(Error::validation(
                format!("slots[{i}].everyNWeeks"),
                "1 to 4",
            ));
        }
        if s.week_of_month.is_some_and(|w| !(1..=5).contains(&w)) {
            return Err(Error::validation(
                format!("slots[{i}].weekOfMonth"),
                "1 to 4, or 5 for the last",
            ));
        }
        for (j, o) in slots.iter().enumerate().take(i) {
            let same_rhythm =
                o.every_n_weeks == s.every_n_weeks && o.week_of_month == s.week_of_month;
            if o.weekday == s.weekday && same_rhythm && s.opens < o.closes && o.opens < s.closes {
                return Err(Error::validation(
                    format!("slots[{i}]"),
                    format!("overlaps slots[{j}]"),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn check_closure(c: Closure) -> Result<Closure, Error> {
    if c.ends_on < c.starts_on {
        return Err(Error::validation("endsOn", "before the start"));
    }
    if (c.ends_on - c.starts_on).num_days() > 366 {
        return Err(Error::validation(
            "endsOn",
            "a closure lasts at most a year; close the site instead",
        ));
    }
    Ok(Closure {
        reason: text("reason", &c.reason, 2, 200)?,
        ..c
    })
}

pub(crate) fn check_label(l: Label) -> Result<Label, Error> {
    // Only a sanction of the union (compliance) suspends the brand.
    if l.kind == crate::model::LabelKind::PimmsSuspended {
        return Err(Error::validation(
            "kind",
            "la suspension de la marque est une sanction de l'union, pas un label",
        ));
    }
    if l.expires_on.is_some_and(|e| e < l.granted_on) {
        return Err(Error::validation("expiresOn", "before the grant date"));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn new_site() -> NewSite {
        NewSite {
            name: "PIMMS Lyon-Vaise".into(),
            postcode: "69009".into(),
            city: "Lyon".into(),
            opened_on: NaiveDate::from_ymd_opt(1998, 3, 2),
            services: vec!["partner_visits".into(), "partner_visits".into()],
            ..NewSite::default()
        }
    }

    #[test]
    fn a_site_is_checked_and_normalised() {
        let s = check_new(new_site()).expect("valid");
        assert_eq!(s.services, vec!["partner_visits".to_owned()]);
        assert_eq!(s.kind, Some(SiteKind::Site));
    }

    #[test]
    fn bad_sites_name_the_field() {
        let field = |n: NewSite| match check_new(n) {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(NewSite {
                postcode: "6900".into(),
                ..new_site()
            }),
            "postcode"
        );
        assert_eq!(
            field(NewSite {
                insee_code: Some("ABCDE".into()),
                ..new_site()
            }),
            "inseeCode"
        );
        assert_eq!(
            field(NewSite {
                qpv_code: Some("X1".into()),
                ..new_site()
            }),
            "qpvCode"
        );
        assert_eq!(
            field(NewSite {
                coordinates: Some((95.0, 4.0)),
                ..new_site()
            }),
            "coordinates"
        );
        assert_eq!(
            field(NewSite {
                services: vec!["karaoke".into()],
                ..new_site()
            }),
            "services"
        );
        assert_eq!(
            field(NewSite {
                kind: Some(SiteKind::Permanence),
                ..new_site()
            }),
            "parentSiteId"
        );
        assert_eq!(
            field(NewSite {
                opened_on: None,
                ..new_site()
            }),
            "openedOn"
        );
        assert_eq!(
            field(NewSite {
                name: " ".into(),
                ..new_site()
            }),
            "name"
        );
    }

    #[test]
    fn slots_must_not_overlap() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
        let slot = |d, o, c| OpeningSlot {
            weekday: d,
            opens: t(o),
            closes: t(c),
            every_n_weeks: 1,
            week_of_month: None,
        };
        assert!(validate_slots(&[slot(1, 9, 12), slot(1, 14, 17), slot(2, 9, 12)]).is_ok());
        assert!(validate_slots(&[slot(1, 9, 12), slot(1, 11, 13)]).is_err());
        assert!(validate_slots(&[slot(8, 9, 12)]).is_err());
        assert!(validate_slots(&[slot(1, 12, 9)]).is_err());
        // Different rhythms may share a weekday (a permanence every first Monday).
        let monthly = OpeningSlot {
            week_of_month: Some(1),
            ..slot(1, 9, 12)
        };
        assert!(validate_slots(&[slot(1, 9, 12), monthly]).is_ok());
    }
}
