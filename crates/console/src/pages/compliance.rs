//! Franchise compliance: the association's audits from self-assessment to action
//! plan (answers with evidence files, the submission, the draft report's findings
//! and the answers to them, the final report and grade, the corrective actions),
//! and the union's campaigns, audits with grades and dashboard.
//!
//! Evidence files go through the API's own evidence handler, called in-process as
//! the signed-in person (the same checks as `POST /compliance/evidence`).

use super::visit_form::show_time;
use super::{Signed, St, field, see_other};
use crate::Console;
use crate::api::{
    ANSWER_CRITERION, COMPLETE_CORRECTIVE_ACTION, COMPLIANCE_AUDIT, COMPLIANCE_AUDITS,
    COMPLIANCE_DASHBOARD, REPLY_TO_FINDING, SUBMIT_SELF_ASSESSMENT, list, text,
};
use crate::error::{ApiFailure, ConsoleError};
use crate::messages;
use crate::view::{self, alert, csrf_field, described_by, field_error};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Value, json};
use std::collections::HashMap;

type Errors = HashMap<String, String>;

fn act_as(s: &Signed) -> Option<&str> {
    s.session.data.act_as.as_deref()
}

fn role(s: &Signed) -> Option<&str> {
    s.session.data.role.as_deref()
}

/// Directors and coordinators answer; the director alone submits.
fn writes(s: &Signed) -> bool {
    act_as(s) == Some("association") && matches!(role(s), Some("DIRECTOR" | "COORDINATOR"))
}

pub(crate) fn date(v: &Value) -> String {
    chrono::NaiveDate::parse_from_str(text(v), "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| "—".into())
}

/// A connection's nodes: the API pages the growing compliance lists (audits,
/// campaigns, findings, actions); the console asks for the first hundred, more than
/// the network has.
pub(crate) fn nodes(v: &Value) -> Vec<&Value> {
    list(&v["edges"]).iter().map(|e| &e["node"]).collect()
}

pub(crate) fn score(v: &Value) -> String {
    v.as_f64()
        .map(|x| format!("{x:.1} %").replace('.', ","))
        .unwrap_or_else(|| "—".into())
}

pub(crate) fn grade_badge(a: &Value) -> Markup {
    let class = match text(&a["grade"]) {
        "COMPLIANT" => "badge badge-success",
        "NON_COMPLIANT" => "badge badge-error",
        "" => "badge",
        _ => "badge badge-warning",
    };
    html! {
        @if let Some(l) = a["gradeLabel"].as_str() { span class=(class) { (l) } } @else { "—" }
    }
}

pub(crate) fn action_status(a: &Value) -> &'static str {
    match text(&a["status"]) {
        "DONE" => "Réalisée, en attente de validation",
        "ACCEPTED" => "Validée par l'auditeur",
        "REOPENED" => "Rouverte par l'auditeur",
        _ => "À faire",
    }
}

fn review(d: &Value) -> &'static str {
    match text(&d["review"]) {
        "ACCEPTED" => "acceptée",
        "REFUSED" => "refusée",
        _ => "en attente d'examen",
    }
}

fn size(d: &Value) -> String {
    let b = d["sizeBytes"].as_i64().unwrap_or(0);
    if b >= 1024 * 1024 {
        format!("{:.1} Mio", b as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} Kio", (b + 1023) / 1024)
    }
}

pub(crate) fn documents(docs: &[Value]) -> Markup {
    html! {
        @if !docs.is_empty() {
            ul.documents {
                @for d in docs {
                    li {
                        a href={ "/conformite/pieces/" (text(&d["id"])) } { (text(&d["fileName"])) }
                        " (" (size(d)) ", " (review(d))
                        @if let Some(r) = d["reviewReason"].as_str() { " : " (r) }
                        ")"
                    }
                }
            }
        }
    }
}

