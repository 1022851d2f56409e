//! HR pathways (the association's employees on integration contracts): the list
//! with each one's contract, pathway, 9 % training balance and exit, and one
//! employee's contracts, training ledger month by month, training and exit. Read
//! by the HR managers (the director, and coordinators when the director lets
//! them): the API answers anyone else with their own record only. The same
//! managers record: a hiring with its first contract, training time, a renewal,
//! an exit and its six-month follow-up.

use super::fields::{Check, Errors, Fields, Values, keep, place};
use super::{Form, Signed, St, field, see_other};
use crate::Console;
use crate::api::{
    EMPLOYEE, EMPLOYEES, HIRE_EMPLOYEE, RECORD_EMPLOYEE_EXIT, RECORD_EXIT_FOLLOW_UP,
    RECORD_TRAINING_ENTRY, RENEW_CONTRACT, list, text,
};
use crate::error::ConsoleError;
use crate::view;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
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

/// Who may record: the director, and coordinators when the director lets them
/// (the API refuses anyone else: no form is shown that it would refuse).
fn hr_writer(s: &Signed, data: &Value) -> bool {
    match s.session.data.role.as_deref() {
        Some("DIRECTOR") => true,
        Some("COORDINATOR") => data["hrSettings"]["coordinatorsManageHr"].as_bool() == Some(true),
        _ => false,
    }
}

fn options(o: &[(&str, &str)]) -> Vec<(String, String)> {
    o.iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

const CONTRACT_KINDS: &[(&str, &str)] = &[
    ("ADULTE_RELAIS", "Adulte-relais"),
    ("PEC", "Parcours emploi compétences (CUI-CAE)"),
    ("APPRENTICESHIP", "Contrat d'apprentissage"),
    ("PROFESSIONALISATION", "Contrat de professionnalisation"),
    ("CDD", "CDD"),
    ("CDI", "CDI"),
    ("OTHER", "Autre contrat"),
];

const TRAINING_KINDS: &[(&str, &str)] = &[
    ("TRAINING", "Formation"),
    ("IMMERSION", "Immersion en entreprise"),
    ("JOB_SEARCH_WORKSHOP", "Atelier de recherche d'emploi"),
    ("INTERVIEW", "Entretien de projet professionnel"),
    ("OTHER_PROJECT", "Autre temps de projet professionnel"),
];

const EXIT_REASONS: &[(&str, &str)] = &[
    ("END_OF_CONTRACT", "Fin de contrat"),
    ("RESIGNATION_FOR_JOB", "Démission pour un emploi"),
    ("DISMISSAL", "Licenciement"),
    ("OTHER", "Autre motif"),
];

const OUTCOMES: &[(&str, &str)] = &[
    (
        "LASTING_JOB",
        "Emploi durable (CDI, CDD ou intérim de six mois ou plus)",
    ),
    ("OTHER_JOB", "Autre emploi"),
    ("QUALIFYING_TRAINING", "Formation qualifiante"),
    ("BUSINESS_CREATION", "Création d'entreprise"),
    ("JOB_SEARCH", "Recherche d'emploi"),
    ("INACTIVE", "Inactivité"),
    ("UNKNOWN", "Situation inconnue"),
];

const SECTORS: &[(&str, &str)] = &[
    ("PUBLIC_SERVICE_FIRM", "Entreprise de service public"),
    ("PUBLIC_SECTOR", "Fonction publique"),
    ("PRIVATE", "Secteur privé"),
    ("SOCIAL_ECONOMY", "Économie sociale et solidaire"),
    ("OTHER", "Autre secteur"),
];

const SEXES: &[(&str, &str)] = &[("FEMALE", "Femme"), ("MALE", "Homme")];

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
    let s = st.signed(&headers).await?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    render_list(&st, s, Errors::new(), Values::new()).await
}

