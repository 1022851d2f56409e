//! Input rules for outbound mediation, pure and unit-tested. A batch is checked as a
//! whole before anything is written; failures name the GraphQL field
//! (`cases[3].phone`) or, for a CSV upload, the line (`csv`, `ligne 4 : ...`).

use super::{AttemptChannel, AttemptResult, CaseClosure, NewAttempt, NewCampaign, NewCase};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use kernel::Error;
use std::collections::HashMap;
use std::fmt::Display;

/// Cases per submission, whether a batch or a CSV upload.
pub const MAX_CASES: usize = 500;
/// Clock skew tolerated between a mediator's device and the server.
pub const FUTURE_SKEW_MINUTES: i64 = 5;
pub const MAX_NOTE: usize = 1000;

/// Where a case came from, to name it in an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Index in the mutation's `cases` list.
    Batch(usize),
    /// Line of the CSV text (the header is line 1).
    Csv(u64),
}

/// A case's columns: camelCase in the GraphQL input, snake_case in a CSV header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    CustomerRef,
    FullName,
    Phone,
    Email,
    Address,
    PostalCode,
}

impl Column {
    const ALL: [Column; 6] = [
        Column::CustomerRef,
        Column::FullName,
        Column::Phone,
        Column::Email,
        Column::Address,
        Column::PostalCode,
    ];

    fn field(self) -> &'static str {
        match self {
            Column::CustomerRef => "customerRef",
            Column::FullName => "fullName",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Address => "address",
            Column::PostalCode => "postalCode",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Column::CustomerRef => "customer_ref",
            Column::FullName => "full_name",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Address => "address",
            Column::PostalCode => "postal_code",
        }
    }
}

impl Origin {
    pub(crate) fn error(self, col: Column, reason: impl Display) -> Error {
        match self {
            Origin::Batch(i) => {
                Error::validation(format!("cases[{i}].{}", col.field()), reason.to_string())
            }
            Origin::Csv(line) => {
                Error::validation("csv", format!("ligne {line} : {}: {reason}", col.header()))
            }
        }
    }

    fn whole(self, reason: impl Display) -> Error {
        match self {
            Origin::Batch(i) => Error::validation(format!("cases[{i}]"), reason.to_string()),
            Origin::Csv(line) => Error::validation("csv", format!("ligne {line} : {reason}")),
        }
    }

    fn name(self) -> String {
        match self {
            Origin::Batch(i) => format!("cases[{i}]"),
            Origin::Csv(line) => format!("ligne {line}"),
        }
    }
}

fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Overseas departments share the French national format (0 + 9 digits) but not the
/// +33 country code: their international form keeps the national digits after
/// their own code (0692 12 34 56 -> +262 692 12 34 56).
const OVERSEAS: &[(&str, &str)] = &[
    ("0590", "590"),
    ("0690", "590"),
    ("0691", "590"),
    ("0594", "594"),
    ("0694", "594"),
    ("0596", "596"),
    ("0696", "596"),
    ("0697", "596"),
    ("0262", "262"),
    ("0263", "262"),
    ("0269", "262"),
    ("0639", "262"),
    ("0692", "262"),
    ("0693", "262"),
];

/// A phone number in international form without separators (+33612345678): French
/// national numbers (06 12 34 56 78, 06.12.34.56.78), international ones (+32 ...,
/// 0032 ...), and the "+33 (0)6" habit. None when it cannot be a phone number.
pub(crate) fn normalise_phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (mut plus, rest) = match raw.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, raw),
    };
    let mut digits = String::with_capacity(rest.len());
    for ch in rest.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if !plus && digits.starts_with("00") {
        plus = true;
        digits.drain(..2);
    }
    if plus {
        // "+33 (0)6 12 34 56 78": the trunk zero has no place after a country code.
        if digits.starts_with("330") {
            digits.remove(2);
        }
        // E.164: at most 15 digits; no country code starts with 0.
        if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
            return None;
        }
        return Some(format!("+{digits}"));
    }
    if digits.len() != 10 || !digits.starts_with('0') || digits.starts_with("00") {
        return None;
    }
    let code = OVERSEAS
        .iter()
        .find(|(prefix, _)| digits.starts_with(prefix))
        .map_or("33", |(_, code)| code);
    Some(format!("+{code}{}", &digits[1..]))
}

fn check_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = e.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty());
    ok.then_some(e)
}

fn check_customer_ref(r: &str) -> bool {
    let mut chars = r.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && r.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
}