/// The API's validation error on `input` of a form, in French, or the error as is.
fn place(e: ConsoleError, prefix: &str) -> Result<Errors, ConsoleError> {
    match e {
        ConsoleError::Api(f) if f.code == "VALIDATION" && f.field.is_some() => {
            let field = f.field.as_deref().unwrap_or("");
            let key = match field {
                "declaration" | "body" | "note" | "file" => format!("{prefix}{field}"),
                // The audit's phase (closed, submitted...): said above the form.
                _ => format!("{prefix}form"),
            };
            let mut why = messages::reason(f.reason.as_deref().unwrap_or(""));
            if let Some(first) = why.get(..1) {
                why = first.to_uppercase() + &why[1..];
            }
            if !why.ends_with('.') {
                why.push('.');
            }
            Ok(Errors::from([(key, why)]))
        }
        other => Err(other),
    }
}

// ---------------------------------------------------------------- the list

pub(crate) async fn audits(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if act_as(&s) == Some("union") {
        return union_page(&st, s).await;
    }
    if act_as(&s) != Some("association") {
        return Err(ConsoleError::NotFound);
    }
    let data = st.run(&s, &COMPLIANCE_AUDITS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/conformite").await?;
    let rows = nodes(&data["complianceAudits"]);
    let body = html! {
        h1 { "Conformité au référentiel" }
        p { "Les contrôles de l'union : l'auto-évaluation, le rapport provisoire et vos réponses, le rapport définitif et le plan d'actions." }
        @if rows.is_empty() {
            p { "Aucun contrôle pour l'instant." }
        } @else {
            div.table-wrap {
                table.table id="audits" {
                    caption.visually-hidden { "Contrôles de conformité" }
                    thead { tr {
                        th scope="col" { "Campagne" } th scope="col" { "Période contrôlée" } th scope="col" { "Étape" }
                        th scope="col" { "Échéance" } th scope="col" { "Score" } th scope="col" { "Appréciation" } th scope="col" { span.visually-hidden { "Lien" } }
                    } }
                    tbody { @for a in rows { tr {
                        td { (text(&a["campaign"]["title"])) }
                        td { (date(&a["campaign"]["periodStartsOn"])) " – " (date(&a["campaign"]["periodEndsOn"])) }
                        td { (text(&a["statusLabel"])) }
                        td { @match text(&a["status"]) {
                            "SELF_ASSESSMENT" => { "auto-évaluation avant le " (date(&a["campaign"]["selfAssessmentDueOn"])) }
                            "CONTRADICTORY" => { "réponses avant le " (date(&a["repliesDueOn"])) }
                            _ => { "—" }
                        } }
                        td { (score(&a["score"])) }
                        td { (grade_badge(a)) }
                        td { a href={ "/conformite/" (text(&a["id"])) } { "Ouvrir" span.visually-hidden { " le contrôle " (text(&a["campaign"]["title"])) } } }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Conformité",
        &[("Accueil", "/"), ("Conformité", "/conformite")],
        body,
    )
    .into_response())
}

/// The union's view: the dashboard, the campaigns, and every audit with its grade.
async fn union_page(st: &Console, mut s: Signed) -> Result<Response, ConsoleError> {
    let dash = st.run(&s, &COMPLIANCE_DASHBOARD, json!({})).await?;
    let audits = st.run(&s, &COMPLIANCE_AUDITS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/conformite").await?;
    let d = &dash["complianceDashboard"];
    let bars: Vec<(String, i64, i64)> = list(&d["byGrade"])
        .iter()
        .map(|g| {
            (
                text(&g["label"]).to_owned(),
                g["associations"].as_i64().unwrap_or(0),
                0,
            )
        })
        .collect();
    let body = html! {
        h1 { "Conformité du réseau" }
        ul.kpis {
            li { strong id="overdue-actions" { (d["overdueActions"].as_i64().unwrap_or(0)) } " action(s) corrective(s) en retard" }
            li { strong { (d["contractsToRenew"].as_i64().unwrap_or(0)) } " contrat(s) à renouveler sous 90 jours" }
        }
        h2 { "Dernière appréciation de chaque association" }
        (view::bar_chart_with("Associations par appréciation", "détail dans le tableau.", &bars))
        div.table-wrap {
            table.table id="by-grade" {
                caption { "Associations par appréciation (dernier rapport définitif)" }
                thead { tr { th scope="col" { "Appréciation" } th scope="col" { "Associations" } } }
                tbody { @for g in list(&d["byGrade"]) { tr { th scope="row" { (text(&g["label"])) } td { (g["associations"].as_i64().unwrap_or(0)) } } } }
            }
        }
        h2 { "Critères le plus souvent non atteints" }
        @if list(&d["criteriaNotMet"]).is_empty() { p { "Aucun." } } @else {
            div.table-wrap {
                table.table id="criteria-not-met" {
                    caption.visually-hidden { "Critères le plus souvent non atteints" }
                    thead { tr { th scope="col" { "Critère" } th scope="col" { "Intitulé" } th scope="col" { "Contrôles" } } }
                    tbody { @for c in list(&d["criteriaNotMet"]) { tr { td { (text(&c["code"])) } td { (text(&c["label"])) } td { (c["times"].as_i64().unwrap_or(0)) } } } }
                }
            }
        }
        h2 { "Campagnes" }
        div.table-wrap {
            table.table id="campaigns" {
                caption.visually-hidden { "Campagnes de contrôle" }
                thead { tr { th scope="col" { "Campagne" } th scope="col" { "Période contrôlée" } th scope="col" { "Clôture" } th scope="col" { "Contrôles" } th scope="col" { "État" } } }
                tbody { @for c in nodes(&dash["complianceCampaigns"]) { tr {
                    td { (text(&c["title"])) }
                    td { (date(&c["periodStartsOn"])) " – " (date(&c["periodEndsOn"])) }
                    td { (date(&c["closesOn"])) }
                    td { (nodes(&c["audits"]).len()) }
                    td { @if text(&c["status"]) == "OPEN" { "En cours" } @else { "Close" } }
                } } }
            }
        }
        h2 { "Contrôles" }
        div.table-wrap {
            table.table id="audits" {
                caption.visually-hidden { "Contrôles des associations" }
                thead { tr { th scope="col" { "Association" } th scope="col" { "Campagne" } th scope="col" { "Étape" } th scope="col" { "Score" } th scope="col" { "Appréciation" } } }
                tbody { @for a in nodes(&audits["complianceAudits"]) { tr {
                    td { (text(&a["tenant"]["name"])) }
                    td { (text(&a["campaign"]["title"])) }
                    td { (text(&a["statusLabel"])) }
                    td { (score(&a["score"])) }
                    td { (grade_badge(a)) }
                } } }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Conformité du réseau",
        &[("Accueil", "/"), ("Conformité", "/conformite")],
        body,
    )
    .into_response())
}

// ---------------------------------------------------------------- one audit

async fn load(st: &Console, s: &Signed, id: &str) -> Result<Value, ConsoleError> {
    st.run(s, &COMPLIANCE_AUDIT, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)
}

pub(crate) async fn audit(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if act_as(&s) != Some("association") {
        return Err(ConsoleError::NotFound);
    }
    render(&st, s, &id, Errors::new(), HashMap::new()).await
}

async fn render(
    st: &Console,
    mut s: Signed,
    id: &str,
    errors: Errors,
    values: HashMap<String, String>,
) -> Result<Response, ConsoleError> {
    let data = load(st, &s, id).await?;
    let chrome = st.chrome(&mut s, "/conformite").await?;
    let a = &data["complianceAudit"];
    let id = text(&a["id"]);
    let status = text(&a["status"]);
    let can_write = writes(&s);
    let director = role(&s) == Some("DIRECTOR");
    let criteria = list(&a["campaign"]["catalogueVersion"]["criteria"]);
    let label = |cid: &str| -> String {
        criteria
            .iter()
            .find(|c| text(&c["id"]) == cid)
            .map(|c| format!("{} — {}", text(&c["code"]), text(&c["label"])))
            .unwrap_or_default()
    };
    let answers: HashMap<&str, &Value> = list(&a["answers"])
        .iter()
        .map(|x| (text(&x["criterionId"]), x))
        .collect();
    let err = |k: &str| errors.get(k);
    let title = text(&a["campaign"]["title"]).to_owned();
    let report = |kind: &str| {
        list(&a["reports"])
            .iter()
            .find(|r| text(&r["kind"]) == kind)
            .cloned()
    };
    let draft = report("DRAFT");
    let final_ = report("FINAL");
    let body = html! {
        h1 { (title) }
        @if let Some(e) = err("form") { (alert("error", e)) }
        ol.steps aria-label="Étapes du contrôle" {
            @for (code, label) in [("SELF_ASSESSMENT", "Auto-évaluation"), ("REVIEW", "Examen par l'auditeur"), ("CONTRADICTORY", "Phase contradictoire"), ("FINAL", "Rapport définitif")] {
                li aria-current=[(code == status).then_some("step")] { (label) }
            }
        }
        dl.summary {
            div { dt { "Période contrôlée" } dd { (date(&a["campaign"]["periodStartsOn"])) " – " (date(&a["campaign"]["periodEndsOn"])) } }
            div { dt { "Étape" } dd id="audit-status" { (text(&a["statusLabel"])) } }
            div { dt { "Auto-évaluation due le" } dd { (date(&a["campaign"]["selfAssessmentDueOn"])) } }
            @if a["repliesDueOn"].is_string() { div { dt { "Réponses au rapport provisoire avant le" } dd { (date(&a["repliesDueOn"])) } } }
            div { dt { "Score" } dd { (score(&a["score"])) } }
            div { dt { "Appréciation" } dd id="audit-grade" { (grade_badge(a)) } }
        }

        @if let Some(r) = &final_ {
            section aria-labelledby="final" {
                h2 id="final" { "Rapport définitif" }
                p { "Émis le " (show_time(&r["issuedAt"])) " · score " (score(&r["score"])) }
                p id="final-summary" { (text(&r["summary"])) }
            }
        }

        @if status == "SELF_ASSESSMENT" {
            section aria-labelledby="self" {
                h2 id="self" { "Auto-évaluation" }
                @if can_write {
                    p { "Pour chaque critère, décrivez ce que fait l'association et joignez au besoin une pièce (PDF, image, document bureautique ; 1 Mio au plus depuis la console). Chaque critère s'enregistre séparément." }
                } @else {
                    p { "Seules la direction et la coordination répondent." }
                }
                @for c in criteria {
                    @let cid = text(&c["id"]);
                    @let ans = answers.get(cid).copied();
                    @let key = format!("c-{}-", text(&c["code"]));
                    @let decl_id = format!("{key}declaration");
                    @let file_id = format!("{key}file");
                    section.card aria-labelledby={ (key) "title" } {
                        h3 id={ (key) "title" } { (text(&c["code"])) " — " (text(&c["label"])) }
                        @if let Some(g) = c["guidance"].as_str() { p.muted { (g) } }
                        @if let Some(ans) = ans { (documents(list(&ans["evidence"]))) }
                        @if can_write {
                            form.stack method="post" action={ "/conformite/" (id) "/reponses" } enctype="multipart/form-data" novalidate {
                                (csrf_field(&chrome.csrf))
                                input type="hidden" name="criterionId" value=(cid);
                                input type="hidden" name="code" value=(text(&c["code"]));
                                div.field.field-invalid[err(&decl_id).is_some()] {
                                    label for=(decl_id) { "Déclaration de l'association" span.hint { " (facultative, 4 000 caractères au plus)" } }
                                    textarea id=(decl_id) name="declaration" rows="3" aria-invalid=[err(&decl_id).map(|_| "true")] aria-describedby=[described_by(&decl_id, err(&decl_id))] {
                                        (values.get(&decl_id).map(String::as_str).or(ans.and_then(|x| x["declaration"].as_str())).unwrap_or(""))
                                    }
                                    (field_error(&decl_id, err(&decl_id)))
                                }
                                div.field.field-invalid[err(&file_id).is_some()] {
                                    label for=(file_id) { "Pièce justificative" span.hint { " (facultative)" } }
                                    input id=(file_id) type="file" name="file" aria-invalid=[err(&file_id).map(|_| "true")] aria-describedby=[described_by(&file_id, err(&file_id))];
                                    (field_error(&file_id, err(&file_id)))
                                }
                                button.btn.btn-secondary type="submit" { "Enregistrer" span.visually-hidden { " la réponse au critère " (text(&c["code"])) } }
                            }
                        } @else if let Some(d) = ans.and_then(|x| x["declaration"].as_str()) {
                            p { (d) }
                        }
                    }
                }
                @if director {
                    form method="post" action={ "/conformite/" (id) "/soumettre" } {
                        (csrf_field(&chrome.csrf))
                        p { "Une fois soumise, l'auto-évaluation ne peut plus être modifiée : l'auditeur l'examine." }
                        button.btn type="submit" { "Soumettre l'auto-évaluation" }
                    }
                }
            }
        } @else if !answers.is_empty() {
            details {
                summary { "L'auto-évaluation soumise (" (answers.len()) " réponse(s))" }
                ul { @for ans in list(&a["answers"]) { li {
                    strong { (label(text(&ans["criterionId"]))) } " : " (ans["declaration"].as_str().unwrap_or("—"))
                    (documents(list(&ans["evidence"])))
                } } }
            }
        }

        @if let Some(r) = &draft {
            section aria-labelledby="draft" {
                h2 id="draft" { "Rapport provisoire" }
                p { "Envoyé le " (show_time(&r["issuedAt"])) " · score " (score(&r["score"])) }
                p id="draft-summary" { (text(&r["summary"])) }
                h3 { "Écarts relevés" }
                @if nodes(&a["findings"]).is_empty() { p { "Aucun écart." } }
                @for (i, f) in nodes(&a["findings"]).iter().enumerate() {
                    @let key = format!("f-{i}-");
                    @let body_id = format!("{key}body");
                    section.card.finding aria-labelledby={ (key) "title" } {
                        h4 id={ (key) "title" } { (label(text(&f["criterionId"]))) }
                        p { (text(&f["body"])) }
                        @if let Some(o) = f["outcome"].as_str() {
                            p { strong { "Suite donnée : " } (match o { "WITHDRAWN" => "écart retiré", "AMENDED" => "écart requalifié", _ => "écart maintenu" })
                                @if let Some(n) = f["outcomeNote"].as_str() { " — " (n) } }
                        }
                        @if f["reply"].is_object() {
                            div.reply {
                                p { strong { "Votre réponse du " (show_time(&f["reply"]["createdAt"])) " : " } (text(&f["reply"]["body"])) }
                                (documents(list(&f["reply"]["evidence"])))
                            }
                        } @else if status == "CONTRADICTORY" && can_write {
                            form.stack method="post" action={ "/conformite/" (id) "/constats/" (text(&f["id"])) } novalidate {
                                (csrf_field(&chrome.csrf))
                                input type="hidden" name="index" value=(i);
                                div.field.field-invalid[err(&body_id).is_some()] {
                                    label for=(body_id) { "Réponse de l'association" span.hint { " (obligatoire, 2 à 4 000 caractères)" } }
                                    textarea id=(body_id) name="body" rows="3" required aria-invalid=[err(&body_id).map(|_| "true")] aria-describedby=[described_by(&body_id, err(&body_id))] {
                                        (values.get(&body_id).map(String::as_str).unwrap_or(""))
                                    }
                                    (field_error(&body_id, err(&body_id)))
                                }
                                button.btn.btn-secondary type="submit" { "Envoyer la réponse" span.visually-hidden { " à l'écart " (i + 1) } }
                            }
                        }
                    }
                }
            }
        }

        @if !nodes(&a["actions"]).is_empty() {
            section aria-labelledby="plan" {
                h2 id="plan" { "Plan d'actions correctives" }
                div.table-wrap {
                    table.table id="actions" {
                        caption.visually-hidden { "Actions correctives" }
                        thead { tr { th scope="col" { "Action" } th scope="col" { "Critère" } th scope="col" { "Responsable" } th scope="col" { "Échéance" } th scope="col" { "État" } } }
                        tbody { @for x in nodes(&a["actions"]) { tr {
                            td { (text(&x["title"])) }
                            td { (label(text(&x["criterionId"]))) }
                            td { (x["owner"]["user"]["displayName"].as_str().unwrap_or("—")) }
                            td { (date(&x["dueOn"])) @if x["overdue"].as_bool() == Some(true) { " " span.badge.badge-error { "En retard" } } }
                            td { (action_status(x)) @if let Some(n) = x["completionNote"].as_str() { br; span.muted { (n) } } }
                        } } }
                    }
                }
                @if can_write {
                    @for (i, x) in nodes(&a["actions"]).iter().enumerate().filter(|(_, x)| matches!(text(&x["status"]), "OPEN" | "REOPENED")) {
                        @let note_id = format!("a-{i}-note");
                        form.stack.card method="post" action={ "/conformite/" (id) "/actions/" (text(&x["id"])) } novalidate {
                            (csrf_field(&chrome.csrf))
                            input type="hidden" name="index" value=(i);
                            div.field.field-invalid[err(&note_id).is_some()] {
                                label for=(note_id) { "Ce qui a été fait pour « " (text(&x["title"])) " »" }
                                textarea id=(note_id) name="note" rows="2" required aria-invalid=[err(&note_id).map(|_| "true")] aria-describedby=[described_by(&note_id, err(&note_id))] {
                                    (values.get(&note_id).map(String::as_str).unwrap_or(""))
                                }
                                (field_error(&note_id, err(&note_id)))
                            }
                            button.btn.btn-secondary type="submit" { "Déclarer l'action réalisée" span.visually-hidden { " : " (text(&x["title"])) } }
                        }
                    }
                }
            }
        }
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = view::page(
        &chrome,
        &title,
        &[
            ("Accueil", "/"),
            ("Conformité", "/conformite"),
            (&title, ""),
        ],
        body,
    )
    .into_response();
    *r.status_mut() = code;
    Ok(r)
}

// ---------------------------------------------------------------- writes

/// A criterion's answer (declaration), then its file if one was chosen: the file
/// goes to the API's evidence handler as the answer's.
pub(crate) async fn answer(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    let mut form: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, axum::body::Bytes)> = None;
    let mut too_big = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_owned();
                if name == "file" {
                    let file_name = f.file_name().unwrap_or("").to_owned();
                    match f.bytes().await {
                        Ok(b) if !b.is_empty() => file = Some((file_name, b)),
                        Ok(_) => {}
                        Err(_) => too_big = true,
                    }
                } else if let Ok(t) = f.text().await {
                    form.insert(name, t);
                }
            }
            Ok(None) => break,
            Err(_) => {
                too_big = true;
                break;
            }
        }
    }
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let code = field(&form, "code").unwrap_or("").to_owned();
    let prefix = format!("c-{code}-");
    let mut values = HashMap::new();
    values.insert(
        format!("{prefix}declaration"),
        form.get("declaration").cloned().unwrap_or_default(),
    );
    if too_big {
        let errors = Errors::from([(
            format!("{prefix}file"),
            "Fichier illisible ou trop volumineux pour la console (1 Mio au plus).".into(),
        )]);
        return render(&st, s, &id, errors, values).await;
    }
    let input = json!({
        "auditId": id,
        "criterionId": field(&form, "criterionId").unwrap_or(""),
        "declaration": field(&form, "declaration"),
    });
    let answer_id = match st
        .run(&s, &ANSWER_CRITERION, json!({ "input": input }))
        .await
    {
        Ok(d) => text(&d["answerCriterion"]["answer"]["id"]).to_owned(),
        Err(e) => {
            let errors = place(e, &prefix)?;
            return render(&st, s, &id, errors, values).await;
        }
    };
    let mut message = format!("Réponse au critère {code} enregistrée.");
    if let Some((name, bytes)) = file {
        if let Err(e) = upload(&st, &s, &answer_id, &name, bytes).await {
            let errors = place(e, &prefix)?;
            return render(&st, s, &id, errors, values).await;
        }
        message = format!("Réponse au critère {code} et pièce « {name} » enregistrées.");
    }
    st.flash(&mut s, "success", message).await?;
    Ok(see_other(&format!("/conformite/{id}")))
}

/// The file given to the API's evidence handler, in-process, as the signed-in
/// person: the same checks and storage as `POST /compliance/evidence`.
async fn upload(
    st: &Console,
    s: &Signed,
    owner: &str,
    name: &str,
    bytes: axum::body::Bytes,
) -> Result<(), ConsoleError> {
    let params = serde_urlencoded::from_str(
        &serde_urlencoded::to_string([("ownerId", owner), ("fileName", name)])
            .map_err(|_| ConsoleError::Internal("evidence parameters"))?,
    )
    .map_err(|_| ConsoleError::Internal("evidence parameters"))?;
    let mut req = axum::extract::Request::new(axum::body::Body::from(bytes));
    req.extensions_mut()
        .insert(graphql::RequestActor(Some(s.ctx.clone())));
    let r = graphql::compliance::http::upload(
        State(st.endpoint.clone()),
        axum::extract::Query(params),
        req,
    )
    .await;
    if r.status().is_success() {
        return Ok(());
    }
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), 64 * 1024)
        .await
        .map_err(|_| ConsoleError::Internal("evidence answer"))?;
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let e = &v["errors"][0];
    let ext = |k: &str| e["extensions"][k].as_str().map(str::to_owned);
    let mut failure = ApiFailure {
        code: ext("code").unwrap_or_else(|| "INTERNAL".into()),
        field: ext("field"),
        reason: ext("reason"),
        message: text(&e["message"]).to_owned(),
    };
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        failure.field = Some("file".into());
    }
    Err(ConsoleError::Api(failure))
}

pub(crate) async fn download(
    st: St,
    headers: HeaderMap,
    Path(doc): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    let mut req = axum::extract::Request::new(axum::body::Body::empty());
    req.extensions_mut()
        .insert(graphql::RequestActor(Some(s.ctx.clone())));
    let r = graphql::compliance::http::download(State(st.endpoint.clone()), Path(doc), req).await;
    match r.status() {
        StatusCode::OK => Ok(r),
        StatusCode::SERVICE_UNAVAILABLE => Err(ConsoleError::Api(ApiFailure {
            code: "UNAVAILABLE".into(),
            field: None,
            reason: None,
            message: String::new(),
        })),
        // Another association's file, a malformed id or a missing one: one page.
        _ => Err(ConsoleError::NotFound),
    }
}

pub(crate) async fn submit(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: super::Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    match st
        .run(
            &s,
            &SUBMIT_SELF_ASSESSMENT,
            json!({ "input": { "auditId": id } }),
        )
        .await
    {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Auto-évaluation soumise : l'auditeur l'examine.".into(),
            )
            .await?;
            Ok(see_other(&format!("/conformite/{id}")))
        }
        Err(e) => {
            let errors = place(e, "")?;
            render(&st, s, &id, errors, HashMap::new()).await
        }
    }
}