async fn render_list(
    st: &Console,
    mut s: Signed,
    errors: Errors,
    values: Values,
) -> Result<Response, ConsoleError> {
    let data = st.run(&s, &EMPLOYEES, json!({})).await?;
    let chrome = st.chrome(&mut s, "/salaries").await?;
    let writer = hr_writer(&s, &data);
    let f = Fields {
        values: &values,
        errors: &errors,
    };
    let sites: Vec<(String, String)> = list(&data["sites"]["nodes"])
        .iter()
        .filter(|x| x["isOpen"].as_bool() != Some(false))
        .map(|x| (text(&x["id"]).to_owned(), text(&x["name"]).to_owned()))
        .collect();
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
        @if writer {
            section aria-labelledby="hire" {
                h2 id="hire" { "Embaucher une personne" }
                p { "La fiche du salarié et son premier contrat. Seuls l'année de naissance et le sexe sont demandés en plus du nom, pour les statistiques du réseau." }
                form.stack.card method="post" action="/salaries" novalidate {
                    (f.head("h-", &chrome.csrf))
                    div.grid {
                        (f.input("h-fullName", "Nom et prénom", None, "text", ""))
                        (f.input("h-birthYear", "Année de naissance", Some("par exemple 1990"), "numeric", ""))
                        (f.select("h-sex", "Sexe", &options(SEXES), "", None))
                    }
                    div.grid {
                        (f.select("h-kind", "Contrat", &options(CONTRACT_KINDS), "ADULTE_RELAIS", None))
                        (f.input("h-jobTitle", "Poste", None, "text", "Médiateur social"))
                        (f.select("h-siteId", "Site de travail", &sites, "", None))
                    }
                    div.grid {
                        (f.input("h-startsOn", "Début du contrat", None, "date", ""))
                        (f.input("h-plannedEndOn", "Fin prévue", Some("sauf CDI"), "date", ""))
                        (f.input("h-weeklyHours", "Heures par semaine", None, "decimal", "35"))
                    }
                    button.btn type="submit" { "Enregistrer l'embauche" }
                }
            }
        }
    };
    let mut r = view::page(
        &chrome,
        "Parcours des salariés",
        &[("Accueil", "/"), ("Salariés", "/salaries")],
        body,
    )
    .into_response();
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub(crate) async fn employee(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    render_employee(&st, s, &id, Errors::new(), Values::new()).await
}

