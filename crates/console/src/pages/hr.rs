//! HR pathways (the association's employees on integration contracts): the list
//! with each one's contract, pathway, 9 % training balance and exit, and one
//! employee's contracts, training ledger month by month, training and exit. Read
//! by the HR managers (the director, and coordinators when the director lets
//! them): the API answers anyone else with their own record only.

use super::{Signed, St};
use crate::api::{EMPLOYEE, EMPLOYEES, list, text};
use crate::error::ConsoleError;
use crate::view;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

fn hr_reader(s: &Signed) -> bool {
    s.session.data.act_as.as_deref() == Some("association")
        && matches!(
            s.session.data.role.as_deref(),
            Some("DIRECTOR" | "COORDINATOR")
        )
}

fn date(v: &Value) -> String {
    chrono::NaiveDate::parse_from_str(text(v), "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| "—".into())
}

fn month(v: &Value) -> String {
    const MONTHS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    chrono::NaiveDate::parse_from_str(text(v), "%Y-%m-%d")
        .ok()
        .map(|d| {
            use chrono::Datelike;
            format!("{} {}", MONTHS[d.month0() as usize], d.year())
        })
        .unwrap_or_default()
}

/// Hours with a decimal comma.
fn hours(v: &Value) -> String {
    let h = v.as_f64().unwrap_or(0.0);
    // A rounding residue is no debt: never "-0,0 h".
    let h = if h.abs() < 0.05 { 0.0 } else { h };
    format!("{h:.1} h").replace('.', ",")
}

fn name(e: &Value) -> String {
    e["fullName"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| "Fiche anonymisée".into())
}

fn balance(l: &Value) -> Markup {
    html! {
        (hours(&l["balance"]))
        @if l["behind"].as_bool() == Some(true) { " " span.badge.badge-error { "En retard sur les 9 %" } }
    }
}

pub(crate) async fn employees(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let data = st.run(&s, &EMPLOYEES, json!({})).await?;
    let chrome = st.chrome(&mut s, "/salaries").await?;
    let all = list(&data["employees"]["nodes"]);
    let (exited, current): (Vec<&Value>, Vec<&Value>) =
        all.iter().partition(|e| e["exit"].is_object());
    let body = html! {
        h1 { "Parcours des salariés" }
        p { "Les salariés en parcours d'insertion : contrats, temps de formation (9 % du temps travaillé) et sorties." }
        h2 { "En parcours" }
        @if current.is_empty() { p { "Aucun salarié en parcours." } } @else {
            div.table-wrap {
                table.table id="employees" {
                    caption.visually-hidden { "Salariés en parcours" }
                    thead { tr {
                        th scope="col" { "Salarié" } th scope="col" { "Contrat en cours" } th scope="col" { "Parcours" }
                        th scope="col" { "Formation due" } th scope="col" { "Formation faite" } th scope="col" { "Solde" }
                    } }
                    tbody { @for e in &current {
                        @let c = list(&e["contracts"]).last();
                        tr {
                            td { a href={ "/salaries/" (text(&e["id"])) } { (name(e)) } }
                            td { @if let Some(c) = c { (text(&c["kindLabel"])) ", " (text(&c["jobTitle"])) " — " (c["weeklyHours"].as_f64().unwrap_or(0.0)) " h/sem. jusqu'au " (date(&c["plannedEndOn"])) } @else { "—" } }
                            td { (date(&e["pathway"]["startsOn"])) " – " (date(&e["pathway"]["endsOn"]))
                                @if let Some(w) = e["pathway"]["warning"]["message"].as_str() { br; span.muted { (w) } } }
                            td { (hours(&e["ledger"]["dueHours"])) }
                            td { (hours(&e["ledger"]["doneHours"])) }
                            td { (balance(&e["ledger"])) }
                        }
                    } }
                }
            }
        }
        h2 { "Sorties" }
        @if exited.is_empty() { p { "Aucune sortie." } } @else {
            div.table-wrap {
                table.table id="exits" {
                    caption.visually-hidden { "Sorties de parcours" }
                    thead { tr { th scope="col" { "Salarié" } th scope="col" { "Sortie le" } th scope="col" { "Situation" } th scope="col" { "Suivi à six mois" } } }
                    tbody { @for e in &exited { tr {
                        td { a href={ "/salaries/" (text(&e["id"])) } { (name(e)) } }
                        td { (date(&e["exit"]["exitOn"])) }
                        td { (text(&e["exit"]["outcomeLabel"])) @if e["exit"]["positive"].as_bool() == Some(true) { " " span.badge.badge-success { "Sortie positive" } } }
                        td { @if e["exit"]["followedUpOn"].is_string() { "fait le " (date(&e["exit"]["followedUpOn"])) } @else { "à partir du " (date(&e["exit"]["followUpDueOn"])) } }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Parcours des salariés",
        &[("Accueil", "/"), ("Salariés", "/salaries")],
        body,
    )
    .into_response())
}

pub(crate) async fn employee(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let data = st
        .run(&s, &EMPLOYEE, json!({ "id": id }))
        .await
        .map_err(|e| match e.api_code() {
            // A malformed id is a missing page, like another association's employee.
            Some("VALIDATION" | "NOT_FOUND") => ConsoleError::NotFound,
            _ => e,
        })?;
    let e = &data["node"];
    if text(&e["__typename"]) != "Employee" {
        return Err(ConsoleError::NotFound);
    }
    let chrome = st.chrome(&mut s, "/salaries").await?;
    let title = name(e);
    let l = &e["ledger"];
    let months = list(&l["months"]);
    // The last twelve months in the chart; the table gives every month.
    let bars: Vec<(String, i64, i64)> = months
        .iter()
        .rev()
        .take(12)
        .rev()
        .map(|m| {
            (
                month(&m["month"]),
                (m["doneHours"].as_f64().unwrap_or(0.0) * 10.0).round() as i64,
                (m["dueHours"].as_f64().unwrap_or(0.0) * 10.0).round() as i64,
            )
        })
        .collect();
    let body = html! {
        h1 { (title) }
        dl.summary {
            div { dt { "Parcours" } dd { (date(&e["pathway"]["startsOn"])) " – " (date(&e["pathway"]["endsOn"])) } }
            @if let Some(p) = e["prescriber"]["name"].as_str() { div { dt { "Prescripteur" } dd { (p) } } }
            @if let Some(r) = e["referent"]["name"].as_str() { div { dt { "Référent" } dd { (r) } } }
            div { dt { "Formation due" } dd { (hours(&l["dueHours"])) } }
            div { dt { "Formation faite" } dd { (hours(&l["doneHours"])) } }
            div { dt { "Solde" } dd id="ledger-balance" { (balance(l)) } }
        }
        @if let Some(w) = e["pathway"]["warning"]["message"].as_str() { (view::alert("warning", w)) }
        h2 { "Contrats" }
        div.table-wrap {
            table.table id="contracts" {
                caption.visually-hidden { "Contrats, du plus ancien au plus récent" }
                thead { tr { th scope="col" { "Contrat" } th scope="col" { "Poste" } th scope="col" { "Du" } th scope="col" { "Au" } th scope="col" { "Heures par semaine" } th scope="col" { "Sites" } } }
                tbody { @for c in list(&e["contracts"]) { tr {
                    td { (text(&c["kindLabel"])) }
                    td { (text(&c["jobTitle"])) }
                    td { (date(&c["startsOn"])) }
                    td { @if c["endedOn"].is_string() { (date(&c["endedOn"])) " (fin anticipée" @if let Some(r) = c["endReason"].as_str() { " : " (r) } ")" } @else if c["plannedEndOn"].is_string() { (date(&c["plannedEndOn"])) } @else { "durée indéterminée" } }
                    td { (c["weeklyHours"].as_f64().unwrap_or(0.0)) }
                    td { @for (i, x) in list(&c["sites"]).iter().enumerate() { @if i > 0 { ", " } (text(&x["name"])) } }
                } } }
            }
        }
        h2 { "Temps de formation : les 9 %" }
        p { "Chaque mois, 9 % des heures travaillées sont dues en formation ou en temps de projet professionnel ; le solde cumule depuis le début du parcours." }
        (view::bar_chart_with(
            "Heures de formation par mois, les douze derniers",
            "barres bleues : heures faites ; barres grises : heures dues. Détail dans le tableau.",
            &bars,
        ))
        div.table-wrap {
            table.table id="ledger" {
                caption { "Registre des 9 %, mois par mois" }
                thead { tr { th scope="col" { "Mois" } th scope="col" { "Heures travaillées" } th scope="col" { "Dues" } th scope="col" { "Faites" } th scope="col" { "Autres" } th scope="col" { "Solde cumulé" } } }
                tbody { @for m in months { tr {
                    th scope="row" { (month(&m["month"])) }
                    td { (hours(&m["workedHours"])) }
                    td { (hours(&m["dueHours"])) }
                    td { (hours(&m["doneHours"])) }
                    td { (hours(&m["otherHours"])) }
                    td { (balance(m)) }
                } } }
            }
        }
        h2 { "Formations et temps de projet" }
        @if list(&e["trainingEntries"]).is_empty() { p { "Aucune formation enregistrée." } } @else {
            div.table-wrap {
                table.table id="training" {
                    caption.visually-hidden { "Formations et temps de projet" }
                    thead { tr { th scope="col" { "Type" } th scope="col" { "Intitulé" } th scope="col" { "Du" } th scope="col" { "Au" } th scope="col" { "Heures" } th scope="col" { "Compte dans les 9 %" } } }
                    tbody { @for t in list(&e["trainingEntries"]) { tr {
                        td { (text(&t["kindLabel"])) }
                        td { (t["title"].as_str().unwrap_or("—")) @if let Some(c) = t["certification"].as_str() { " (" (c) ")" } }
                        td { (date(&t["startsOn"])) }
                        td { (date(&t["endsOn"])) }
                        td { (hours(&t["hours"])) }
                        td { @if t["countsTowardQuota"].as_bool() == Some(true) { "Oui" } @else { "Non" } }
                    } } }
                }
            }
        }
        h2 { "Sortie" }
        @if e["exit"].is_object() {
            @let x = &e["exit"];
            dl.summary id="exit" {
                div { dt { "Date de sortie" } dd { (date(&x["exitOn"])) } }
                div { dt { "Situation à la sortie" } dd { (text(&x["outcomeLabel"])) @if x["positive"].as_bool() == Some(true) { " (sortie positive)" } } }
                @if let Some(p) = x["employerPartner"]["name"].as_str() { div { dt { "Nouvel employeur" } dd { (p) } } }
                div { dt { "Suivi à six mois" } dd { @if x["followedUpOn"].is_string() { "fait le " (date(&x["followedUpOn"])) } @else { "à partir du " (date(&x["followUpDueOn"])) } } }
            }
        } @else {
            p { "En parcours." }
        }
    };
    Ok(view::page(
        &chrome,
        &title,
        &[("Accueil", "/"), ("Salariés", "/salaries"), (&title, "")],
        body,
    )
    .into_response())
}
