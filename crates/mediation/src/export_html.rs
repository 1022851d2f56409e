//! The access export as a document a person can read: French, self-contained HTML
//! (printable to PDF from any browser), every value escaped.

use crate::model::{AgeBand, Channel, ConsentChannel, Outcome, RequestKind, Sex};
use serde_json::Value;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "oui".to_owned(),
        Value::Bool(false) => "non".to_owned(),
        other => other.to_string(),
    }
}

/// A date or a time as a French reader writes it: 04/12/2026 (à 14:05).
fn when(v: &Value) -> String {
    let Some(s) = v.as_str() else {
        return text(v);
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&kernel::time::paris_offset(t.to_utc()));
        return t.format("%d/%m/%Y à %H:%M").to_string();
    }
    if let Ok(d) = s.parse::<chrono::NaiveDate>() {
        return d.format("%d/%m/%Y").to_string();
    }
    // jsonb renders timestamps as "2026-12-04T14:05:00.123+00:00" or with a space.
    if let Ok(t) = chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        let t = t.with_timezone(&kernel::time::paris_offset(t.to_utc()));
        return t.format("%d/%m/%Y à %H:%M").to_string();
    }
    s.to_owned()
}

fn label(v: &Value, f: fn(&str) -> Option<&'static str>) -> String {
    v.as_str()
        .and_then(f)
        .map_or_else(|| text(v), str::to_owned)
}