async fn render_employee(
    st: &Console,
    mut s: Signed,
    id: &str,
    errors: Errors,
    values: Values,
) -> Result<Response, ConsoleError> {
    let data = st
        .run(&s, &EMPLOYEE, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let e = &data["node"];
    if text(&e["__typename"]) != "Employee" {
        return Err(ConsoleError::NotFound);
    }
    let chrome = st.chrome(&mut s, "/salaries").await?;
    let f = Fields {
        values: &values,
        errors: &errors,
    };
    let id = text(&e["id"]);
    // Anonymised records take nothing more (the API says so too).
    let writer = hr_writer(&s, &data) && e["anonymised"].as_bool() != Some(true);
    let last = list(&e["contracts"]).last();
    let exit = &e["exit"];
    let renewable = last
        .filter(|c| !exit.is_object() && c["endedOn"].is_null() && c["plannedEndOn"].is_string());
    let partners: Vec<(String, String)> = list(&data["partnerOrganisations"]["nodes"])
        .iter()
        .map(|x| (text(&x["id"]).to_owned(), text(&x["name"]).to_owned()))
        .collect();
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
        @if writer && !exit.is_object() {
            form.stack.card method="post" action={ "/salaries/" (id) "/formations" } novalidate aria-labelledby="training-form" {
                h3 id="training-form" { "Enregistrer une formation ou un temps de projet" }
                (f.head("t-", &chrome.csrf))
                div.grid {
                    (f.select("t-kind", "Type", &options(TRAINING_KINDS), "TRAINING", None))
                    (f.input("t-title", "Intitulé", None, "text", ""))
                    (f.input("t-provider", "Organisme", Some("facultatif"), "text", ""))
                    (f.input("t-certification", "Certification visée", Some("facultatif"), "text", ""))
                }
                div.grid {
                    (f.input("t-startsOn", "Du", None, "date", ""))
                    (f.input("t-endsOn", "Au", None, "date", ""))
                    (f.input("t-hours", "Heures", Some("par exemple 7,5"), "decimal", ""))
                }
                (f.checkbox("t-countsTowardQuota", "t-", "Compte dans les 9 %"))
                button.btn type="submit" { "Enregistrer la formation" }
            }
        }
        @if writer {
            @if let Some(c) = renewable {
                form.stack.card method="post" action={ "/salaries/" (id) "/renouvellement" } novalidate aria-labelledby="renew-form" {
                    h3 id="renew-form" { "Renouveler le contrat en cours" }
                    p { "Le nouveau contrat commence le lendemain du " (date(&c["plannedEndOn"])) "." }
                    (f.head("r-", &chrome.csrf))
                    input type="hidden" name="contractId" value=(text(&c["id"]));
                    div.grid {
                        (f.select("r-kind", "Contrat", &options(CONTRACT_KINDS), text(&c["kind"]), None))
                        (f.input("r-jobTitle", "Poste", None, "text", text(&c["jobTitle"])))
                        (f.input("r-plannedEndOn", "Fin prévue", Some("sauf CDI"), "date", ""))
                        (f.input("r-weeklyHours", "Heures par semaine", None, "decimal", &c["weeklyHours"].as_f64().map(|h| h.to_string().replace('.', ",")).unwrap_or_default()))
                    }
                    button.btn type="submit" { "Renouveler le contrat" }
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
                div { dt { "Suivi à six mois" } dd { @if x["followedUpOn"].is_string() { "fait le " (date(&x["followedUpOn"])) " : " (OUTCOMES.iter().find(|(c, _)| *c == text(&x["followUpOutcome"])).map(|(_, l)| *l).unwrap_or("—")) } @else { "à partir du " (date(&x["followUpDueOn"])) } } }
            }
            @if writer && !x["followedUpOn"].is_string() {
                form.stack.card method="post" action={ "/salaries/" (id) "/suivi" } novalidate aria-labelledby="follow-form" {
                    h3 id="follow-form" { "Enregistrer le suivi à six mois" }
                    p { "La situation de la personne six mois après sa sortie, à partir du " (date(&x["followUpDueOn"])) "." }
                    (f.head("s-", &chrome.csrf))
                    input type="hidden" name="exitId" value=(text(&x["id"]));
                    div.grid {
                        (f.input("s-followedUpOn", "Date du suivi", None, "date", ""))
                        (f.select("s-outcome", "Situation", &options(OUTCOMES), "", None))
                    }
                    button.btn type="submit" { "Enregistrer le suivi" }
                }
            }
        } @else {
            p { "En parcours." }
            @if writer {
                form.stack.card method="post" action={ "/salaries/" (id) "/sortie" } novalidate aria-labelledby="exit-form" {
                    h3 id="exit-form" { "Enregistrer la sortie" }
                    p { "Les contrats en cours prennent fin à la date de sortie." }
                    (f.head("x-", &chrome.csrf))
                    div.grid {
                        (f.input("x-exitOn", "Date de sortie", None, "date", ""))
                        (f.select("x-reason", "Motif", &options(EXIT_REASONS), "END_OF_CONTRACT", None))
                        (f.select("x-outcome", "Situation à la sortie", &options(OUTCOMES), "", None))
                    }
                    div.grid {
                        (f.select("x-employerSector", "Secteur du nouvel employeur", &options(SECTORS), "", Some("Sans objet")))
                        (f.select("x-employerPartnerId", "Entreprise partenaire", &partners, "", Some("Aucune")))
                    }
                    button.btn type="submit" { "Enregistrer la sortie" }
                }
            }
        }
    };
    let mut r = view::page(
        &chrome,
        &title,
        &[("Accueil", "/"), ("Salariés", "/salaries"), (&title, "")],
        body,
    )
    .into_response();
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

// ---------------------------------------------------------------- records

/// The warnings of a hiring or renewal (a pathway outside eight months to three
/// years is recorded all the same), after the success sentence.
fn with_warnings(done: &str, payload: &Value) -> String {
    let w: Vec<&str> = list(&payload["warnings"])
        .iter()
        .filter_map(|x| x["message"].as_str())
        .collect();
    if w.is_empty() {
        done.to_owned()
    } else {
        format!("{done} Attention : {}", w.join(" "))
    }
}

/// A page's answer to a record refused: the form again with its values, the
/// errors next to their fields.
fn values_of(form: &Form, prefix: &str) -> Values {
    keep(&form.0, prefix)
}

pub(crate) async fn hire(st: St, headers: HeaderMap, form: Form) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let p = "h-";
    let mut c = Check::new(&form.0, p);
    let full_name = c.text("fullName");
    let birth = c.number("birthYear", true);
    let sex = c.text("sex");
    let site = c.text("siteId");
    let starts = c.date("startsOn", true);
    let ends = c.date("plannedEndOn", false);
    let hours = c.number("weeklyHours", true);
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render_list(&st, s, errors, values_of(&form, p)).await;
    }
    let input = json!({
        "fullName": full_name,
        "birthYear": birth.map(|b| b.round() as i64),
        "sex": sex,
        "contract": {
            "kind": field(&form, "kind").unwrap_or("ADULTE_RELAIS"),
            "startsOn": starts,
            "plannedEndOn": ends,
            "weeklyHours": hours,
            "jobTitle": field(&form, "jobTitle").unwrap_or(""),
            "siteIds": [site],
        },
    });
    match st.run(&s, &HIRE_EMPLOYEE, json!({ "input": input })).await {
        Ok(d) => {
            let new = text(&d["hireEmployee"]["employee"]["id"]).to_owned();
            let message = with_warnings(
                "Embauche enregistrée avec le premier contrat.",
                &d["hireEmployee"],
            );
            st.flash(&mut s, "success", message).await?;
            Ok(see_other(&format!("/salaries/{new}")))
        }
        Err(e) => {
            let errors = place(
                e,
                p,
                &[
                    "fullName",
                    "birthYear",
                    "sex",
                    "kind",
                    "startsOn",
                    "plannedEndOn",
                    "weeklyHours",
                    "jobTitle",
                    "siteIds",
                ],
            )?;
            // The API names the sites' list; the form has one site.
            let errors = errors
                .into_iter()
                .map(|(k, v)| {
                    (
                        if k == "h-siteIds" {
                            "h-siteId".into()
                        } else {
                            k
                        },
                        v,
                    )
                })
                .collect();
            render_list(&st, s, errors, values_of(&form, p)).await
        }
    }
}

