//! The union auditor's side of franchise compliance: the audits they run (by
//! campaign and step), and one audit through its phases: the self-assessment's
//! answers with their evidence (downloaded, accepted or refused with a reason),
//! the indicators and the assessment of each criterion, observations, findings
//! and internal notes, the draft report, the final report with its grade and what
//! each answer of the association changed, and the follow-up of the corrective
//! action plan. The union's admin may act on every audit; an auditor on those
//! assigned to them (the API refuses another auditor: such an audit is read only).

use super::compliance::{action_status, date, documents, grade_badge, nodes, score};
use super::fields::{Check, Errors, Fields, Values, keep, place};
use super::visit_form::show_time;
use super::{Form, Query, Signed, St, field, see_other};
use crate::Console;
use crate::api::{
    ADD_AUDIT_FINDING, ADD_AUDIT_NOTE, AUDITOR_AUDIT, AUDITOR_AUDITS, FINALISE_AUDIT,
    PREFILL_INDICATOR_SCORES, RECORD_AUDIT_OBSERVATION, REVIEW_CORRECTIVE_ACTION, REVIEW_EVIDENCE,
    SCORE_CRITERION, SEND_DRAFT_REPORT, list, text,
};
use crate::error::ConsoleError;
use crate::view::{self, alert};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value, json};

/// The union's admin and auditors run audits; its analyst reads aggregates only.
fn auditor(s: &Signed) -> bool {
    s.session.data.act_as.as_deref() == Some("union")
        && matches!(s.session.data.role.as_deref(), Some("ADMIN" | "AUDITOR"))
}

fn admin(s: &Signed) -> bool {
    s.session.data.role.as_deref() == Some("ADMIN")
}

fn options(o: &[(&str, &str)]) -> Vec<(String, String)> {
    o.iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

const STEPS: &[(&str, &str)] = &[
    ("SELF_ASSESSMENT", "Auto-évaluation"),
    ("REVIEW", "Examen par l'auditeur"),
    ("CONTRADICTORY", "Phase contradictoire"),
    ("FINAL", "Rapport définitif"),
];

const RESULTS: &[(&str, &str)] = &[
    ("MET", "Atteint"),
    ("PARTLY_MET", "Partiellement atteint"),
    ("NOT_MET", "Non atteint"),
    ("NOT_APPLICABLE", "Sans objet"),
];

const GRADES: &[(&str, &str)] = &[
    ("COMPLIANT", "Conforme"),
    ("COMPLIANT_WITH_RESERVATIONS", "Conforme avec réserves"),
    ("NON_COMPLIANT", "Non conforme"),
];

const OUTCOMES: &[(&str, &str)] = &[
    ("MAINTAINED", "Écart maintenu"),
    ("AMENDED", "Écart requalifié"),
    ("WITHDRAWN", "Écart levé"),
];

fn label_of(o: &[(&str, &str)], code: &str) -> String {
    o.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| "—".into())
}

// ---------------------------------------------------------------- the list