fn age(s: &str) -> Option<&'static str> {
    AgeBand::parse(s).map(AgeBand::label_fr)
}
fn sex(s: &str) -> Option<&'static str> {
    Sex::parse(s).map(Sex::label_fr)
}
fn channel(s: &str) -> Option<&'static str> {
    Channel::parse(s).map(Channel::label_fr)
}
fn consent_channel(s: &str) -> Option<&'static str> {
    ConsentChannel::parse(s).map(ConsentChannel::label_fr)
}
fn outcome(s: &str) -> Option<&'static str> {
    Outcome::parse(s).map(Outcome::label_fr)
}
fn kind(s: &str) -> Option<&'static str> {
    RequestKind::parse(s).map(RequestKind::label_fr)
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("<p class=\"vide\">Aucune donnée.</p>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr>");
    for h in head {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{}</td>", esc(&c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The document for one beneficiary's file (`rights::EXPORT`'s JSON).
pub(crate) fn render(f: &Value) -> String {
    let b = &f["beneficiary"];
    let name = text(&b["pseudonym"]);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>Données personnelles détenues — {}</title>\n",
        esc(&name)
    ));
    out.push_str(
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}\
         table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
         th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
         th{background:#eee}.vide{color:#555;font-style:italic}</style>\n</head>\n<body>\n",
    );
    out.push_str(&format!(
        "<h1>Données personnelles détenues sur la personne suivie {}</h1>\n",
        esc(&name)
    ));
    out.push_str(&format!(
        "<p>Association : {}. Document établi le {} au titre du droit d'accès (article 15 du RGPD). \
         Il contient toutes les données que la plateforme Passerelle conserve sur cette personne.</p>\n",
        esc(&text(&f["association"])),
        esc(&when(&f["generatedAt"]))
    ));

    out.push_str("<h2>Identité</h2>\n");
    table(
        &mut out,
        &[
            "Pseudonyme",
            "Tranche d'âge",
            "Sexe",
            "Quartier",
            "Dossier ouvert le",
            "Dernière correction",
        ],
        vec![vec![
            name.clone(),
            label(&b["ageBand"], age),
            label(&b["sex"], sex),
            text(&b["neighbourhood"]),
            when(&b["createdAt"]),
            when(&b["updatedAt"]),
        ]],
    );

    out.push_str("<h2>Corrections de l'identité</h2>\n");
    table(
        &mut out,
        &["Version", "Valeurs précédentes", "Motif", "Le"],
        items(&f["corrections"])
            .iter()
            .map(|c| {
                let p = &c["previous"];
                vec![
                    text(&c["revision"]),
                    format!(
                        "tranche d'âge : {} ; sexe : {} ; quartier : {}",
                        label(&p["ageBand"], age),
                        label(&p["sex"], sex),
                        text(&p["neighbourhood"])
                    ),
                    text(&c["reason"]),
                    when(&c["changedAt"]),
                ]
            })
            .collect(),
    );

    out.push_str("<h2>Consentements</h2>\n");
    table(
        &mut out,
        &[
            "Finalité",
            "Destinataire",
            "Donné le",
            "Forme",
            "Expire le",
            "Retiré le",
        ],
        items(&f["consents"])
            .iter()
            .map(|c| {
                vec![
                    text(&c["purpose"]),
                    match &c["recipient"] {
                        Value::Null => "l'association seulement".to_owned(),
                        v => text(v),
                    },
                    when(&c["givenOn"]),
                    label(&c["channel"], consent_channel),
                    when(&c["expiresOn"]),
                    when(&c["withdrawnOn"]),
                ]
            })
            .collect(),
    );

    out.push_str("<h2>Passages et demandes</h2>\n");
    let visits = items(&f["visits"]);
    if visits.is_empty() {
        out.push_str("<p class=\"vide\">Aucune donnée.</p>\n");
    }
    for v in visits {
        out.push_str(&format!(
            "<h3>Le {} — {}</h3>\n<p>Mode : {} ; durée : {} min ; langue : {} ; état : {}.</p>\n",
            esc(&when(&v["occurredAt"])),
            esc(&text(&v["site"])),
            esc(&label(&v["channel"], channel)),
            esc(&text(&v["durationMinutes"])),
            esc(&text(&v["language"])),
            if v["status"] == "voided" {
                "annulé"
            } else {
                "enregistré"
            }
        ));
        table(
            &mut out,
            &[
                "Thème",
                "Accueil",
                "Partenaire",
                "Réponse apportée",
                "Acte de médiation",
                "Orienté vers",
            ],
            items(&v["requests"])
                .iter()
                .map(|q| {
                    vec![
                        text(&q["theme"]),
                        label(&q["kind"], kind),
                        text(&q["partner"]),
                        label(&q["outcome"], outcome),
                        text(&q["mediationAct"]),
                        text(&q["referredTo"]),
                    ]
                })
                .collect(),
        );
        let notes = items(&v["notes"]);
        if !notes.is_empty() {
            out.push_str("<p>Notes :</p>\n<ul>\n");
            for n in notes {
                out.push_str(&format!(
                    "<li>{} — {}</li>\n",
                    esc(&when(&n["writtenAt"])),
                    esc(&text(&n["body"]))
                ));
            }
            out.push_str("</ul>\n");
        }
    }

    out.push_str("<h2>Ateliers suivis</h2>\n");
    table(
        &mut out,
        &["Atelier", "Thème", "Lieu", "Le"],
        items(&f["workshops"])
            .iter()
            .map(|w| {
                vec![
                    text(&w["title"]),
                    text(&w["theme"]),
                    text(&w["site"]),
                    when(&w["heldOn"]),
                ]
            })
            .collect(),
    );

    out.push_str("<h2>Démarches « aller vers » pour un partenaire</h2>\n");
    let cases = items(&f["outreachCases"]);
    table(
        &mut out,
        &[
            "Campagne",
            "Partenaire",
            "Référence client",
            "Nom",
            "Téléphone",
            "Courriel",
            "Adresse",
            "État",
            "Issue",
        ],
        cases
            .iter()
            .map(|k| {
                vec![
                    text(&k["campaign"]),
                    text(&k["partner"]),
                    text(&k["customerRef"]),
                    text(&k["fullName"]),
                    text(&k["phone"]),
                    text(&k["email"]),
                    format!("{} {}", text(&k["address"]), text(&k["postalCode"])),
                    text(&k["status"]),
                    text(&k["outcome"]),
                ]
            })
            .collect(),
    );
    for k in cases {
        let attempts = items(&k["attempts"]);
        if attempts.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "<p>Tentatives de contact ({}) :</p>\n<ul>\n",
            esc(&text(&k["campaign"]))
        ));
        for a in attempts {
            out.push_str(&format!(
                "<li>{} — {} — {} — {}</li>\n",
                esc(&when(&a["attemptedAt"])),
                esc(&text(&a["channel"])),
                esc(&text(&a["result"])),
                esc(&text(&a["note"]))
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<p>Pour faire corriger ces données ou demander leur effacement, adressez-vous à la direction \
         de l'association.</p>\n</body>\n</html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_labelled_in_french() {
        let f = serde_json::json!({
            "generatedAt": "2026-12-04T13:05:00+00:00",
            "association": "PIMMS <Test>",
            "beneficiary": {"pseudonym": "B-2026-00001", "ageBand": "26_40", "sex": "female",
                            "neighbourhood": "<script>alert(1)</script>", "createdAt": "2026-01-02T08:00:00+00:00"},
            "corrections": [], "consents": [{"purpose": "Suivi", "recipient": null, "givenOn": "2026-01-02",
                "channel": "written", "expiresOn": "2027-01-02", "withdrawnOn": null}],
            "visits": [], "workshops": [], "outreachCases": []
        });
        let html = render(&f);
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains("26-40 ans") && html.contains("Femme") && html.contains("Écrit"));
        assert!(html.contains("l'association seulement"));
        assert!(html.contains("04/12/2026 à 14:05"), "{html}");
        assert!(html.contains("PIMMS &lt;Test&gt;"));
    }
}