/// One case, normalised: trimmed text, phone in international form, lower-case email.
/// The minimum to reach someone: a phone, an email, or an address with its postal code.
pub(crate) fn check_case(at: Origin, c: NewCase) -> Result<NewCase, Error> {
    let customer_ref = c.customer_ref.trim().to_owned();
    if customer_ref.is_empty() {
        return Err(at.error(Column::CustomerRef, "required"));
    }
    if !check_customer_ref(&customer_ref) {
        return Err(at.error(
            Column::CustomerRef,
            "1 to 64 letters, digits, '_', '.', '/' or '-', starting with a letter or digit",
        ));
    }
    let full_name = text(c.full_name);
    if let Some(n) = &full_name
        && (n.chars().count() > 200 || !no_control(n))
    {
        return Err(at.error(
            Column::FullName,
            "at most 200 characters, no control characters",
        ));
    }
    let phone = match text(c.phone) {
        None => None,
        Some(p) => Some(normalise_phone(&p).ok_or_else(|| {
            at.error(
                Column::Phone,
                "not a phone number: a French one (06 12 34 56 78) or an international one (+32 470 12 34 56)",
            )
        })?),
    };
    let email = match text(c.email) {
        None => None,
        Some(e) => {
            Some(check_email(&e).ok_or_else(|| at.error(Column::Email, "not an email address"))?)
        }
    };
    let address = text(c.address);
    if let Some(a) = &address
        && (a.chars().count() > 200 || !no_control(a))
    {
        return Err(at.error(
            Column::Address,
            "at most 200 characters, no control characters",
        ));
    }
    let postal_code = match text(c.postal_code) {
        None => None,
        // Spreadsheets drop the leading zero of Ain's or Aisne's codes (01000 -> 1000).
        Some(p) if p.len() == 4 && p.chars().all(|c| c.is_ascii_digit()) => Some(format!("0{p}")),
        Some(p) if p.len() == 5 && p.chars().all(|c| c.is_ascii_digit()) => Some(p),
        Some(_) => return Err(at.error(Column::PostalCode, "five digits")),
    };
    match (&address, &postal_code) {
        (Some(_), None) => return Err(at.error(Column::PostalCode, "required with an address")),
        (None, Some(_)) => return Err(at.error(Column::Address, "required with a postal code")),
        _ => {}
    }
    if phone.is_none() && email.is_none() && address.is_none() {
        return Err(at.whole(
            "a phone, an email or an address with its postal code is needed to reach the person",
        ));
    }
    Ok(NewCase {
        customer_ref,
        full_name,
        phone,
        email,
        address,
        postal_code,
    })
}

/// Every case of a submission, checked before anything is written: the first bad
/// one fails the whole batch, and so does a customer reference given twice.
pub(crate) fn check_cases(cases: Vec<(Origin, NewCase)>) -> Result<Vec<(Origin, NewCase)>, Error> {
    if cases.is_empty() || cases.len() > MAX_CASES {
        let field = match cases.first() {
            Some((Origin::Csv(_), _)) => "csv",
            _ => "cases",
        };
        return Err(Error::validation(
            field,
            format!("between 1 and {MAX_CASES} cases"),
        ));
    }
    let mut seen: HashMap<String, Origin> = HashMap::with_capacity(cases.len());
    let mut out = Vec::with_capacity(cases.len());
    for (at, c) in cases {
        let c = check_case(at, c)?;
        if let Some(first) = seen.insert(c.customer_ref.clone(), at) {
            return Err(at.error(
                Column::CustomerRef,
                format!("duplicate of {}", first.name()),
            ));
        }
        out.push((at, c));
    }
    Ok(out)
}

/// The fields of one CSV line, trimmed. Quotes come in pairs on a line (a field's
/// opening and closing ones, doubled ones inside): an odd count is a quote left open.
fn csv_fields(line: &str, delimiter: u8) -> Option<Vec<String>> {
    if line.matches('"').count() % 2 == 1 {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Some(record.iter().map(str::to_owned).collect()),
        _ => None,
    }
}

