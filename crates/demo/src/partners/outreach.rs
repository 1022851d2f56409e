//! The demo's outbound mediation: an open ENGIE campaign on unpaid energy bills in
//! Grenoble with cases in every state, and a closed campaign whose contact data was
//! purged. Campaigns are keyed by association and title and skipped when present,
//! with their cases and attempts.

use super::{GRENOBLE, add_days, invalid};
use crate::Error;
use crate::sql::{affected, exec, query};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use uuid::Uuid;

/// How a case went: its attempts (channel, result), then, if closed, its outcome,
/// whether the resident consented to details going back to the partner, and those.
struct Script {
    attempts: &'static [(&'static str, &'static str)],
    outcome: Option<&'static str>,
    consent: bool,
    report: Option<&'static str>,
}

const fn open(attempts: &'static [(&'static str, &'static str)]) -> Script {
    Script {
        attempts,
        outcome: None,
        consent: false,
        report: None,
    }
}

const fn closed(
    attempts: &'static [(&'static str, &'static str)],
    outcome: &'static str,
    report: Option<&'static str>,
) -> Script {
    Script {
        attempts,
        outcome: Some(outcome),
        consent: report.is_some(),
        report,
    }
}

const PENDING: Script = open(&[]);

/// The open campaign's 30 cases: 6 pending, 8 in progress, 16 closed with every
/// outcome. Three attempts without reaching anybody close a case as unreachable (the
/// campaign's `max_attempts`), as the API does.
const OPEN_CASES: &[Script] = &[
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    PENDING,
    open(&[("phone", "no_answer")]),
    open(&[("phone", "no_answer")]),
    open(&[("phone", "no_answer")]),
    open(&[("phone", "left_message")]),
    open(&[("phone", "no_answer"), ("sms", "left_message")]),
    open(&[("phone", "left_message"), ("phone", "no_answer")]),
    // Reached; the mediator waits for the bills to call the partner with her.
    open(&[("phone", "reached")]),
    open(&[("letter", "letter_sent")]),
    closed(
        &[("phone", "no_answer"), ("phone", "reached")],
        "contact_restored",
        Some(
            "Rappel du service client convenu ; la personne attend la révision de son échéancier.",
        ),
    ),
    closed(&[("phone", "reached")], "contact_restored", None),
    closed(
        &[("door_to_door", "reached")],
        "contact_restored",
        Some("Compteur relevé ensemble, facture estimée à corriger."),
    ),
    closed(
        &[("sms", "left_message"), ("phone", "reached")],
        "contact_restored",
        None,
    ),
    closed(
        &[("phone", "reached")],
        "payment_plan_agreed",
        Some("Échéancier de 6 mois accepté, premier versement le 10 du mois."),
    ),
    closed(
        &[("phone", "left_message"), ("phone", "reached")],
        "payment_plan_agreed",
        Some("Plan d'apurement sur 10 mois ; demande de chèque énergie faite."),
    ),
    closed(&[("door_to_door", "reached")], "payment_plan_agreed", None),
    closed(&[("phone", "reached")], "payment_plan_agreed", None),
    closed(
        &[("phone", "reached")],
        "referred_to_social_services",
        Some("Orientée vers le CCAS pour une aide du fonds de solidarité logement (énergie)."),
    ),
    closed(
        &[("phone", "no_answer"), ("door_to_door", "reached")],
        "referred_to_social_services",
        None,
    ),
    closed(
        &[("phone", "reached")],
        "referred_to_social_services",
        Some("Dossier FSL déposé avec l'assistante sociale du secteur."),
    ),
    closed(&[("phone", "wrong_number")], "wrong_number", None),
    closed(
        &[("phone", "wrong_number"), ("letter", "moved_away")],
        "wrong_number",
        None,
    ),
    closed(&[("phone", "refused")], "refused", None),
    closed(
        &[
            ("phone", "no_answer"),
            ("phone", "left_message"),
            ("letter", "letter_sent"),
        ],
        "unreachable",
        None,
    ),
    closed(
        &[
            ("phone", "no_answer"),
            ("sms", "left_message"),
            ("door_to_door", "no_answer"),
        ],
        "unreachable",
        None,
    ),
];

/// The purged campaign's cases: all closed (their scripts, from the open campaign's).
const PURGED_CASES: &[usize] = &[14, 15, 16, 18, 19, 22, 23, 25, 27, 28, 29, 28];

