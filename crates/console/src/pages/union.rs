//! The union's pages: the network's associations (create with their first
//! director invited, suspend, reactivate, invite a director into one that exists:
//! admins only) and the network dashboard by region or association (aggregates
//! only).

use super::{Form, Query, Signed, St, field, see_other};
use crate::Console;
use crate::api::{
    CREATE_TENANT, INVITE_DIRECTOR, NETWORK_DASHBOARD, REACTIVATE_TENANT, SUSPEND_TENANT, TENANT,
    TENANTS, list, text,
};
use crate::error::ConsoleError;
use crate::messages;
use crate::view::{self, alert, bar_chart, csrf_field};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate, Utc};
use maud::html;
use serde_json::json;
use std::collections::HashMap;

fn union(s: &Signed) -> Result<(), ConsoleError> {
    if s.session.data.act_as.as_deref() == Some("union") {
        Ok(())
    } else {
        Err(ConsoleError::NotFound)
    }
}

fn admin(s: &Signed) -> bool {
    s.session.data.role.as_deref() == Some("ADMIN")
}

async fn render(
    st: &Console,
    mut s: Signed,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, ConsoleError> {
    let data = st.run(&s, &TENANTS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/associations").await?;
    let is_admin = admin(&s);
    let rows = list(&data["tenants"]["nodes"]);
    let err = |k: &str| errors.get(k);
    let body = html! {
        h1 { "Associations du réseau" }
        div.table-wrap {
            table.table id="tenants" {
                caption { (rows.len()) " associations" }
                thead { tr {
                    th scope="col" { "Association" } th scope="col" { "Identifiant court" } th scope="col" { "État" }
                    @if is_admin { th scope="col" { "Action" } }
                } }
                tbody { @for t in rows { tr {
                    td { a href={ "/associations/" (text(&t["id"])) } { (text(&t["name"])) } }
                    td { code { (text(&t["slug"])) } }
                    td {
                        @if text(&t["status"]) == "SUSPENDED" {
                            span.badge.badge-error { "Suspendue" }
                            @if let Some(r) = t["suspendedReason"].as_str() { br; span.muted { (r) } }
                        } @else { span.badge { "Active" } }
                    }
                    @if is_admin { td {
                        @if text(&t["status"]) == "SUSPENDED" {
                            form method="post" action={ "/associations/" (text(&t["id"])) "/reactiver" } {
                                (csrf_field(&chrome.csrf))
                                button.btn.btn-secondary type="submit" { "Réactiver" span.visually-hidden { " " (text(&t["name"])) } }
                            }
                        } @else {
                            form.inline-form method="post" action={ "/associations/" (text(&t["id"])) "/suspendre" } {
                                (csrf_field(&chrome.csrf))
                                div.field {
                                    label for={ "reason-" (text(&t["slug"])) } { "Motif de suspension" span.visually-hidden { " de " (text(&t["name"])) } }
                                    input type="text" id={ "reason-" (text(&t["slug"])) } name="reason" required;
                                }
                                button.btn.btn-danger type="submit" { "Suspendre" span.visually-hidden { " " (text(&t["name"])) } }
                            }
                        }
                    } }
                } } }
            }
        }
        @if is_admin {
            section aria-labelledby="new-tenant" {
                h2 id="new-tenant" { "Créer une association" }
                p { "Sa première directrice ou son premier directeur est invité par courriel ; l'invitation vaut compte à la première connexion." }
                @if !errors.is_empty() { (alert("error", "Le formulaire contient des erreurs : elles sont indiquées sous les champs concernés.")) }
                form.stack method="post" action="/associations" novalidate {
                    (csrf_field(&chrome.csrf))
                    div.grid {
                        @for (id, label, kind, hint) in [
                            ("name", "Nom", "text", " (par exemple « PIMMS de Nîmes »)"),
                            ("slug", "Identifiant court", "text", " (minuscules, chiffres et tirets)"),
                            ("firstDirectorEmail", "Courriel de la direction", "email", ""),
                        ] {
                            div.field.field-invalid[err(id).is_some()] {
                                label for=(id) { (label) span.hint { (hint) } }
                                input id=(id) name=(id) type=(kind) value=[values.get(id)] required
                                    aria-invalid=[err(id).map(|_| "true")] aria-describedby=[view::described_by(id, err(id))];
                                (view::field_error(id, err(id)))
                            }
                        }
                    }
                    button.btn type="submit" { "Créer l'association" }
                }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = view::page(
        &chrome,
        "Associations",
        &[("Accueil", "/"), ("Associations", "/associations")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn tenants(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    union(&s)?;
    render(&st, s, HashMap::new(), HashMap::new()).await
}

pub(crate) async fn create(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    union(&s)?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let input = json!({
        "name": field(&form, "name").unwrap_or(""),
        "slug": field(&form, "slug").unwrap_or(""),
        "firstDirectorEmail": field(&form, "firstDirectorEmail").unwrap_or(""),
    });
    match st.run(&s, &CREATE_TENANT, json!({ "input": input })).await {
        Ok(d) => {
            let p = &d["createTenant"];
            let msg = format!(
                "Association « {} » créée ; la direction est invitée ({}).",
                text(&p["tenant"]["name"]),
                text(&p["invitation"]["email"])
            );
            st.flash(&mut s, "success", msg).await?;
            Ok(see_other("/associations"))
        }
        Err(ConsoleError::Api(f)) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT") => {
            let key = match f.field.as_deref() {
                Some(k @ ("name" | "slug" | "firstDirectorEmail")) => k.to_owned(),
                _ => "slug".to_owned(),
            };
            let text = match f.reason.as_deref() {
                _ if f.code == "CONFLICT" => messages::conflict(&f),
                Some(r) => {
                    let r = messages::reason(r);
                    let mut c = r.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or(r)
                }
                None => messages::api_error(&f),
            };
            render(&st, s, form.0.clone(), HashMap::from([(key, text)])).await
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn suspend(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    union(&s)?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let input = json!({ "tenantId": id, "reason": field(&form, "reason").unwrap_or("") });
    match st.run(&s, &SUSPEND_TENANT, json!({ "input": input })).await {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Association suspendue : ses membres ne peuvent plus y travailler.".into(),
            )
            .await?;
        }
        Err(ConsoleError::Api(f)) if f.code == "VALIDATION" => {
            st.flash(&mut s, "error", messages::api_error(&f)).await?;
        }
        Err(e) => return Err(e),
    }
    Ok(see_other("/associations"))
}

pub(crate) async fn reactivate(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    union(&s)?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    st.run(
        &s,
        &REACTIVATE_TENANT,
        json!({ "input": { "tenantId": id } }),
    )
    .await?;
    st.flash(&mut s, "success", "Association réactivée.".into())
        .await?;
    Ok(see_other("/associations"))
}

/// One association: its state and, for admins, the director invitations they sent
/// and the form inviting a new director (when its director left, say).
async fn render_tenant(
    st: &Console,
    mut s: Signed,
    id: &str,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, ConsoleError> {
    let is_admin = admin(&s);
    let data = st
        .run(&s, &TENANT, json!({ "id": id, "admin": is_admin }))
        .await
        .map_err(ConsoleError::missing_if_unknown)?;
    let t = &data["node"];
    if text(&t["__typename"]) != "Tenant" {
        return Err(ConsoleError::NotFound);
    }
    let chrome = st.chrome(&mut s, "/associations").await?;
    let suspended = text(&t["status"]) == "SUSPENDED";
    let invitations = list(&t["directorInvitations"]["nodes"]);
    let err = |k: &str| errors.get(k);
    let name = text(&t["name"]).to_owned();
    let body = html! {
        h1 { (name) }
        dl.summary {
            div { dt { "Identifiant court" } dd { code { (text(&t["slug"])) } } }
            div { dt { "État" } dd {
                @if suspended {
                    span.badge.badge-error { "Suspendue" }
                    @if let Some(r) = t["suspendedReason"].as_str() { " " span.muted { (r) } }
                } @else { span.badge { "Active" } }
            } }
            div { dt { "Créée le" } dd { (super::visit_form::show_time(&t["createdAt"])) } }
        }
        @if is_admin {
            section aria-labelledby="director-invitations" {
                h2 id="director-invitations" { "Invitations de direction en attente" }
                p.muted { "Celles que vous avez envoyées ; chacune vaut compte, avec le rôle de direction, à la première connexion." }
                @if invitations.is_empty() { p { "Aucune invitation en attente." } } @else {
                    div.table-wrap {
                        table.table id="director-invitations-table" {
                            caption.visually-hidden { "Invitations de direction en attente" }
                            thead { tr { th scope="col" { "Adresse électronique" } th scope="col" { "Envoyée le" } th scope="col" { "Expire le" } } }
                            tbody { @for i in invitations.iter() { tr {
                                td { (text(&i["email"])) }
                                td { (super::visit_form::show_time(&i["createdAt"])) }
                                td { (super::visit_form::show_time(&i["expiresAt"])) }
                            } } }
                        }
                    }
                }
            }
            section aria-labelledby="invite-director" {
                h2 id="invite-director" { "Inviter un directeur ou une directrice" }
                @if suspended {
                    p { "L'association est suspendue : réactivez-la depuis la liste des associations avant d'inviter une direction." }
                } @else {
                    p { "La personne invitée devient directrice ou directeur de l'association à sa première connexion ; si elle en est déjà membre, son rôle devient celui de direction." }
                    @if let Some(e) = err("form") { (alert("error", e)) }
                    form.stack method="post" action={ "/associations/" (text(&t["id"])) "/direction" } novalidate {
                        (csrf_field(&chrome.csrf))
                        div.field.field-invalid[err("email").is_some()] {
                            label for="director-email" { "Adresse électronique" }
                            input id="director-email" name="email" type="email" value=[values.get("email")] required autocomplete="off"
                                aria-invalid=[err("email").map(|_| "true")] aria-describedby=[view::described_by("director-email", err("email"))];
                            (view::field_error("director-email", err("email")))
                        }
                        button.btn type="submit" { "Envoyer l'invitation" }
                    }
                }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let here = format!("/associations/{}", text(&t["id"]));
    let mut r = view::page(
        &chrome,
        &name,
        &[
            ("Accueil", "/"),
            ("Associations", "/associations"),
            (&name, &here),
        ],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn tenant(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    union(&s)?;
    render_tenant(&st, s, &id, HashMap::new(), HashMap::new()).await
}

pub(crate) async fn invite_director(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    union(&s)?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let input = json!({ "tenantId": id, "email": field(&form, "email").unwrap_or("") });
    match st
        .run(&s, &INVITE_DIRECTOR, json!({ "input": input }))
        .await
    {
        Ok(d) => {
            let i = &d["inviteDirector"]["invitation"];
            let msg = format!(
                "Invitation envoyée à {} : elle vaut compte, avec le rôle de direction, à la première connexion (jusqu'au {}).",
                text(&i["email"]),
                super::visit_form::show_time(&i["expiresAt"])
            );
            st.flash(&mut s, "success", msg).await?;
            Ok(see_other(&format!("/associations/{id}")))
        }
        // The address: next to its field; the association (suspended meanwhile):
        // above the form.
        Err(ConsoleError::Api(f)) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT") => {
            let on_email = f.field.as_deref().is_none_or(|k| k == "email");
            let text = if f.code == "CONFLICT" {
                messages::conflict(&f)
            } else if on_email {
                let r = messages::reason(f.reason.as_deref().unwrap_or(""));
                let mut c = r.chars();
                c.next()
                    .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or(r)
            } else {
                messages::api_error(&f)
            };
            let key = if on_email { "email" } else { "form" };
            if f.field.as_deref() == Some("tenantId") && f.code == "VALIDATION" {
                return Err(ConsoleError::NotFound);
            }
            render_tenant(
                &st,
                s,
                &id,
                form.0.clone(),
                HashMap::from([(key.to_owned(), text)]),
            )
            .await
        }
        Err(e) => Err(match e.api_code() {
            Some("NOT_FOUND") => ConsoleError::NotFound,
            _ => e,
        }),
    }
}

pub(crate) async fn network(
    st: St,
    headers: HeaderMap,
    q: Query,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    union(&s)?;
    let today = Utc::now().date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let to = month_start.pred_opt().unwrap_or(today);
    let from = month_start
        .checked_sub_months(Months::new(12))
        .unwrap_or(month_start);
    let date = |k: &str| field(&q, k).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let (from, to) = (date("du").unwrap_or(from), date("au").unwrap_or(to));
    let by = if field(&q, "par") == Some("TENANT") {
        "TENANT"
    } else {
        "REGION"
    };
    let data = st
        .run(&s, &NETWORK_DASHBOARD, json!({ "input": {
            "from": from.to_string(), "to": to.to_string(), "granularity": "MONTH", "dimension": by,
        }}))
        .await?;
    let chrome = st.chrome(&mut s, "/reseau").await?;
    let d = &data["networkDashboard"];
    let mut bars: Vec<(String, i64, i64)> = Vec::new();
    for r in list(&d["rows"]) {
        let label = text(&r["label"]).to_owned();
        let (a, b) = (
            r["counts"]["people"].as_i64().unwrap_or(0),
            r["lastYear"]["people"].as_i64().unwrap_or(0),
        );
        match bars.iter_mut().find(|(l, _, _)| *l == label) {
            Some(x) => {
                x.1 += a;
                x.2 += b;
            }
            None => bars.push((label, a, b)),
        }
    }
    bars.sort_by_key(|b| std::cmp::Reverse(b.1));
    let body = html! {
        h1 { "Tableau de bord du réseau" }
        form.filters method="get" action="/reseau" {
            fieldset.fieldset {
                legend { "Période et répartition" }
                div.grid {
                    div.field { label for="n-du" { "Du" } input id="n-du" type="date" name="du" value=(from.to_string()); }
                    div.field { label for="n-au" { "Au" } input id="n-au" type="date" name="au" value=(to.to_string()); }
                    div.field {
                        label for="n-par" { "Répartition" }
                        select id="n-par" name="par" {
                            option value="REGION" selected[by == "REGION"] { "Par région" }
                            option value="TENANT" selected[by == "TENANT"] { "Par association" }
                        }
                    }
                }
                button.btn type="submit" { "Afficher" }
            }
        }
        ul.kpis {
            li { span.kpi-value { (super::dashboard::num(&d["totals"]["people"])) } span.kpi-label { "personnes reçues" } span.kpi-last { "l'an dernier : " (super::dashboard::num(&d["lastYearTotals"]["people"])) } }
            li { span.kpi-value { (super::dashboard::num(&d["totals"]["requests"])) } span.kpi-label { "demandes" } span.kpi-last { "l'an dernier : " (super::dashboard::num(&d["lastYearTotals"]["requests"])) } }
            li { span.kpi-value { (super::dashboard::num(&d["totals"]["mediationActs"])) } span.kpi-label { "actes de médiation" } span.kpi-last { "l'an dernier : " (super::dashboard::num(&d["lastYearTotals"]["mediationActs"])) } }
        }
        h2 { "Personnes reçues " @if by == "TENANT" { "par association" } @else { "par région" } }
        div.layout-2 {
            (bar_chart("Personnes reçues", &bars))
            div.table-wrap {
                table.table id="network-table" {
                    caption { "Données du graphique" }
                    thead { tr { th scope="col" { @if by == "TENANT" { "Association" } @else { "Région" } } th scope="col" { "Sur la période" } th scope="col" { "Même période l'an dernier" } } }
                    tbody { @for (l, a, b) in &bars { tr { th scope="row" { (l) } td { (super::dashboard::num(&json!(a))) } td { (super::dashboard::num(&json!(b))) } } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Tableau de bord du réseau",
        &[("Accueil", "/"), ("Réseau", "/reseau")],
        body,
    )
    .into_response())
}