/// Reads a CSV upload into cases with their line numbers. The header line is
/// required and names the columns (any order; customer_ref required, the others
/// optional); the delimiter is `;` (French spreadsheets) or `,`, whichever the header
/// uses. Blank lines are skipped; a malformed line fails the whole upload. One case
/// per line: line numbers are then the ones an editor shows.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<(Origin, NewCase)>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (Origin::Csv(i as u64 + 1), l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_at, header)) = lines.next() else {
        return Err(Error::validation(
            "csv",
            "empty: a header line is required (customer_ref;full_name;phone;email;address;postal_code)",
        ));
    };
    let delimiter =
        if header.contains(';') && header.matches(';').count() >= header.matches(',').count() {
            b';'
        } else {
            b','
        };
    let names =
        csv_fields(header, delimiter).ok_or_else(|| header_at.whole("unreadable header line"))?;
    let mut columns: Vec<Column> = Vec::with_capacity(names.len());
    for name in names {
        let name = name.to_lowercase();
        let Some(col) = Column::ALL.into_iter().find(|c| c.header() == name) else {
            return Err(header_at.whole(format!(
                "unknown column {name:?}; the columns are customer_ref, full_name, phone, email, address, postal_code"
            )));
        };
        if columns.contains(&col) {
            return Err(header_at.whole(format!("column {name} given twice")));
        }
        columns.push(col);
    }
    if !columns.contains(&Column::CustomerRef) {
        return Err(header_at.whole("the customer_ref column is required"));
    }
    let mut out = Vec::new();
    for (at, line) in lines {
        if out.len() == MAX_CASES {
            return Err(Error::validation(
                "csv",
                format!("at most {MAX_CASES} cases per upload"),
            ));
        }
        let values = csv_fields(line, delimiter).ok_or_else(|| at.whole("a quote is left open"))?;
        if values.len() != columns.len() {
            return Err(at.whole(format!(
                "{} fields where the header has {}",
                values.len(),
                columns.len()
            )));
        }
        let mut c = NewCase::default();
        for (col, value) in columns.iter().zip(values) {
            match col {
                Column::CustomerRef => c.customer_ref = value,
                Column::FullName => c.full_name = Some(value),
                Column::Phone => c.phone = Some(value),
                Column::Email => c.email = Some(value),
                Column::Address => c.address = Some(value),
                Column::PostalCode => c.postal_code = Some(value),
            }
        }
        out.push((at, c));
    }
    if out.is_empty() {
        return Err(Error::validation("csv", "no case after the header line"));
    }
    Ok(out)
}

pub(crate) fn check_campaign(mut c: NewCampaign) -> Result<NewCampaign, Error> {
    let title = c.title.trim();
    if !(2..=200).contains(&title.chars().count()) || !no_control(title) {
        return Err(Error::validation(
            "title",
            "between 2 and 200 characters, no control characters",
        ));
    }
    c.title = title.to_owned();
    if c.ends_on < c.starts_on {
        return Err(Error::validation("endsOn", "before the start"));
    }
    if !(1..=10).contains(&c.max_attempts) {
        return Err(Error::validation("maxAttempts", "between 1 and 10"));
    }
    if !(0..=1095).contains(&c.retention_days) {
        return Err(Error::validation(
            "retentionDays",
            "between 0 and 1095 days (three years)",
        ));
    }
    Ok(c)
}

/// Free text written by mediators: line breaks allowed, other control characters not.
fn free_text(field: &str, s: Option<String>) -> Result<Option<String>, Error> {
    match text(s) {
        Some(t)
            if t.chars().count() > MAX_NOTE
                || t.chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            Err(Error::validation(
                field,
                format!("at most {MAX_NOTE} characters"),
            ))
        }
        other => Ok(other),
    }
}

/// An attempt: not in the future, not before the case was handed over; a letter is
/// sent (or comes back: moved away), and only a letter is "sent".
pub(crate) fn check_attempt(
    mut a: NewAttempt,
    submitted_at: DateTime<FixedOffset>,
    now: DateTime<Utc>,
) -> Result<NewAttempt, Error> {
    let skew = Duration::minutes(FUTURE_SKEW_MINUTES);
    if a.attempted_at > now + skew {
        return Err(Error::validation("attemptedAt", "in the future"));
    }
    if a.attempted_at < submitted_at.with_timezone(&Utc) - skew {
        return Err(Error::validation(
            "attemptedAt",
            "before the case was submitted",
        ));
    }
    let letter = a.channel == AttemptChannel::Letter;
    let letter_result = matches!(
        a.result,
        AttemptResult::LetterSent | AttemptResult::MovedAway
    );
    if letter && !letter_result {
        return Err(Error::validation(
            "result",
            "a letter is either sent or returned (moved away)",
        ));
    }
    if !letter && a.result == AttemptResult::LetterSent {
        return Err(Error::validation("result", "only for a letter"));
    }
    a.note = free_text("note", a.note)?;
    Ok(a)
}

