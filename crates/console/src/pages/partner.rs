//! Agreements and their reports, outreach campaigns and their cases, API
//! clients: a partner's people read theirs (and submit cases by CSV); the union
//! reads every one and manages API clients; an association's director reads its
//! agreements.

use super::visit_form::show_time;
use super::{Form, Signed, St, field, see_other};
use crate::Console;
use crate::api::{
    AGREEMENT_REPORT, AGREEMENT_REPORT_CSV, AGREEMENTS, API_CLIENTS, CREATE_API_CLIENT,
    OUTREACH_CAMPAIGN, OUTREACH_CAMPAIGNS, PARTNER_ORGANISATIONS, REVOKE_API_CLIENT,
    ROTATE_API_CLIENT, UPLOAD_OUTREACH_CASES, list, text,
};
use crate::error::ConsoleError;
use crate::messages;
use crate::view::{self, alert, csrf_field};
use axum::extract::{Multipart, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

fn is_partner(s: &Signed) -> bool {
    s.session.data.act_as.as_deref() == Some("partner")
}

fn is_union_admin(s: &Signed) -> bool {
    s.session.data.act_as.as_deref() == Some("union")
        && s.session.data.role.as_deref() == Some("ADMIN")
}

fn date(v: &Value) -> String {
    chrono::NaiveDate::parse_from_str(text(v), "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn rate(v: &Value) -> String {
    v.as_f64()
        .map(|r| format!("{} %", (r * 100.0).round()))
        .unwrap_or_else(|| "—".into())
}

pub(crate) async fn agreements(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    let data = st.run(&s, &AGREEMENTS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/conventions").await?;
    let rows = list(&data["agreements"]["nodes"]);
    let body = html! {
        h1 { "Conventions" }
        @if rows.is_empty() {
            p { "Aucune convention." }
        } @else {
            div.table-wrap {
                table.table id="agreements" {
                    caption.visually-hidden { "Conventions" }
                    thead { tr {
                        th scope="col" { "Référence" } th scope="col" { "Intitulé" } th scope="col" { "Partenaire" }
                        th scope="col" { "Association" } th scope="col" { "Période" } th scope="col" { "État" } th scope="col" { "Rapport" }
                    } }
                    tbody { @for a in rows { tr {
                        td { (text(&a["reference"])) }
                        td { (text(&a["title"])) }
                        td { (text(&a["partner"]["name"])) }
                        td { @if a["national"].as_bool() == Some(true) { "Convention nationale" } @else { (text(&a["tenant"]["name"])) } }
                        td { (date(&a["startsOn"])) " – " (date(&a["endsOn"])) }
                        td { (text(&a["statusLabel"])) }
                        td { a href={ "/conventions/" (text(&a["id"])) } { "Rapport" span.visually-hidden { " de la convention " (text(&a["reference"])) } } }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Conventions",
        &[("Accueil", "/"), ("Conventions", "/conventions")],
        body,
    )
    .into_response())
}

pub(crate) async fn report(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    let data = st
        .run(&s, &AGREEMENT_REPORT, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let chrome = st.chrome(&mut s, "/conventions").await?;
    let r = &data["agreementReport"];
    let title = format!("Rapport — {}", text(&r["agreement"]["reference"]));
    let deliverables = |ds: &Value| -> Markup {
        html! { @for d in list(ds) { tr {
            th scope="row" { (text(&d["label"])) }
            td { (text(&d["achieved"])) }
            td { (d["target"].as_f64().map(|t| format!("{t:.0}")).unwrap_or_else(|| "—".into())) }
            td { (rate(&d["rate"])) }
        } } }
    };
    let head = html! { thead { tr { th scope="col" { "Indicateur" } th scope="col" { "Réalisé" } th scope="col" { "Objectif" } th scope="col" { "Taux" } } } };
    let body = html! {
        h1 { (title) }
        p.lead { (text(&r["agreement"]["title"])) " — " (text(&r["agreement"]["partner"]["name"])) }
        p { "Du " (date(&r["from"])) " au " (date(&r["to"])) "." }
        @if r["suppressed"].as_bool() == Some(true) {
            (alert("info", "Les effectifs de 1 à 4 sont affichés « <5 » : ils pourraient désigner des personnes."))
        }
        @if r["partial"].as_bool() == Some(true) {
            (alert("info", "Convention nationale : les chiffres sont ceux de votre association seulement."))
        }
        p { a.btn.btn-secondary href={ "/conventions/" (id) "/csv" } download="rapport-convention.csv" { "Télécharger le rapport (CSV)" } }
        h2 { "Sur toute la période" }
        div.table-wrap { table.table id="report-totals" { caption.visually-hidden { "Totaux" } (head) tbody { (deliverables(&r["totals"])) } } }
        @for p in list(&r["periods"]) {
            h2 { (text(&p["label"])) }
            div.table-wrap { table.table { caption.visually-hidden { (text(&p["label"])) } (head) tbody { (deliverables(&p["deliverables"])) } } }
        }
    };
    Ok(view::page(
        &chrome,
        &title,
        &[
            ("Accueil", "/"),
            ("Conventions", "/conventions"),
            (&title, ""),
        ],
        body,
    )
    .into_response())
}

pub(crate) async fn report_csv(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    let data = st
        .run(&s, &AGREEMENT_REPORT_CSV, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"rapport-convention.csv\"",
            ),
        ],
        text(&data["agreementReport"]["csv"]).to_owned(),
    )
        .into_response())
}

pub(crate) async fn campaigns(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    let data = st.run(&s, &OUTREACH_CAMPAIGNS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/campagnes").await?;
    let rows = list(&data["outreachCampaigns"]["nodes"]);
    let body = html! {
        h1 { "Campagnes de médiation sortante" }
        @if rows.is_empty() {
            p { "Aucune campagne." }
        } @else {
            div.table-wrap {
                table.table id="campaigns" {
                    caption.visually-hidden { "Campagnes" }
                    thead { tr {
                        th scope="col" { "Campagne" } th scope="col" { "Association" } th scope="col" { "Partenaire" }
                        th scope="col" { "Période" } th scope="col" { "État" } th scope="col" { "Cas" } th scope="col" { "Taux de contact" }
                    } }
                    tbody { @for c in rows { tr {
                        td { a href={ "/campagnes/" (text(&c["id"])) } { (text(&c["title"])) } br; span.muted { (text(&c["purposeLabel"])) } }
                        td { (text(&c["association"]["name"])) }
                        td { (text(&c["partner"]["name"])) }
                        td { (date(&c["startsOn"])) " – " (date(&c["endsOn"])) }
                        td { (text(&c["statusLabel"])) }
                        td { (c["dashboard"]["cases"].as_i64().unwrap_or(0)) }
                        td { (rate(&c["dashboard"]["contactRate"])) }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Campagnes",
        &[("Accueil", "/"), ("Campagnes", "/campagnes")],
        body,
    )
    .into_response())
}

async fn render_campaign(
    st: &Console,
    mut s: Signed,
    id: &str,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let data = st
        .run(&s, &OUTREACH_CAMPAIGN, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    if text(&data["node"]["__typename"]) != "OutreachCampaign" {
        return Err(ConsoleError::NotFound);
    }
    let chrome = st.chrome(&mut s, "/campagnes").await?;
    let c = &data["node"];
    let title = text(&c["title"]).to_owned();
    let cases = list(&data["outreachCases"]["nodes"]);
    let open = text(&c["status"]) == "OPEN";
    let body = html! {
        h1 { (title) }
        dl.summary {
            div { dt { "Association" } dd { (text(&c["association"]["name"])) } }
            div { dt { "Objet" } dd { (text(&c["purposeLabel"])) } }
            div { dt { "Base légale" } dd { (text(&c["legalBasisLabel"])) } }
            div { dt { "Période" } dd { (date(&c["startsOn"])) " – " (date(&c["endsOn"])) } }
            div { dt { "État" } dd { (text(&c["statusLabel"])) } }
            div { dt { "Taux de contact" } dd { (rate(&c["dashboard"]["contactRate"])) } }
        }
        div.layout-2 {
            div.table-wrap {
                table.table id="by-status" {
                    caption { "Cas par état" }
                    thead { tr { th scope="col" { "État" } th scope="col" { "Cas" } } }
                    tbody { @for x in list(&c["dashboard"]["byStatus"]) { tr { th scope="row" { (text(&x["label"])) } td { (x["count"].as_i64().unwrap_or(0)) } } } }
                }
            }
            div.table-wrap {
                table.table id="by-outcome" {
                    caption { "Cas par issue" }
                    thead { tr { th scope="col" { "Issue" } th scope="col" { "Cas" } } }
                    tbody { @for x in list(&c["dashboard"]["byOutcome"]) { tr { th scope="row" { (text(&x["label"])) } td { (x["count"].as_i64().unwrap_or(0)) } } } }
                }
            }
        }
        @if is_partner(&s) && open {
            section aria-labelledby="upload" {
                h2 id="upload" { "Transmettre des cas (fichier CSV)" }
                p { "Une ligne d'en-tête (customer_ref, full_name, phone, email, address, postal_code ; customer_ref obligatoire), séparateur « ; » ou « , », 500 lignes au plus. Tout le fichier est accepté, ou rien." }
                @if let Some(e) = &error { (alert("error", e)) }
                form.stack method="post" action={ "/campagnes/" (id) "/cas" } enctype="multipart/form-data" {
                    (csrf_field(&chrome.csrf))
                    div.field.field-invalid[error.is_some()] {
                        label for="csv" { "Fichier CSV" }
                        input id="csv" type="file" name="csv" accept=".csv,text/csv" required aria-describedby=[error.as_ref().map(|_| "csv-error")];
                        @if let Some(e) = &error { p.field-error id="csv-error" { (e) } }
                    }
                    button.btn type="submit" { "Transmettre les cas" }
                }
            }
        }
        h2 { "Cas" }
        @if cases.is_empty() {
            p { "Aucun cas transmis." }
        } @else {
            div.table-wrap {
                table.table id="cases" {
                    caption { (cases.len()) " cas (les 100 plus récents)" }
                    thead { tr { th scope="col" { "Référence client" } th scope="col" { "État" } th scope="col" { "Issue" } th scope="col" { "Compte rendu" } th scope="col" { "Tentatives" } th scope="col" { "Transmis le" } th scope="col" { "Clos le" } } }
                    tbody { @for x in cases { tr {
                        td { (x["customerRef"].as_str().unwrap_or("—")) }
                        td { (text(&x["statusLabel"])) }
                        td { (x["outcomeLabel"].as_str().unwrap_or("—")) }
                        // Details go back to the partner only with the resident's consent.
                        td { @if let Some(d) = x["reportDetails"].as_str() { (d) } @else if x["outcome"].is_string() || x["outcomeLabel"].is_string() { @if x["consentToReport"].as_bool() == Some(true) { "—" } @else { "sans accord de l'habitant" } } @else { "—" } }
                        td { (x["attemptCount"].as_i64().unwrap_or(0)) }
                        td { (show_time(&x["submittedAt"])) }
                        td { @if x["closedAt"].is_string() { (show_time(&x["closedAt"])) } @else { "—" } }
                    } } }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = view::page(
        &chrome,
        &title,
        &[("Accueil", "/"), ("Campagnes", "/campagnes"), (&title, "")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn campaign(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    render_campaign(&st, s, &id, None).await
}

/// The partner's CSV of cases, sent as the file's text to `uploadOutreachCasesCsv`
/// (all or nothing; an error names the line).
pub(crate) async fn upload(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    let mut csrf = None;
    let mut csv = None;
    while let Ok(Some(f)) = multipart.next_field().await {
        match f.name() {
            Some("_csrf") => csrf = f.text().await.ok(),
            Some("csv") => csv = f.text().await.ok(),
            _ => {}
        }
    }
    st.check_csrf(&s.session, csrf.as_ref())?;
    let csv = csv.unwrap_or_default();
    if csv.trim().is_empty() {
        return render_campaign(
            &st,
            s,
            &id,
            Some("Choisissez un fichier CSV non vide.".into()),
        )
        .await;
    }
    let input = json!({ "campaignId": id, "csv": csv });
    match st
        .run(&s, &UPLOAD_OUTREACH_CASES, json!({ "input": input }))
        .await
    {
        Ok(d) => {
            let n = d["uploadOutreachCasesCsv"]["submitted"]
                .as_i64()
                .unwrap_or(0);
            st.flash(&mut s, "success", format!("{n} cas transmis."))
                .await?;
            Ok(see_other(&format!("/campagnes/{id}")))
        }
        Err(ConsoleError::Api(f)) if f.code == "VALIDATION" => {
            let msg = messages::csv_error(&f);
            render_campaign(&st, s, &id, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

const SCOPES: &[(&str, &str)] = &[
    ("AGREEMENTS_READ", "Lire ses conventions"),
    (
        "ACTIVITY_READ",
        "Lire l'activité (petits effectifs masqués)",
    ),
    ("OUTREACH_READ", "Lire ses campagnes et les issues"),
    ("OUTREACH_WRITE", "Transmettre des cas"),
];

async fn render_clients(
    st: &Console,
    mut s: Signed,
    secret: Option<(String, String)>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let data = st.run(&s, &API_CLIENTS, json!({})).await?;
    let admin = is_union_admin(&s);
    let partners = if admin {
        st.run(&s, &PARTNER_ORGANISATIONS, json!({})).await?
    } else {
        Value::Null
    };
    let chrome = st.chrome(&mut s, "/clients-api").await?;
    let rows = list(&data["partnerApiClients"]["nodes"]);
    let body = html! {
        h1 { "Clients API" }
        @if let Some((client_id, secret)) = &secret {
            div.alert.alert-warning role="status" {
                p { strong { "Secret du client " (client_id) " : " } "copiez-le maintenant, il ne sera plus jamais affiché." }
                p.secret id="secret" { (secret) }
            }
        }
        @if let Some(e) = &error { (alert("error", e)) }
        @if !admin {
            p { "Ces clients sont créés, renouvelés et révoqués par l'union nationale à votre demande." }
        }
        @if rows.is_empty() {
            p { "Aucun client API." }
        } @else {
            div.table-wrap {
                table.table id="clients" {
                    caption.visually-hidden { "Clients API" }
                    thead { tr {
                        th scope="col" { "Nom" } th scope="col" { "Partenaire" } th scope="col" { "Identifiant" }
                        th scope="col" { "Droits" } th scope="col" { "État" } th scope="col" { "Secret renouvelé" }
                        @if admin { th scope="col" { "Actions" } }
                    } }
                    tbody { @for c in rows { tr {
                        td { (text(&c["name"])) }
                        td { (text(&c["partner"]["name"])) }
                        td { code { (text(&c["clientId"])) } }
                        td { @for sc in list(&c["scopes"]) { span.tag { (SCOPES.iter().find(|(k, _)| *k == text(sc)).map(|(_, l)| *l).unwrap_or("")) } } }
                        td { (text(&c["statusLabel"])) }
                        td { @if c["rotatedAt"].is_string() { (show_time(&c["rotatedAt"])) } @else { "—" } }
                        @if admin { td {
                            @if text(&c["status"]) == "ACTIVE" {
                                form method="post" action={ "/clients-api/" (text(&c["id"])) "/renouveler" } {
                                    (csrf_field(&chrome.csrf))
                                    button.btn.btn-secondary type="submit" { "Renouveler le secret" span.visually-hidden { " de " (text(&c["name"])) } }
                                }
                                form method="post" action={ "/clients-api/" (text(&c["id"])) "/revoquer" } {
                                    (csrf_field(&chrome.csrf))
                                    button.btn.btn-danger type="submit" { "Révoquer" span.visually-hidden { " " (text(&c["name"])) } }
                                }
                            }
                        } }
                    } } }
                }
            }
        }
        @if admin {
            section aria-labelledby="new-client" {
                h2 id="new-client" { "Nouveau client API" }
                form.stack method="post" action="/clients-api" {
                    (csrf_field(&chrome.csrf))
                    div.grid {
                        div.field {
                            label for="client-partner" { "Partenaire" }
                            select id="client-partner" name="partner" required {
                                @for p in list(&partners["partnerOrganisations"]["nodes"]) { option value=(text(&p["id"])) { (text(&p["name"])) } }
                            }
                        }
                        div.field {
                            label for="client-name" { "Nom du client" span.hint { " (par exemple « Portail recouvrement »)" } }
                            input id="client-name" type="text" name="name" required;
                        }
                    }
                    fieldset.fieldset {
                        legend { "Droits" }
                        @for (code, label) in SCOPES {
                            div.checkbox {
                                input type="checkbox" id={ "scope-" (code) } name={ "scope-" (code) } checked[*code != "OUTREACH_WRITE"];
                                label for={ "scope-" (code) } { (label) }
                            }
                        }
                    }
                    button.btn type="submit" { "Créer le client" }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Clients API",
        &[("Accueil", "/"), ("Clients API", "/clients-api")],
        body,
    )
    .into_response())
}

pub(crate) async fn clients(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    render_clients(&st, s, None, None).await
}

/// The secret is shown in this answer only (never stored, never redirected).
pub(crate) async fn create_client(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let scopes: Vec<&str> = SCOPES
        .iter()
        .filter(|(c, _)| form.contains_key(&format!("scope-{c}")))
        .map(|(c, _)| *c)
        .collect();
    let input = json!({
        "partnerId": field(&form, "partner"),
        "name": field(&form, "name").unwrap_or(""),
        "scopes": scopes,
    });
    match st
        .run(&s, &CREATE_API_CLIENT, json!({ "input": input }))
        .await
    {
        Ok(d) => {
            let p = &d["createPartnerApiClient"];
            let shown = (
                text(&p["apiClient"]["clientId"]).to_owned(),
                text(&p["secret"]).to_owned(),
            );
            render_clients(&st, s, Some(shown), None).await
        }
        Err(ConsoleError::Api(f)) if f.code == "VALIDATION" => {
            render_clients(&st, s, None, Some(messages::api_error(&f))).await
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn rotate_client(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let d = st
        .run(
            &s,
            &ROTATE_API_CLIENT,
            json!({ "input": { "apiClientId": id } }),
        )
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let p = &d["rotatePartnerApiClientSecret"];
    let shown = (
        text(&p["apiClient"]["clientId"]).to_owned(),
        text(&p["secret"]).to_owned(),
    );
    render_clients(&st, s, Some(shown), None).await
}

pub(crate) async fn revoke_client(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    st.run(
        &s,
        &REVOKE_API_CLIENT,
        json!({ "input": { "apiClientId": id } }),
    )
    .await
    .map_err(ConsoleError::missing_if_unknown)?;
    st.flash(
        &mut s,
        "success",
        "Client révoqué : ses jetons ne fonctionnent plus.".into(),
    )
    .await?;
    Ok(see_other("/clients-api"))
}