/// After a record on one employee's page: their page with the success alert, or
/// the form again with its errors.
async fn answer(
    st: &Console,
    mut s: Signed,
    id: &str,
    form: &Form,
    prefix: &str,
    fields: &[&str],
    outcome: Result<String, ConsoleError>,
) -> Result<Response, ConsoleError> {
    match outcome {
        Ok(message) => {
            st.flash(&mut s, "success", message).await?;
            Ok(see_other(&format!("/salaries/{id}")))
        }
        Err(e) => {
            let errors = place(e, prefix, fields)?;
            render_employee(st, s, id, errors, values_of(form, prefix)).await
        }
    }
}

pub(crate) async fn training(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let p = "t-";
    let mut c = Check::new(&form.0, p);
    let title = c.text("title");
    let starts = c.date("startsOn", true);
    let ends = c.date("endsOn", true);
    let hours = c.number("hours", true);
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render_employee(&st, s, &id, errors, values_of(&form, p)).await;
    }
    let input = json!({
        "employeeId": id,
        "kind": field(&form, "kind").unwrap_or("TRAINING"),
        "title": title,
        "provider": field(&form, "provider"),
        "certification": field(&form, "certification"),
        "startsOn": starts,
        "endsOn": ends,
        "hours": hours,
        "countsTowardQuota": form.contains_key("countsTowardQuota"),
    });
    let outcome = st
        .run(&s, &RECORD_TRAINING_ENTRY, json!({ "input": input }))
        .await
        .map(|_| "Formation enregistrée : le registre des 9 % en tient compte.".to_owned());
    let fields = [
        "kind",
        "title",
        "provider",
        "certification",
        "startsOn",
        "endsOn",
        "hours",
    ];
    answer(&st, s, &id, &form, p, &fields, outcome).await
}