/// Report details go back to the partner only with the resident's consent, and only
/// a resident who was reached can give it.
pub(crate) fn check_closure(mut c: CaseClosure) -> Result<CaseClosure, Error> {
    c.report_details = free_text("reportDetails", c.report_details)?;
    if c.consent_to_report && !c.outcome.reached() {
        return Err(Error::validation(
            "consentToReport",
            "only a resident who was reached can consent",
        ));
    }
    if c.report_details.is_some() && !c.consent_to_report {
        return Err(Error::validation(
            "reportDetails",
            "only with the resident's consent to report",
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outreach::Outcome;

    fn case(r: &str) -> NewCase {
        NewCase {
            customer_ref: r.into(),
            phone: Some("06 12 34 56 78".into()),
            ..NewCase::default()
        }
    }

    fn field(e: Result<impl std::fmt::Debug, Error>) -> (String, String) {
        match e {
            Err(Error::Validation { field, reason }) => (field, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn phones_are_normalised() {
        for (raw, want) in [
            ("06 12 34 56 78", "+33612345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("0612345678", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33 (0)6 12 34 56 78", "+33612345678"),
            ("0033 6 12 34 56 78", "+33612345678"),
            ("04-78-12-34-56", "+33478123456"),
            ("0692 12 34 56", "+262692123456"),
            ("0590 12 34 56", "+590590123456"),
            ("+32 470 12 34 56", "+32470123456"),
        ] {
            assert_eq!(normalise_phone(raw).as_deref(), Some(want), "{raw}");
        }
        for bad in [
            "612345678",
            "06 12 34 56",
            "06 12 34 56 78 9",
            "appeler le soir",
            "+0612345678",
            "",
            "+33",
        ] {
            assert_eq!(normalise_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_case_needs_a_reference_and_a_way_to_reach() {
        let c = check_case(Origin::Batch(0), case(" EDF-001 ")).expect("valid");
        assert_eq!(c.customer_ref, "EDF-001");
        assert_eq!(c.phone.as_deref(), Some("+33612345678"));
        let none = NewCase {
            phone: None,
            ..case("A1")
        };
        assert_eq!(
            field(check_case(Origin::Batch(2), none.clone())).0,
            "cases[2]"
        );
        let with_address = NewCase {
            address: Some("3 rue Garibaldi".into()),
            postal_code: Some("1000".into()),
            ..none.clone()
        };
        assert_eq!(
            check_case(Origin::Batch(0), with_address)
                .expect("valid")
                .postal_code
                .as_deref(),
            Some("01000")
        );
        let half = NewCase {
            address: Some("3 rue Garibaldi".into()),
            ..none.clone()
        };
        assert_eq!(
            field(check_case(Origin::Batch(1), half)).0,
            "cases[1].postalCode"
        );
        let email = NewCase {
            email: Some(" Jean.Dupont@Example.FR ".into()),
            ..none
        };
        assert_eq!(
            check_case(Origin::Batch(0), email)
                .expect("valid")
                .email
                .as_deref(),
            Some("jean.dupont@example.fr")
        );
        let bad_phone = NewCase {
            phone: Some("n/a".into()),
            ..case("A1")
        };
        assert_eq!(
            field(check_case(Origin::Batch(3), bad_phone)).0,
            "cases[3].phone"
        );
        assert_eq!(
            field(check_case(Origin::Batch(0), case("-bad"))).0,
            "cases[0].customerRef"
        );
        let (f, reason) = field(check_case(
            Origin::Csv(4),
            NewCase {
                email: Some("nobody".into()),
                ..case("A1")
            },
        ));
        assert_eq!(f, "csv");
        assert!(reason.starts_with("ligne 4 : email: "), "{reason}");
    }

    #[test]
    fn a_batch_fails_as_a_whole() {
        let batch = vec![
            (Origin::Batch(0), case("A1")),
            (Origin::Batch(1), case("A2")),
            (Origin::Batch(2), case("A1")),
        ];
        let (f, reason) = field(check_cases(batch));
        assert_eq!(f, "cases[2].customerRef");
        assert_eq!(reason, "duplicate of cases[0]");
        assert_eq!(field(check_cases(vec![])).0, "cases");
        let many = (0..=MAX_CASES)
            .map(|i| (Origin::Batch(i), case(&format!("R{i}"))))
            .collect();
        assert_eq!(field(check_cases(many)).0, "cases");
    }

    #[test]
    fn csv_with_either_delimiter() {
        let semi = "\u{feff}customer_ref;full_name;phone;email;address;postal_code\r\n\
                    EDF-1;\"Dupont; Jean\";06 12 34 56 78;;;\r\n\
                    \r\n\
                    EDF-2;;;;\"3 rue Garibaldi\";69003\r\n";
        let cases = check_cases(parse_csv(semi).expect("parses")).expect("valid");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].0, Origin::Csv(2));
        assert_eq!(cases[0].1.full_name.as_deref(), Some("Dupont; Jean"));
        assert_eq!(cases[1].0, Origin::Csv(4));
        assert_eq!(cases[1].1.postal_code.as_deref(), Some("69003"));
        let comma = "Phone,Customer_Ref\n+32 470 12 34 56,B-9\n";
        let cases = check_cases(parse_csv(comma).expect("parses")).expect("valid");
        assert_eq!(cases[0].1.customer_ref, "B-9");
    }

    #[test]
    fn bad_csv_names_the_line() {
        let reason = |t: &str| {
            let r = parse_csv(t).and_then(check_cases);
            let (f, reason) = field(r);
            assert_eq!(f, "csv");
            reason
        };
        assert!(reason("").contains("header"));
        assert!(reason("customer_ref;phone\n").contains("no case"));
        assert_eq!(
            reason("customer_ref;full_name;phone\nA1;\"Dupont;0612345678\n"),
            "ligne 2 : a quote is left open"
        );
        assert!(
            reason("customer_ref;telephone\nA;0612345678\n")
                .starts_with("ligne 1 : unknown column")
        );
        assert!(
            reason("phone;email\n0612345678;\n").starts_with("ligne 1 : the customer_ref column")
        );
        assert_eq!(
            reason("customer_ref;phone\nA1;0612345678\nA2;0612345678;x\n"),
            "ligne 3 : 3 fields where the header has 2"
        );
        assert!(
            reason("customer_ref;phone\nA1;0612345678\nA2;0612345678\nA3;000\n")
                .starts_with("ligne 4 : phone: not a phone")
        );
        assert_eq!(
            reason("customer_ref;phone\nA1;0612345678\nA1;0612345679\n"),
            "ligne 3 : customer_ref: duplicate of ligne 2"
        );
    }

    #[test]
    fn closing_needs_consent_for_details() {
        let c = |outcome, consent, details: Option<&str>| CaseClosure {
            outcome,
            consent_to_report: consent,
            report_details: details.map(str::to_owned),
        };
        assert!(
            check_closure(c(
                Outcome::PaymentPlanAgreed,
                true,
                Some("Échéancier sur 6 mois")
            ))
            .is_ok()
        );
        assert_eq!(
            field(check_closure(c(
                Outcome::PaymentPlanAgreed,
                false,
                Some("x")
            )))
            .0,
            "reportDetails"
        );
        assert_eq!(
            field(check_closure(c(Outcome::Unreachable, true, None))).0,
            "consentToReport"
        );
        assert!(
            check_closure(c(Outcome::Unreachable, false, Some("  "))).is_ok(),
            "blank is none"
        );
    }

    #[test]
    fn attempts_are_dated_sensibly() {
        let now = Utc::now();
        let submitted = (now - Duration::days(1)).fixed_offset();
        let a = |at, channel, result| NewAttempt {
            channel,
            attempted_at: at,
            result,
            note: Some("Rappeler après 18 h\nmessagerie pleine".into()),
        };
        assert!(
            check_attempt(
                a(now, AttemptChannel::Phone, AttemptResult::NoAnswer),
                submitted,
                now
            )
            .is_ok()
        );
        assert_eq!(
            field(check_attempt(
                a(
                    now + Duration::hours(1),
                    AttemptChannel::Phone,
                    AttemptResult::NoAnswer
                ),
                submitted,
                now
            ))
            .0,
            "attemptedAt"
        );
        assert_eq!(
            field(check_attempt(
                a(
                    now - Duration::days(2),
                    AttemptChannel::Phone,
                    AttemptResult::NoAnswer
                ),
                submitted,
                now
            ))
            .0,
            "attemptedAt"
        );
        assert_eq!(
            field(check_attempt(
                a(now, AttemptChannel::Letter, AttemptResult::Reached),
                submitted,
                now
            ))
            .0,
            "result"
        );
        assert_eq!(
            field(check_attempt(
                a(now, AttemptChannel::Sms, AttemptResult::LetterSent),
                submitted,
                now
            ))
            .0,
            "result"
        );
    }
}
