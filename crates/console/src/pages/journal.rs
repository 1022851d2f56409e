//! The journal: visits with filters, one visit with its history, its amendment
//! and its voiding (with a reason).

use super::visit_form::{self, Choices, Errors, Values, show_time};
use super::{Form, Query, Signed, St, field, see_other, writes_journal};
use crate::Console;
use crate::api::{AMEND_VISIT, JOURNAL, VISIT, VOID_VISIT, list, text};
use crate::error::ConsoleError;
use crate::view::{self, alert, csrf_field, described_by, field_error};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::html;
use serde_json::{Value, json};

fn theme_label(themes: &[Value], code: &str) -> String {
    themes
        .iter()
        .find(|t| text(&t["code"]) == code)
        .map(|t| text(&t["label"]).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

pub(crate) async fn list_page(
    st: St,
    headers: HeaderMap,
    q: Query,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if !writes_journal(&s) {
        return Err(ConsoleError::NotFound);
    }
    let date = |k: &str| field(&q, k).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let from = date("du");
    let to = date("au");
    let site = field(&q, "site");
    let theme = field(&q, "theme");
    let partner = field(&q, "partenaire");
    let voided = field(&q, "annulees").is_some();
    let after = field(&q, "apres");
    // Every filter is an argument of the API's `visits`: one page of 50 visits,
    // newest first, and the link at the bottom continues after its last one.
    let vars = json!({
        "siteId": site,
        "from": from.map(|d| visit_form::from_local(d, chrono::NaiveTime::MIN).to_rfc3339()),
        "to": to.and_then(|d| d.succ_opt()).map(|d| visit_form::from_local(d, chrono::NaiveTime::MIN).to_rfc3339()),
        "includeVoided": voided,
        "theme": theme,
        "partnerId": partner,
        "after": after,
    });
    let data = st.run(&s, &JOURNAL, vars).await?;
    let chrome = st.chrome(&mut s, "/journal").await?;
    let themes = list(&data["requestThemes"]);
    let sites = list(&data["sites"]["nodes"]);
    let partners = list(&data["partnerOrganisations"]["nodes"]);
    let visits: Vec<Value> = list(&data["visits"]["edges"])
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let info = &data["visits"]["pageInfo"];
    let next_cursor = match info["hasNextPage"].as_bool() {
        Some(true) => info["endCursor"].as_str(),
        _ => None,
    };
    let next_link = next_cursor.map(|c| {
        let mut params: Vec<(&str, &str)> = Vec::new();
        for k in ["site", "du", "au", "theme", "partenaire", "annulees"] {
            if let Some(v) = field(&q, k) {
                params.push((k, v));
            }
        }
        params.push(("apres", c));
        format!(
            "/journal?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    });
    let opt = |v: &str, cur: Option<&str>| cur == Some(v);
    let body = html! {
        h1 { "Journal" }
        form.filters method="get" action="/journal" hx-get="/journal" hx-target="#resultats" hx-select="#resultats" hx-swap="outerHTML" hx-push-url="true" {
            fieldset.fieldset {
                legend { "Filtrer les visites" }
                div.grid {
                    div.field {
                        label for="f-site" { "Site" }
                        select id="f-site" name="site" {
                            option value="" { "Tous les sites" }
                            @for x in sites { option value=(text(&x["id"])) selected[opt(text(&x["id"]), site)] { (text(&x["name"])) } }
                        }
                    }
                    div.field { label for="f-du" { "Du" } input id="f-du" type="date" name="du" value=[from.map(|d| d.to_string())]; }
                    div.field { label for="f-au" { "Au" } input id="f-au" type="date" name="au" value=[to.map(|d| d.to_string())]; }
                    div.field {
                        label for="f-theme" { "Thème" }
                        select id="f-theme" name="theme" {
                            option value="" { "Tous les thèmes" }
                            @for t in themes { option value=(text(&t["code"])) selected[opt(text(&t["code"]), theme)] { (text(&t["label"])) } }
                        }
                    }
                    div.field {
                        label for="f-partner" { "Partenaire" }
                        select id="f-partner" name="partenaire" {
                            option value="" { "Tous les partenaires" }
                            @for p in partners { option value=(text(&p["id"])) selected[opt(text(&p["id"]), partner)] { (text(&p["name"])) } }
                        }
                    }
                    div.field.checkbox {
                        input id="f-voided" type="checkbox" name="annulees" value="1" checked[voided];
                        label for="f-voided" { "Inclure les visites annulées" }
                    }
                }
                button.btn type="submit" { "Filtrer" }
            }
        }
        div id="resultats" aria-live="polite" {
            @if visits.is_empty() {
                p { "Aucune visite ne correspond à ces filtres." }
            } @else {
                div.table-wrap {
                    table.table id="journal-table" {
                        caption { (visits.len()) " visite(s)" @if after.is_some() { " (suite du journal)" } }
                        thead { tr {
                            th scope="col" { "Date" } th scope="col" { "Site" } th scope="col" { "Médiateur" }
                            th scope="col" { "Demandes" } th scope="col" { "Durée" } th scope="col" { "État" } th scope="col" { span.visually-hidden { "Lien" } }
                        } }
                        tbody {
                            @for v in visits.iter() {
                                tr {
                                    td { (show_time(&v["occurredAt"])) }
                                    td { (text(&v["site"]["name"])) }
                                    td { (text(&v["mediator"]["user"]["displayName"])) }
                                    td { @for r in list(&v["requests"]) {
                                        span.tag { (theme_label(themes, text(&r["theme"]))) @if let Some(p) = r["partner"]["name"].as_str() { " · " (p) } }
                                    } }
                                    td { (v["durationMinutes"].as_i64().unwrap_or(0)) " min" }
                                    td { @if text(&v["status"]) == "VOIDED" { span.badge.badge-error { "Annulée" } } @else { span.badge { "Enregistrée" } } }
                                    td { a href={ "/journal/" (text(&v["id"])) } { "Ouvrir" span.visually-hidden { " la visite du " (show_time(&v["occurredAt"])) } } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = &next_link {
                p { a.btn.btn-secondary id="journal-next" href=(href) { "Visites plus anciennes" } }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Journal",
        &[("Accueil", "/"), ("Journal", "/journal")],
        body,
    )
    .into_response())
}

async fn load_visit(st: &Console, s: &Signed, id: &str) -> Result<Value, ConsoleError> {
    let data = st
        .run(s, &VISIT, json!({ "id": id }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    if text(&data["node"]["__typename"]) != "Visit" {
        return Err(ConsoleError::NotFound);
    }
    Ok(data)
}

pub(crate) async fn detail(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if !writes_journal(&s) {
        return Err(ConsoleError::NotFound);
    }
    let data = load_visit(&st, &s, &id).await?;
    let values = visit_form::values_of(&data["node"]);
    render_detail(&st, s, &data, values, Errors::new(), StatusCode::OK).await
}

async fn render_detail(
    st: &Console,
    mut s: Signed,
    data: &Value,
    values: Values,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let chrome = st.chrome(&mut s, "/journal").await?;
    let v = &data["node"];
    let id = text(&v["id"]);
    let themes = list(&data["requestThemes"]);
    let choices = Choices {
        sites: list(&data["sites"]["nodes"]),
        themes,
        partners: list(&data["partnerOrganisations"]["nodes"]),
    };
    let voided = text(&v["status"]) == "VOIDED";
    let title = format!("Visite du {}", show_time(&v["occurredAt"]));
    let reason_error = errors.get("reason");
    let body = html! {
        h1 { (title) }
        @if voided { (alert("warning", "Cette visite est annulée : elle ne compte plus dans les tableaux de bord.")) }
        dl.summary {
            div { dt { "Site" } dd { (text(&v["site"]["name"])) } }
            div { dt { "Médiateur" } dd { (text(&v["mediator"]["user"]["displayName"])) } }
            div { dt { "Canal" } dd { (text(&v["channelLabel"])) } }
            div { dt { "Durée" } dd { (v["durationMinutes"].as_i64().unwrap_or(0)) " min" } }
            div { dt { "Version" } dd { (v["revision"].as_i64().unwrap_or(1)) } }
        }
        h2 { "Demandes" }
        div.table-wrap {
            table.table {
                caption.visually-hidden { "Demandes de la visite" }
                thead { tr { th scope="col" { "Thème" } th scope="col" { "Partenaire" } th scope="col" { "Issue" } th scope="col" { "Acte de médiation" } } }
                tbody { @for r in list(&v["requests"]) { tr {
                    td { (theme_label(themes, text(&r["theme"]))) }
                    td { (r["partner"]["name"].as_str().unwrap_or("—")) }
                    td { (text(&r["outcomeLabel"])) }
                    td { @if r["mediationAct"].as_bool() == Some(true) { "Oui" } @else { "Non" } }
                } } }
            }
        }
        h2 id="historique" { "Historique" }
        @if list(&v["history"]).is_empty() {
            p { "Aucune correction depuis l'enregistrement." }
        } @else {
            div.table-wrap {
                table.table id="history" {
                    caption.visually-hidden { "Corrections de la visite" }
                    thead { tr { th scope="col" { "Date" } th scope="col" { "Correction" } th scope="col" { "Par" } th scope="col" { "Motif" } } }
                    tbody { @for h in list(&v["history"]) { tr {
                        td { (show_time(&h["changedAt"])) }
                        td { @if text(&h["action"]) == "voided" { "Annulation" } @else { "Modification (version " (h["revision"].as_i64().unwrap_or(0)) " remplacée)" } }
                        td { (text(&h["author"]["user"]["displayName"])) }
                        td { (h["reason"].as_str().unwrap_or("—")) }
                    } } }
                }
            }
        }
        @if !voided {
            section aria-labelledby="amend" {
                h2 id="amend" { "Modifier la visite" }
                @if !errors.is_empty() && reason_error.is_none() {
                    (alert("error", "Le formulaire contient des erreurs : elles sont indiquées sous les champs concernés."))
                }
                form.stack method="post" action={ "/journal/" (id) "/modifier" } novalidate {
                    (csrf_field(&chrome.csrf))
                    (visit_form::fields(&choices, &values, &errors))
                    div.field {
                        label for="amend-reason" { "Motif de la modification" span.hint { " (facultatif)" } }
                        input id="amend-reason" type="text" name="motif" value=[values.get("motif")];
                    }
                    button.btn type="submit" { "Enregistrer la modification" }
                }
            }
            section aria-labelledby="void" {
                h2 id="void" { "Annuler la visite" }
                p { "Une visite annulée reste dans l'historique ; elle ne compte plus." }
                form.stack method="post" action={ "/journal/" (id) "/annuler" } novalidate {
                    (csrf_field(&chrome.csrf))
                    div.field.field-invalid[reason_error.is_some()] {
                        label for="reason" { "Motif de l'annulation" span.hint { " (obligatoire, 3 caractères au moins)" } }
                        input id="reason" type="text" name="reason" required aria-invalid=[reason_error.map(|_| "true")] aria-describedby=[described_by("reason", reason_error)];
                        (field_error("reason", reason_error))
                    }
                    button.btn.btn-danger type="submit" { "Annuler la visite" }
                }
            }
        }
    };
    let mut r = view::page(
        &chrome,
        &title,
        &[("Accueil", "/"), ("Journal", "/journal"), (&title, "")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn amend(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let data = load_visit(&st, &s, &id).await?;
    let values: Values = form.0.clone();
    let fields = match visit_form::read(&form) {
        Ok(f) => f,
        Err(errors) => {
            return render_detail(
                &st,
                s,
                &data,
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let input = json!({ "visitId": id, "visit": fields, "reason": field(&form, "motif") });
    match st.run(&s, &AMEND_VISIT, json!({ "input": input })).await {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Visite modifiée : l'état précédent est dans l'historique.".into(),
            )
            .await?;
            Ok(see_other(&format!("/journal/{id}")))
        }
        Err(e) => match visit_form::place(e) {
            Ok(errors) => {
                render_detail(
                    &st,
                    s,
                    &data,
                    values,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(e),
        },
    }
}

pub(crate) async fn void(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let data = load_visit(&st, &s, &id).await?;
    let reason = field(&form, "reason").unwrap_or("");
    let input = json!({ "visitId": id, "reason": reason });
    match st.run(&s, &VOID_VISIT, json!({ "input": input })).await {
        Ok(_) => {
            st.flash(&mut s, "success", "Visite annulée.".into())
                .await?;
            Ok(see_other(&format!("/journal/{id}")))
        }
        Err(e) => match visit_form::place(e) {
            Ok(errors) => {
                let values = visit_form::values_of(&data["node"]);
                render_detail(
                    &st,
                    s,
                    &data,
                    values,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(e),
        },
    }
}