pub(crate) async fn renew(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let p = "r-";
    let mut c = Check::new(&form.0, p);
    let ends = c.date("plannedEndOn", false);
    let hours = c.number("weeklyHours", false);
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render_employee(&st, s, &id, errors, values_of(&form, p)).await;
    }
    let kind = field(&form, "kind");
    if ends.is_none() && kind != Some("CDI") {
        let errors = Errors::from([(
            format!("{p}plannedEndOn"),
            "Obligatoire, sauf pour un CDI.".to_owned(),
        )]);
        return render_employee(&st, s, &id, errors, values_of(&form, p)).await;
    }
    let input = json!({
        "contractId": field(&form, "contractId").unwrap_or(""),
        "kind": kind,
        "plannedEndOn": ends,
        "weeklyHours": hours,
        "jobTitle": field(&form, "jobTitle"),
    });
    let outcome = st
        .run(&s, &RENEW_CONTRACT, json!({ "input": input }))
        .await
        .map(|d| with_warnings("Contrat renouvelé.", &d["renewContract"]));
    let fields = ["kind", "plannedEndOn", "weeklyHours", "jobTitle"];
    answer(&st, s, &id, &form, p, &fields, outcome).await
}

pub(crate) async fn exit(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let p = "x-";
    let mut c = Check::new(&form.0, p);
    let on = c.date("exitOn", true);
    let outcome = c.text("outcome");
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render_employee(&st, s, &id, errors, values_of(&form, p)).await;
    }
    let input = json!({
        "employeeId": id,
        "exitOn": on,
        "reason": field(&form, "reason").unwrap_or("END_OF_CONTRACT"),
        "outcome": outcome,
        "employerSector": field(&form, "employerSector"),
        "employerPartnerId": field(&form, "employerPartnerId"),
    });
    let done = st
        .run(&s, &RECORD_EMPLOYEE_EXIT, json!({ "input": input }))
        .await
        .map(|_| "Sortie enregistrée ; le suivi à six mois reste à faire.".to_owned());
    let fields = [
        "exitOn",
        "reason",
        "outcome",
        "employerSector",
        "employerPartnerId",
    ];
    answer(&st, s, &id, &form, p, &fields, done).await
}

pub(crate) async fn follow_up(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !hr_reader(&s) {
        return Err(ConsoleError::NotFound);
    }
    let p = "s-";
    let mut c = Check::new(&form.0, p);
    let on = c.date("followedUpOn", true);
    let outcome = c.text("outcome");
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render_employee(&st, s, &id, errors, values_of(&form, p)).await;
    }
    let input = json!({
        "exitId": field(&form, "exitId").unwrap_or(""),
        "followedUpOn": on,
        "outcome": outcome,
    });
    let done = st
        .run(&s, &RECORD_EXIT_FOLLOW_UP, json!({ "input": input }))
        .await
        .map(|_| "Suivi à six mois enregistré.".to_owned());
    answer(&st, s, &id, &form, p, &["followedUpOn", "outcome"], done).await
}