pub(crate) async fn audits(
    st: St,
    headers: HeaderMap,
    query: Query,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if !auditor(&s) {
        return Err(ConsoleError::NotFound);
    }
    let campaign = field(&query, "campagne").map(str::to_owned);
    let step = field(&query, "etape").unwrap_or("").to_owned();
    // An auditor starts with their own audits; the admin, who may act on all, with all.
    let all = match field(&query, "qui") {
        Some(w) => w == "tous",
        None => admin(&s),
    };
    let data = st
        .run(&s, &AUDITOR_AUDITS, json!({ "campaignId": campaign }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let chrome = st.chrome(&mut s, "/controles").await?;
    let me = text(&data["viewer"]["user"]["id"]);
    let campaigns: Vec<(String, String)> = nodes(&data["complianceCampaigns"])
        .iter()
        .map(|c| (text(&c["id"]).to_owned(), text(&c["title"]).to_owned()))
        .collect();
    let rows: Vec<&Value> = nodes(&data["complianceAudits"])
        .into_iter()
        .filter(|a| all || text(&a["auditorId"]) == me)
        .filter(|a| step.is_empty() || text(&a["status"]) == step)
        .collect();
    let chosen = campaign.as_deref().unwrap_or("");
    let body = html! {
        h1 { "Contrôles de conformité" }
        p { "Les contrôles des associations : examen de l'auto-évaluation et des pièces, appréciation de chaque critère, rapport provisoire, rapport définitif et suivi du plan d'actions." }
        form.card method="get" action="/controles" aria-label="Filtrer les contrôles" {
            div.grid {
                div.field {
                    label for="campagne" { "Campagne" }
                    select id="campagne" name="campagne" {
                        option value="" { "Toutes les campagnes" }
                        @for (v, l) in &campaigns { option value=(v) selected[chosen == v] { (l) } }
                    }
                }
                div.field {
                    label for="etape" { "Étape" }
                    select id="etape" name="etape" {
                        option value="" { "Toutes les étapes" }
                        @for (v, l) in STEPS { option value=(v) selected[step == *v] { (l) } }
                    }
                }
                div.field {
                    label for="qui" { "Contrôles" }
                    select id="qui" name="qui" {
                        option value="miens" selected[!all] { "Qui me sont confiés" }
                        option value="tous" selected[all] { "De tous les auditeurs" }
                    }
                }
                div { button.btn.btn-secondary type="submit" { "Filtrer" } }
            }
        }
        @if rows.is_empty() {
            p id="no-audits" { "Aucun contrôle ne correspond à ces critères." }
        } @else {
            div.table-wrap {
                table.table id="auditor-audits" {
                    caption { (rows.len()) " contrôle(s)" }
                    thead { tr {
                        th scope="col" { "Association" } th scope="col" { "Campagne" } th scope="col" { "Étape" }
                        th scope="col" { "Échéance" } th scope="col" { "Score" } th scope="col" { "Appréciation" } th scope="col" { span.visually-hidden { "Lien" } }
                    } }
                    tbody { @for a in &rows { tr {
                        td { (text(&a["tenant"]["name"])) }
                        td { (text(&a["campaign"]["title"])) }
                        td { (text(&a["statusLabel"])) @if text(&a["auditorId"]) == me { " " span.badge { "À moi" } } }
                        td { @if a["repliesDueOn"].is_string() && text(&a["status"]) == "CONTRADICTORY" { "réponses jusqu'au " (date(&a["repliesDueOn"])) } @else { "—" } }
                        td { (score(&a["score"])) }
                        td { (grade_badge(a)) }
                        td { a href={ "/controles/" (text(&a["id"])) } { "Ouvrir" span.visually-hidden { " le contrôle de " (text(&a["tenant"]["name"])) ", " (text(&a["campaign"]["title"])) } } }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Contrôles de conformité",
        &[("Accueil", "/"), ("Contrôles", "/controles")],
        body,
    )
    .into_response())
}

// ---------------------------------------------------------------- one audit

pub(crate) async fn audit(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if !auditor(&s) {
        return Err(ConsoleError::NotFound);
    }
    render(&st, s, &id, Errors::new(), Values::new()).await
}

async fn render(
    st: &Console,
    mut s: Signed,
    id: &str,
    errors: Errors,
    values: Values,
) -> Result<Response, ConsoleError> {
    let data = st
        .run(&s, &AUDITOR_AUDIT, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let chrome = st.chrome(&mut s, "/controles").await?;
    let a = &data["complianceAudit"];
    let id = text(&a["id"]);
    let status = text(&a["status"]);
    // The API lets the assigned auditor and the admin act: no form for anyone else.
    let mine = admin(&s) || text(&a["auditorId"]) == text(&data["viewer"]["user"]["id"]);
    let review = mine && status == "REVIEW";
    let f = Fields {
        values: &values,
        errors: &errors,
    };
    let criteria = list(&a["campaign"]["catalogueVersion"]["criteria"]);
    let label = |cid: &str| -> String {
        criteria
            .iter()
            .find(|c| text(&c["id"]) == cid)
            .map(|c| format!("{} — {}", text(&c["code"]), text(&c["label"])))
            .unwrap_or_default()
    };
    let criterion_options: Vec<(String, String)> = criteria
        .iter()
        .map(|c| {
            (
                text(&c["id"]).to_owned(),
                format!("{} — {}", text(&c["code"]), text(&c["label"])),
            )
        })
        .collect();
    let scores = list(&a["scores"]);
    let score_of = |cid: &str| scores.iter().find(|x| text(&x["criterionId"]) == cid);
    let findings = nodes(&a["findings"]);
    let answered: Vec<(usize, &&Value)> = findings
        .iter()
        .enumerate()
        .filter(|(_, x)| x["reply"].is_object())
        .collect();
    let tenant = text(&a["tenant"]["name"]).to_owned();
    let title = format!("{tenant} — {}", text(&a["campaign"]["title"]));
    let report = |kind: &str| {
        list(&a["reports"])
            .iter()
            .find(|r| text(&r["kind"]) == kind)
            .cloned()
    };
    let body = html! {
        h1 { (title) }
        @if !mine { (alert("info", "Ce contrôle est confié à un autre auditeur : vous le consultez sans pouvoir le modifier.")) }
        ol.steps aria-label="Étapes du contrôle" {
            @for (code, l) in STEPS { li aria-current=[(*code == status).then_some("step")] { (l) } }
        }
        dl.summary {
            div { dt { "Association" } dd { (tenant) } }
            div { dt { "Période contrôlée" } dd { (date(&a["campaign"]["periodStartsOn"])) " – " (date(&a["campaign"]["periodEndsOn"])) } }
            div { dt { "Étape" } dd id="audit-status" { (text(&a["statusLabel"])) } }
            @if a["submittedAt"].is_string() { div { dt { "Auto-évaluation soumise le" } dd { (show_time(&a["submittedAt"])) } } }
            @if a["repliesDueOn"].is_string() { div { dt { "Réponses de l'association jusqu'au" } dd { (date(&a["repliesDueOn"])) } } }
            div { dt { "Score" } dd { (score(&a["score"])) } }
            div { dt { "Appréciation" } dd id="audit-grade" { (grade_badge(a)) } }
        }

        section aria-labelledby="answers" {
            h2 id="answers" { "Auto-évaluation et pièces" }
            @if status == "SELF_ASSESSMENT" { p { "L'association n'a pas encore soumis son auto-évaluation : ses réponses s'afficheront ici." } }
            @else if list(&a["answers"]).is_empty() { p { "Aucune réponse." } }
            @for (i, ans) in list(&a["answers"]).iter().enumerate() {
                section.card aria-labelledby={ "ans" (i) } {
                    h3 id={ "ans" (i) } { (label(text(&ans["criterionId"]))) }
                    p { (ans["declaration"].as_str().unwrap_or("Pas de déclaration.")) }
                    (documents(list(&ans["evidence"])))
                    @if mine && matches!(status, "REVIEW" | "CONTRADICTORY") {
                        @for (j, d) in list(&ans["evidence"]).iter().enumerate() {
                            @let p = format!("d{i}x{j}-");
                            @let reason_id = format!("{p}reason");
                            form.stack method="post" action={ "/controles/" (id) "/pieces/" (text(&d["id"])) } novalidate {
                                (f.head(&p, &chrome.csrf))
                                (f.textarea(&reason_id, &format!("Motif pour « {} »", text(&d["fileName"])), Some("obligatoire pour un refus")))
                                div.actions {
                                    button.btn.btn-secondary type="submit" name="decision" value="accept" { "Accepter la pièce" span.visually-hidden { " " (text(&d["fileName"])) } }
                                    " "
                                    button.btn.btn-secondary type="submit" name="decision" value="refuse" { "Refuser la pièce" span.visually-hidden { " " (text(&d["fileName"])) } }
                                }
                            }
                        }
                    }
                }
            }
        }

        section aria-labelledby="indicators" {
            h2 id="indicators" { "Indicateurs sur la période" }
            div.table-wrap {
                table.table id="indicator-values" {
                    caption.visually-hidden { "Indicateurs et seuils" }
                    thead { tr { th scope="col" { "Indicateur" } th scope="col" { "Valeur" } th scope="col" { "Seuil" } th scope="col" { "Atteint" } } }
                    tbody { @for x in list(&a["indicators"]) { tr {
                        td { (text(&x["label"])) }
                        td { @if let Some(v) = x["value"].as_f64() { (format!("{v:.1}").replace('.', ",")) } @else { span.muted { (x["unavailableReason"].as_str().unwrap_or("non disponible")) } } }
                        td { @if let Some(v) = x["threshold"].as_f64() { (format!("{v:.1}").replace('.', ",")) } @else { "—" } }
                        td { @match x["met"].as_bool() { Some(true) => { "Oui" }, Some(false) => { "Non" }, None => { "—" } } }
                    } } }
                }
            }
            @if review {
                form method="post" action={ "/controles/" (id) "/indicateurs" } {
                    (f.head("pf-", &chrome.csrf))
                    button.btn.btn-secondary type="submit" { "Pré-remplir les critères mesurés par un indicateur" }
                }
            }
        }

        section aria-labelledby="scores" {
            h2 id="scores" { "Appréciation par critère" }
            p { "Le score est la part pondérée des critères atteints (un critère partiellement atteint compte pour moitié, un critère sans objet n'est pas compté). Changer un résultat pré-rempli par un indicateur demande un motif." }
            div.table-wrap {
                table.table id="criterion-scores" {
                    caption.visually-hidden { "Résultat de chaque critère" }
                    thead { tr { th scope="col" { "Critère" } th scope="col" { "Poids" } th scope="col" { "Résultat" } th scope="col" { "Pré-rempli" } } }
                    tbody { @for c in criteria { tr {
                        @let sc = score_of(text(&c["id"]));
                        td { (text(&c["code"])) " — " (text(&c["label"])) }
                        td { (c["weight"].as_i64().unwrap_or(1)) }
                        td { @if let Some(x) = sc { (label_of(RESULTS, text(&x["result"]))) @if let Some(r) = x["overrideReason"].as_str() { br; span.muted { "Motif : " (r) } } } @else { "Non noté" } }
                        td { @if let Some(p) = sc.and_then(|x| x["prefilledResult"].as_str()) { (label_of(RESULTS, p)) } @else { "—" } }
                    } } }
                }
            }
            @if mine && matches!(status, "REVIEW" | "CONTRADICTORY") {
                @for (i, c) in criteria.iter().enumerate() {
                    @let p = format!("n{i}-");
                    @let current = score_of(text(&c["id"])).map(|x| text(&x["result"])).unwrap_or("");
                    form.stack.card method="post" action={ "/controles/" (id) "/notation" } novalidate aria-label={ "Noter le critère " (text(&c["code"])) } {
                        (f.head(&p, &chrome.csrf))
                        input type="hidden" name="criterionId" value=(text(&c["id"]));
                        input type="hidden" name="index" value=(i);
                        div.grid {
                            (f.select(&format!("{p}result"), &format!("Critère {} — {}", text(&c["code"]), text(&c["label"])), &options(RESULTS), current, (current.is_empty()).then_some("Choisir un résultat")))
                            (f.input(&format!("{p}overrideReason"), "Motif du changement", Some("si le résultat diffère de l'indicateur"), "text", ""))
                            div { button.btn.btn-secondary type="submit" { "Enregistrer" span.visually-hidden { " le critère " (text(&c["code"])) } } }
                        }
                    }
                }
            }
        }

        section aria-labelledby="observations" {
            h2 id="observations" { "Observations et constats" }
            @if !list(&a["observations"]).is_empty() {
                h3 { "Observations sur place" }
                ul id="observation-list" { @for o in list(&a["observations"]) { li { strong { (label(text(&o["criterionId"]))) } " (" (date(&o["observedOn"])) ") : " (text(&o["body"])) } } }
            }
            h3 { "Écarts relevés" }
            @if findings.is_empty() { p { "Aucun écart relevé." } }
            @for f_ in &findings {
                div.card.finding {
                    p { strong { (label(text(&f_["criterionId"]))) } }
                    p { (text(&f_["body"])) }
                    @if f_["reply"].is_object() {
                        p { strong { "Réponse de l'association (" (show_time(&f_["reply"]["createdAt"])) ") : " } (text(&f_["reply"]["body"])) }
                        (documents(list(&f_["reply"]["evidence"])))
                    }
                    @if let Some(o) = f_["outcome"].as_str() { p { strong { "Suite donnée : " } (label_of(OUTCOMES, o)) @if let Some(n) = f_["outcomeNote"].as_str() { " — " (n) } } }
                }
            }
            @if review {
                form.stack.card method="post" action={ "/controles/" (id) "/constats" } novalidate aria-labelledby="finding-form" {
                    h3 id="finding-form" { "Relever un écart" }
                    (f.head("c-", &chrome.csrf))
                    (f.select("c-criterionId", "Critère", &criterion_options, "", None))
                    (f.textarea("c-body", "Écart constaté", Some("2 à 4 000 caractères")))
                    button.btn.btn-secondary type="submit" { "Ajouter l'écart" }
                }
                form.stack.card method="post" action={ "/controles/" (id) "/observations" } novalidate aria-labelledby="observation-form" {
                    h3 id="observation-form" { "Noter une observation sur place" }
                    (f.head("o-", &chrome.csrf))
                    div.grid {
                        (f.select("o-criterionId", "Critère", &criterion_options, "", None))
                        (f.input("o-observedOn", "Date de l'observation", None, "date", ""))
                    }
                    (f.textarea("o-body", "Observation", Some("2 à 4 000 caractères")))
                    button.btn.btn-secondary type="submit" { "Ajouter l'observation" }
                }
            }
        }

        section aria-labelledby="notes" {
            h2 id="notes" { "Notes internes" }
            p { "Réservées à l'union : l'association ne les voit jamais." }
            @if list(&a["notes"]).is_empty() { p { "Aucune note." } } @else {
                ul id="note-list" { @for n in list(&a["notes"]) { li { (show_time(&n["createdAt"])) " : " (text(&n["body"])) } } }
            }
            @if mine && status != "FINAL" {
                form.stack method="post" action={ "/controles/" (id) "/notes" } novalidate {
                    (f.head("i-", &chrome.csrf))
                    (f.textarea("i-body", "Nouvelle note interne", None))
                    button.btn.btn-secondary type="submit" { "Ajouter la note" }
                }
            }
        }

        section aria-labelledby="draft" {
            h2 id="draft" { "Rapport provisoire" }
            @if let Some(r) = report("DRAFT") {
                p { "Envoyé le " (show_time(&r["issuedAt"])) " · score " (score(&r["score"])) }
                p id="draft-summary" { (text(&r["summary"])) }
            } @else if review {
                form.stack.card method="post" action={ "/controles/" (id) "/rapport-provisoire" } novalidate {
                    p { "L'envoi ouvre la phase contradictoire : l'association voit les écarts, les observations et les résultats, et y répond." }
                    (f.head("p-", &chrome.csrf))
                    (f.textarea("p-summary", "Synthèse du rapport provisoire", Some("2 à 8 000 caractères")))
                    button.btn type="submit" { "Envoyer le rapport provisoire" }
                }
            } @else {
                p { "Pas encore envoyé." }
            }
        }

        section aria-labelledby="final" {
            h2 id="final" { "Rapport définitif" }
            @if let Some(r) = report("FINAL") {
                p { "Émis le " (show_time(&r["issuedAt"])) " · score " (score(&r["score"])) }
                p id="final-summary" { (text(&r["summary"])) }
            } @else if mine && status == "CONTRADICTORY" {
                form.stack.card method="post" action={ "/controles/" (id) "/rapport-definitif" } novalidate {
                    p { "L'appréciation « conforme avec réserves » ou « non conforme » appelle un plan d'actions correctives, dont chaque action a pour responsable un membre de l'association." }
                    (f.head("g-", &chrome.csrf))
                    (f.select("g-grade", "Appréciation", &options(GRADES), "", Some("Choisir une appréciation")))
                    (f.textarea("g-summary", "Synthèse du rapport définitif", Some("2 à 8 000 caractères")))
                    @for (j, (_, fi)) in answered.iter().enumerate() {
                        fieldset.fieldset {
                            legend { "Suite donnée à la réponse sur " (label(text(&fi["criterionId"]))) }
                            input type="hidden" name={ "finding" (j) } value=(text(&fi["id"]));
                            div.grid {
                                (f.select(&format!("g-outcome{j}"), "Suite", &options(OUTCOMES), "MAINTAINED", None))
                                (f.input(&format!("g-note{j}"), "Précision", Some("facultatif"), "text", ""))
                            }
                        }
                    }
                    button.btn type="submit" { "Émettre le rapport définitif" }
                }
            } @else {
                p { "Pas encore émis." }
            }
        }

        @if !nodes(&a["actions"]).is_empty() {
            section aria-labelledby="plan" {
                h2 id="plan" { "Suivi du plan d'actions correctives" }
                div.table-wrap {
                    table.table id="actions" {
                        caption.visually-hidden { "Actions correctives" }
                        thead { tr { th scope="col" { "Action" } th scope="col" { "Critère" } th scope="col" { "Échéance" } th scope="col" { "État" } } }
                        tbody { @for x in nodes(&a["actions"]) { tr {
                            td { (text(&x["title"])) }
                            td { (label(text(&x["criterionId"]))) }
                            td { (date(&x["dueOn"])) @if x["overdue"].as_bool() == Some(true) { " " span.badge.badge-error { "En retard" } } }
                            td { (action_status(x)) @if let Some(n) = x["completionNote"].as_str() { br; span.muted { (n) } } (documents(list(&x["evidence"]))) }
                        } } }
                    }
                }
                @if mine {
                    @for (i, x) in nodes(&a["actions"]).iter().enumerate().filter(|(_, x)| text(&x["status"]) == "DONE") {
                        @let p = format!("a{i}-");
                        form.stack.card method="post" action={ "/controles/" (id) "/actions/" (text(&x["id"])) } novalidate {
                            (f.head(&p, &chrome.csrf))
                            (f.textarea(&format!("{p}reason"), &format!("Motif pour « {} »", text(&x["title"])), Some("obligatoire pour rouvrir l'action")))
                            div.actions {
                                button.btn.btn-secondary type="submit" name="decision" value="accept" { "Valider l'action" span.visually-hidden { " " (text(&x["title"])) } }
                                " "
                                button.btn.btn-secondary type="submit" name="decision" value="reopen" { "Rouvrir l'action" span.visually-hidden { " " (text(&x["title"])) } }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut r = view::page(
        &chrome,
        &title,
        &[("Accueil", "/"), ("Contrôles", "/controles"), (&title, "")],
        body,
    )
    .into_response();
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

// ---------------------------------------------------------------- writes

/// Runs a write of the audit page: back to it with `done` as its success alert,
/// or the form again, its values kept and the refusal next to its field.
#[allow(clippy::too_many_arguments)]
async fn write(
    st: &Console,
    mut s: Signed,
    id: &str,
    form: &Form,
    prefix: &str,
    fields: &[&str],
    outcome: Result<Value, ConsoleError>,
    done: &str,
) -> Result<Response, ConsoleError> {
    match outcome {
        Ok(_) => {
            st.flash(&mut s, "success", done.to_owned()).await?;
            Ok(see_other(&format!("/controles/{id}")))
        }
        Err(e) => {
            let errors = place(e, prefix, fields)?;
            render(st, s, id, errors, keep(&form.0, prefix)).await
        }
    }
}

/// The signed-in auditor of a POST, its CSRF token checked, and the form's prefix
/// (the one the page gave it, checked: it names the fields' ids).
async fn start(
    st: &Console,
    headers: &HeaderMap,
    form: &Form,
) -> Result<(Signed, String), ConsoleError> {
    let s = st.signed(headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    if !auditor(&s) {
        return Err(ConsoleError::NotFound);
    }
    let prefix = field(form, "form")
        .filter(|p| {
            p.ends_with('-')
                && p.len() <= 12
                && p[..p.len() - 1].chars().all(|c| c.is_ascii_alphanumeric())
        })
        .unwrap_or("z-")
        .to_owned();
    Ok((s, prefix))
}

pub(crate) async fn review_evidence(
    st: St,
    headers: HeaderMap,
    Path((id, doc)): Path<(String, String)>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let accept = field(&form, "decision") == Some("accept");
    let input = json!({
        "documentId": doc,
        "accept": accept,
        "reason": field(&form, "reason"),
    });
    let outcome = st
        .run(&s, &REVIEW_EVIDENCE, json!({ "input": input }))
        .await;
    let done = if accept {
        "Pièce acceptée."
    } else {
        "Pièce refusée ; le motif est visible par l'association."
    };
    write(&st, s, &id, &form, &p, &["reason"], outcome, done).await
}

pub(crate) async fn prefill(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let outcome = st
        .run(
            &s,
            &PREFILL_INDICATOR_SCORES,
            json!({ "input": { "auditId": id } }),
        )
        .await;
    let done =
        "Critères mesurés par un indicateur pré-remplis (les résultats déjà saisis sont gardés).";
    write(&st, s, &id, &form, &p, &[], outcome, done).await
}

pub(crate) async fn score_criterion(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let mut c = Check::new(&form.0, &p);
    let result = c.text("result");
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render(&st, s, &id, errors, keep(&form.0, &p)).await;
    }
    let input = json!({
        "auditId": id,
        "criterionId": field(&form, "criterionId").unwrap_or(""),
        "result": result,
        "overrideReason": field(&form, "overrideReason"),
    });
    let outcome = st
        .run(&s, &SCORE_CRITERION, json!({ "input": input }))
        .await;
    let fields = ["result", "overrideReason"];
    write(
        &st,
        s,
        &id,
        &form,
        &p,
        &fields,
        outcome,
        "Résultat du critère enregistré.",
    )
    .await
}

pub(crate) async fn add_finding(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let input = json!({
        "auditId": id,
        "criterionId": field(&form, "criterionId").unwrap_or(""),
        "body": field(&form, "body").unwrap_or(""),
    });
    let outcome = st
        .run(&s, &ADD_AUDIT_FINDING, json!({ "input": input }))
        .await;
    let fields = ["criterionId", "body"];
    write(
        &st,
        s,
        &id,
        &form,
        &p,
        &fields,
        outcome,
        "Écart ajouté au rapport provisoire.",
    )
    .await
}

pub(crate) async fn add_observation(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let mut c = Check::new(&form.0, &p);
    let on = c.date("observedOn", true);
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render(&st, s, &id, errors, keep(&form.0, &p)).await;
    }
    let input = json!({
        "auditId": id,
        "criterionId": field(&form, "criterionId").unwrap_or(""),
        "observedOn": on,
        "body": field(&form, "body").unwrap_or(""),
    });
    let outcome = st
        .run(&s, &RECORD_AUDIT_OBSERVATION, json!({ "input": input }))
        .await;
    let fields = ["criterionId", "observedOn", "body"];
    write(
        &st,
        s,
        &id,
        &form,
        &p,
        &fields,
        outcome,
        "Observation enregistrée.",
    )
    .await
}

pub(crate) async fn add_note(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let input = json!({ "auditId": id, "body": field(&form, "body").unwrap_or("") });
    let outcome = st.run(&s, &ADD_AUDIT_NOTE, json!({ "input": input })).await;
    write(
        &st,
        s,
        &id,
        &form,
        &p,
        &["body"],
        outcome,
        "Note interne ajoutée.",
    )
    .await
}

pub(crate) async fn send_draft(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let input = json!({ "auditId": id, "summary": field(&form, "summary").unwrap_or("") });
    let outcome = st
        .run(&s, &SEND_DRAFT_REPORT, json!({ "input": input }))
        .await;
    let done = "Rapport provisoire envoyé : la phase contradictoire est ouverte.";
    write(&st, s, &id, &form, &p, &["summary"], outcome, done).await
}

pub(crate) async fn finalise(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let mut c = Check::new(&form.0, &p);
    let grade = c.text("grade");
    if !c.errors.is_empty() {
        let errors = c.errors;
        return render(&st, s, &id, errors, keep(&form.0, &p)).await;
    }
    let outcomes: Vec<Value> = (0..100)
        .map_while(|j| {
            field(&form, &format!("finding{j}")).map(|finding| {
                json!({
                    "findingId": finding,
                    "outcome": field(&form, &format!("outcome{j}")).unwrap_or("MAINTAINED"),
                    "note": field(&form, &format!("note{j}")),
                })
            })
        })
        .collect();
    let input = json!({
        "auditId": id,
        "summary": field(&form, "summary").unwrap_or(""),
        "grade": grade,
        "outcomes": outcomes,
    });
    let outcome = st.run(&s, &FINALISE_AUDIT, json!({ "input": input })).await;
    // The plan of actions is the grade's consequence: said next to the grade.
    let outcome = outcome.map_err(|e| match e {
        ConsoleError::Api(mut f) if f.field.as_deref() == Some("actions") => {
            f.field = Some("grade".into());
            ConsoleError::Api(f)
        }
        other => other,
    });
    let done = "Rapport définitif émis : l'appréciation est visible par l'association et son conseil d'administration.";
    write(&st, s, &id, &form, &p, &["grade", "summary"], outcome, done).await
}

pub(crate) async fn review_action(
    st: St,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let (s, p) = start(&st, &headers, &form).await?;
    let accept = field(&form, "decision") == Some("accept");
    let input = json!({
        "actionId": action,
        "accept": accept,
        "reason": field(&form, "reason"),
    });
    let outcome = st
        .run(&s, &REVIEW_CORRECTIVE_ACTION, json!({ "input": input }))
        .await;
    let done = if accept {
        "Action validée."
    } else {
        "Action rouverte : l'association la reprend."
    };
    write(&st, s, &id, &form, &p, &["reason"], outcome, done).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_french_label() {
        assert_eq!(label_of(RESULTS, "PARTLY_MET"), "Partiellement atteint");
        assert_eq!(label_of(GRADES, "NON_COMPLIANT"), "Non conforme");
        assert_eq!(label_of(OUTCOMES, "WITHDRAWN"), "Écart levé");
        assert_eq!(label_of(RESULTS, "SOMETHING_NEW"), "—");
    }
}