pub(super) struct CampaignSeed {
    tenant: &'static str,
    pub(super) agreement: &'static str,
    title: &'static str,
    purpose: &'static str,
    legal_basis: &'static str,
    /// Days before the seed.
    starts_ago: i64,
    length_days: i64,
    /// Days before the seed; None: open.
    closed_ago: Option<i64>,
    retention_days: i32,
    purged: bool,
    /// The cases' scripts, by index in `OPEN_CASES`.
    cases: &'static [usize],
    ref_prefix: &'static str,
}

const ALL_OPEN: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29,
];

pub(super) const CAMPAIGNS: &[CampaignSeed] = &[
    CampaignSeed {
        tenant: GRENOBLE,
        agreement: "CL-ENGIE-GRENOBLE",
        title: "Impayés d'énergie ENGIE – Villeneuve, Mistral et Échirolles",
        purpose: "unpaid_energy_bills",
        legal_basis: "legitimate_interest",
        starts_ago: 45,
        length_days: 90,
        closed_ago: None,
        retention_days: 90,
        purged: false,
        cases: ALL_OPEN,
        ref_prefix: "ENG-38-",
    },
    CampaignSeed {
        tenant: GRENOBLE,
        agreement: "CL-ENGIE-GRENOBLE",
        title: "Chèque énergie : relance des bénéficiaires ENGIE",
        purpose: "energy_vouchers",
        legal_basis: "public_interest",
        starts_ago: 300,
        length_days: 90,
        closed_ago: Some(205),
        retention_days: 90,
        purged: true,
        cases: PURGED_CASES,
        ref_prefix: "CHQ-38-",
    },
];

const FIRST_NAMES: &[&str] = &[
    "Nadia",
    "Mohamed",
    "Sylvie",
    "Kévin",
    "Fatima",
    "Jean-Luc",
    "Aïcha",
    "Christophe",
    "Yasmine",
    "Gérard",
    "Leïla",
    "Bruno",
    "Sabrina",
    "Mamadou",
    "Josiane",
    "Rachid",
    "Élodie",
    "Patrick",
    "Malika",
    "Thierry",
    "Chantal",
    "Ahmed",
    "Nathalie",
    "Olivier",
];
const LAST_NAMES: &[&str] = &[
    "Benaïssa",
    "Lopez",
    "Durand",
    "Nguyen",
    "Bouzid",
    "Martinez",
    "Gauthier",
    "Koné",
    "Petitjean",
    "Ferreira",
    "Mansouri",
    "Blanc",
    "Diop",
    "Rey",
    "Colin",
    "Haddadi",
    "Pereira",
    "Lambert",
    "Traoré",
    "Mercier",
];
/// (street, postal code) in the neighbourhoods of the Grenoble sites.
const STREETS: &[(&str, &str)] = &[
    ("galerie de l'Arlequin", "38100"),
    ("avenue La Bruyère", "38100"),
    ("rue Anatole France", "38100"),
    ("avenue Marie Reynoard", "38100"),
    ("rue du Général Ferrié", "38100"),
    ("avenue de Grugliasco", "38130"),
    ("cours Jean Jaurès", "38130"),
    ("rue de la Liberté", "38130"),
    ("place des Géants", "38100"),
    ("rue Mozart", "38000"),
];

/// Ascii lower case for an email's local part.
fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c.to_lowercase().next().unwrap_or(c) {
                'à' | 'â' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' => 'i',
                'ô' | 'ö' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                c => c,
            };
            (c.is_ascii_lowercase() || c == '-').then_some(c)
        })
        .collect()
}

/// The next weekday on or after `d` (mediators call on working days).
fn working_day(d: NaiveDate) -> Result<NaiveDate, Error> {
    match d.weekday() {
        Weekday::Sat => add_days(d, 2),
        Weekday::Sun => add_days(d, 1),
        _ => Ok(d),
    }
}

fn at(d: NaiveDate, minutes: u32) -> Result<NaiveDateTime, Error> {
    let t = NaiveTime::from_hms_opt(minutes / 60 % 24, minutes % 60, 0)
        .ok_or_else(|| invalid("time"))?;
    Ok(d.and_time(t))
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_ts(t: Option<NaiveDateTime>) -> String {
    t.map(ts).unwrap_or_default()
}

fn note(result: &str) -> &'static str {
    match result {
        "left_message" => "Message laissé sur le répondeur, rappel proposé.",
        "reached" => "Personne jointe, situation expliquée.",
        "wrong_number" => "Le numéro n'est plus attribué.",
        "moved_away" => "Courrier revenu : n'habite plus à l'adresse indiquée.",
        "refused" => "Ne souhaite pas être accompagnée.",
        _ => "",
    }
}