pub(crate) async fn reply(
    st: St,
    headers: HeaderMap,
    Path((id, finding)): Path<(String, String)>,
    form: super::Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let prefix = format!("f-{}-", field(&form, "index").unwrap_or("0"));
    let body = form.get("body").cloned().unwrap_or_default();
    let input = json!({ "findingId": finding, "body": body.trim() });
    match st
        .run(&s, &REPLY_TO_FINDING, json!({ "input": input }))
        .await
    {
        Ok(_) => {
            st.flash(&mut s, "success", "Réponse envoyée à l'auditeur.".into())
                .await?;
            Ok(see_other(&format!("/conformite/{id}")))
        }
        Err(e) => {
            let errors = place(e, &prefix)?;
            let values = HashMap::from([(format!("{prefix}body"), body)]);
            render(&st, s, &id, errors, values).await
        }
    }
}

pub(crate) async fn complete(
    st: St,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: super::Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let prefix = format!("a-{}-", field(&form, "index").unwrap_or("0"));
    let note = form.get("note").cloned().unwrap_or_default();
    let input = json!({ "actionId": action, "note": note.trim() });
    match st
        .run(&s, &COMPLETE_CORRECTIVE_ACTION, json!({ "input": input }))
        .await
    {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Action déclarée réalisée : l'auditeur la valide ou la rouvre.".into(),
            )
            .await?;
            Ok(see_other(&format!("/conformite/{id}")))
        }
        Err(e) => {
            let errors = place(e, &prefix)?;
            let values = HashMap::from([(format!("{prefix}note"), note)]);
            render(&st, s, &id, errors, values).await
        }
    }
}