/// Columns of the cases and attempts of one campaign, as arrays for `unnest` (empty
/// text stands for null).
#[derive(Default)]
struct Rows {
    case_id: Vec<Uuid>,
    customer_ref: Vec<String>,
    full_name: Vec<String>,
    phone: Vec<String>,
    email: Vec<String>,
    address: Vec<String>,
    postal_code: Vec<String>,
    status: Vec<String>,
    outcome: Vec<String>,
    consent: Vec<bool>,
    report: Vec<String>,
    attempts: Vec<i32>,
    by_client: Vec<bool>,
    submitted: Vec<String>,
    updated: Vec<String>,
    closed: Vec<String>,
    a_id: Vec<Uuid>,
    a_case: Vec<Uuid>,
    a_channel: Vec<String>,
    a_at: Vec<String>,
    a_result: Vec<String>,
    a_note: Vec<String>,
    a_mediator: Vec<Uuid>,
}

fn campaign_rows(
    c: &CampaignSeed,
    start: NaiveDate,
    purged_at: Option<NaiveDateTime>,
    staff: &[Uuid],
) -> Result<Rows, Error> {
    let mut rows = Rows::default();
    for (i, &script) in c.cases.iter().enumerate() {
        let s = OPEN_CASES
            .get(script)
            .ok_or_else(|| invalid("case script"))?;
        let id = Uuid::now_v7();
        // Two batches: the partner's API client sends most cases on the first day,
        // its relations officer adds the rest two weeks later.
        let second = i >= 20;
        let day = if second { add_days(start, 14)? } else { start };
        let submitted = at(day, if second { 14 * 60 + 5 } else { 9 * 60 + 30 })?;
        let mut last = submitted;
        for (j, (channel, result)) in s.attempts.iter().enumerate() {
            let d = working_day(add_days(day, 2 + 3 * j as i64 + (i % 3) as i64)?)?;
            let t = at(d, 9 * 60 + ((i * 37 + j * 53) % 420) as u32)?;
            rows.a_id.push(Uuid::now_v7());
            rows.a_case.push(id);
            rows.a_channel.push((*channel).to_owned());
            rows.a_at.push(ts(t));
            rows.a_result.push((*result).to_owned());
            rows.a_note.push(if c.purged {
                String::new()
            } else {
                note(result).to_owned()
            });
            // Mostly the mediators (listed three times), sometimes the others.
            let who = staff
                .get((i + j) % staff.len().max(1))
                .ok_or_else(|| invalid("no staff for the attempts"))?;
            rows.a_mediator.push(*who);
            last = t;
        }
        // The third fruitless attempt closes the case as it is recorded (a few minutes
        // after it); otherwise the mediator closes it right after the last attempt.
        let closed = s
            .outcome
            .map(|o| last + chrono::Duration::minutes(if o == "unreachable" { 4 } else { 20 }));
        let first = FIRST_NAMES[(i * 5 + c.ref_prefix.len()) % FIRST_NAMES.len()];
        let last_name = LAST_NAMES[(i * 7 + 3) % LAST_NAMES.len()];
        let (street, postal_code) = STREETS[(i * 3) % STREETS.len()];
        let purged = c.purged;
        let keep = |v: String| if purged { String::new() } else { v };
        rows.case_id.push(id);
        rows.customer_ref
            .push(keep(format!("{}{:05}", c.ref_prefix, 1204 + i * 17)));
        rows.full_name.push(keep(format!("{first} {last_name}")));
        rows.phone.push(keep(format!(
            "+336{:08}",
            (i as u64 * 73_856_093 + 11_223_344) % 100_000_000
        )));
        rows.email.push(keep(if i % 3 == 0 {
            format!(
                "{}.{}@example.net",
                ascii_fold(first),
                ascii_fold(last_name)
            )
        } else {
            String::new()
        }));
        rows.address
            .push(keep(format!("{} {street}", 1 + (i * 37) % 120)));
        rows.postal_code.push(keep(postal_code.to_owned()));
        rows.status.push(
            match (s.outcome, s.attempts.is_empty()) {
                (Some(_), _) => "closed",
                (None, true) => "pending",
                (None, false) => "in_progress",
            }
            .to_owned(),
        );
        rows.outcome
            .push(s.outcome.map(str::to_owned).unwrap_or_default());
        rows.consent.push(s.consent);
        rows.report
            .push(keep(s.report.map(str::to_owned).unwrap_or_default()));
        rows.attempts.push(s.attempts.len() as i32);
        rows.by_client.push(!second);
        rows.submitted.push(ts(submitted));
        rows.updated.push(ts(purged_at.or(closed).unwrap_or(last)));
        rows.closed.push(opt_ts(closed));
    }
    Ok(rows)
}

/// Inserts the demo campaigns not yet present (by association and title), with their
/// cases and attempts. Returns (campaigns, cases).
pub(super) async fn seed(tx: &db::Scoped, today: NaiveDate) -> Result<(u64, u64), Error> {
    let (mut campaigns, mut cases) = (0, 0);
    for c in CAMPAIGNS {
        let start = add_days(today, -c.starts_ago)?;
        let ends = add_days(start, c.length_days)?;
        let closed_at = match c.closed_ago {
            Some(d) => Some(at(add_days(today, -d)?, 17 * 60)?),
            None => None,
        };
        // The nightly purge after the retention period.
        let purged_at = match closed_at {
            Some(t) if c.purged => Some(at(
                add_days(t.date(), i64::from(c.retention_days) + 1)?,
                2 * 60 + 15,
            )?),
            _ => None,
        };
        let campaign = Uuid::now_v7();
        let rows = query(
            tx,
            "insert into outreach_campaigns (tenant_id, id, agreement_id, partner_id, title, purpose, legal_basis, \
               starts_on, ends_on, max_attempts, retention_days, status, closed_at, purged_at, created_by, created_at) \
             select t.id, $1, a.id, a.partner_id, $4, $5, $6, $7::date, $8::date, 3, $9, \
               case when $10 = '' then 'open' else 'closed' end, \
               nullif($10, '')::timestamp at time zone 'Europe/Paris', \
               nullif($11, '')::timestamp at time zone 'Europe/Paris', \
               (select m.user_id from memberships m join users u on u.id = m.user_id \
                where m.tenant_id = t.id and m.role = 'director' and m.status = 'active' order by u.email limit 1), \
               ($7::date - 3 + time '16:00') at time zone 'Europe/Paris' \
             from tenants t join agreements a on a.reference = $3 \
             where t.slug = $2 \
               and not exists (select 1 from outreach_campaigns c where c.tenant_id = t.id and c.title = $4) \
             returning tenant_id, partner_id",
            vec![
                campaign.into(),
                c.tenant.into(),
                c.agreement.into(),
                c.title.into(),
                c.purpose.into(),
                c.legal_basis.into(),
                start.to_string().into(),
                ends.to_string().into(),
                c.retention_days.into(),
                opt_ts(closed_at).into(),
                opt_ts(purged_at).into(),
            ],
        )
        .await?;
        let Some(r) = rows.first() else {
            continue;
        };
        let tenant: Uuid = r.try_get("", "tenant_id")?;
        let partner: Uuid = r.try_get("", "partner_id")?;
        let mut staff = vec![];
        for r in query(
            tx,
            "select m.id, m.role from memberships m join users u on u.id = m.user_id \
             where m.tenant_id = $1 and m.status = 'active' and m.role in ('mediator', 'coordinator', 'director') \
             order by u.email",
            vec![tenant.into()],
        )
        .await?
        {
            let (id, role): (Uuid, String) = (r.try_get("", "id")?, r.try_get("", "role")?);
            let shares = if role == "mediator" { 3 } else { 1 };
            staff.extend(std::iter::repeat_n(id, shares));
        }
        let k = campaign_rows(c, start, purged_at, &staff)?;
        cases += affected(
            tx,
            "insert into outreach_cases (tenant_id, id, campaign_id, partner_id, customer_ref, full_name, phone, email, \
               address, postal_code, status, outcome, consent_to_report, report_details, attempts, submitted_by_user, \
               submitted_by_client, submitted_at, updated_at, closed_at, purged_at) \
             select $1, u.id, $2, $3, nullif(u.customer_ref, ''), nullif(u.full_name, ''), nullif(u.phone, ''), \
               nullif(u.email, ''), nullif(u.address, ''), nullif(u.postal_code, ''), u.status, nullif(u.outcome, ''), \
               u.consent, nullif(u.report, ''), u.attempts, \
               case when not u.by_client then (select p.user_id from partner_users p join users us on us.id = p.user_id \
                 where p.partner_id = $3 order by us.email limit 1) end, \
               case when u.by_client then (select k.id from partner_api_clients k where k.partner_id = $3 \
                 and k.client_id like 'pc\\_demo%' order by k.client_id limit 1) end, \
               u.submitted::timestamp at time zone 'Europe/Paris', u.updated::timestamp at time zone 'Europe/Paris', \
               nullif(u.closed, '')::timestamp at time zone 'Europe/Paris', \
               nullif($4, '')::timestamp at time zone 'Europe/Paris' \
             from unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
               $12::text[], $13::text[], $14::bool[], $15::text[], $16::int4[], $17::bool[], $18::text[], \
               $19::text[], $20::text[]) \
               as u(id, customer_ref, full_name, phone, email, address, postal_code, status, outcome, consent, report, \
                    attempts, by_client, submitted, updated, closed)",
            vec![
                tenant.into(),
                campaign.into(),
                partner.into(),
                opt_ts(purged_at).into(),
                k.case_id.into(),
                k.customer_ref.into(),
                k.full_name.into(),
                k.phone.into(),
                k.email.into(),
                k.address.into(),
                k.postal_code.into(),
                k.status.into(),
                k.outcome.into(),
                k.consent.into(),
                k.report.into(),
                k.attempts.into(),
                k.by_client.into(),
                k.submitted.into(),
                k.updated.into(),
                k.closed.into(),
            ],
        )
        .await?;
        exec(
            tx,
            "insert into outreach_attempts (tenant_id, id, case_id, channel, attempted_at, result, note, mediator_id, \
               created_at) \
             select $1, u.id, u.case_id, u.channel, u.at::timestamp at time zone 'Europe/Paris', u.result, \
               nullif(u.note, ''), u.mediator, (u.at::timestamp + interval '4 minutes') at time zone 'Europe/Paris' \
             from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[]) \
               as u(id, case_id, channel, at, result, note, mediator)",
            vec![
                tenant.into(),
                k.a_id.into(),
                k.a_case.into(),
                k.a_channel.into(),
                k.a_at.into(),
                k.a_result.into(),
                k.a_note.into(),
                k.a_mediator.into(),
            ],
        )
        .await?;
        campaigns += 1;
    }
    Ok((campaigns, cases))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_cover_every_state_and_outcome() {
        let outcomes = [
            "contact_restored",
            "payment_plan_agreed",
            "referred_to_social_services",
            "wrong_number",
            "refused",
            "unreachable",
        ];
        for o in outcomes {
            assert!(OPEN_CASES.iter().any(|s| s.outcome == Some(o)), "{o}");
        }
        assert_eq!(OPEN_CASES.len(), 30);
        assert_eq!(ALL_OPEN.len(), 30);
        for (i, s) in OPEN_CASES.iter().enumerate() {
            // Three attempts without reaching anybody close the case as unreachable.
            let reached = s
                .attempts
                .iter()
                .any(|a| a.1 == "reached" || a.1 == "refused");
            assert!(s.attempts.len() <= 3, "{i}");
            if s.attempts.len() == 3 && !reached {
                assert_eq!(s.outcome, Some("unreachable"), "{i}");
            }
            if s.outcome.is_some() {
                assert!(!s.attempts.is_empty(), "{i}");
            }
            // Consent only from a resident who was reached; details only with consent.
            if s.consent {
                assert!(reached, "{i}");
            }
            // A letter is sent or comes back; only a letter is sent.
            for (channel, result) in s.attempts {
                if *channel == "letter" {
                    assert!(matches!(*result, "letter_sent" | "moved_away"), "{i}");
                } else {
                    assert_ne!(*result, "letter_sent", "{i}");
                }
            }
        }
        assert!(
            PURGED_CASES
                .iter()
                .all(|&i| OPEN_CASES[i].outcome.is_some())
        );
        assert_eq!(ascii_fold("Aïcha"), "aicha");
        assert_eq!(ascii_fold("Jean-Luc"), "jean-luc");
    }
}
