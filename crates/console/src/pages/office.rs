//! The association's office: its sites (hours, closures, labels, permanences;
//! closures recorded by directors and coordinators) and its members and
//! invitations (invitations sent and withdrawn by directors).

use super::{Form, Signed, St, field, see_other};
use crate::Console;
use crate::api::{ADD_SITE_CLOSURE, INVITE_MEMBER, MEMBERS, REVOKE_INVITATION, SITES, list, text};
use crate::error::ConsoleError;
use crate::messages;
use crate::view::{self, alert, csrf_field, described_by, field_error};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value, json};
use std::collections::HashMap;

const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

fn role(s: &Signed) -> Option<&str> {
    (s.session.data.act_as.as_deref() == Some("association"))
        .then_some(s.session.data.role.as_deref())
        .flatten()
}

fn date(v: &Value) -> String {
    chrono::NaiveDate::parse_from_str(text(v), "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn hhmm(v: &Value) -> &str {
    text(v).get(..5).unwrap_or("")
}

fn slot(h: &Value) -> String {
    let day = h["weekday"]
        .as_i64()
        .and_then(|d| usize::try_from(d - 1).ok())
        .and_then(|d| WEEKDAYS.get(d))
        .copied()
        .unwrap_or("");
    let mut out = format!("{day} {}–{}", hhmm(&h["opens"]), hhmm(&h["closes"]));
    match (h["everyNWeeks"].as_i64(), h["weekOfMonth"].as_i64()) {
        (_, Some(5)) => out.push_str(" (dernière semaine du mois)"),
        (_, Some(n)) => out.push_str(&format!(" ({n}e semaine du mois)")),
        (Some(2), None) => out.push_str(" (une semaine sur deux)"),
        (Some(n), None) if n > 2 => out.push_str(&format!(" (une semaine sur {n})")),
        _ => {}
    }
    out
}

fn kind(k: &str) -> &'static str {
    match k {
        "PERMANENCE" => "Permanence",
        "MOBILE" => "Unité mobile",
        _ => "Point d'accueil",
    }
}

async fn render_sites(
    st: &Console,
    mut s: Signed,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, ConsoleError> {
    let data = st.run(&s, &SITES, json!({})).await?;
    let chrome = st.chrome(&mut s, "/sites").await?;
    let manage = matches!(role(&s), Some("DIRECTOR" | "COORDINATOR"));
    let sites = list(&data["sites"]["nodes"]);
    let err = |k: &str| errors.get(k);
    let body = html! {
        h1 { "Sites" }
        @for x in sites {
            section.card aria-labelledby={ "site-" (text(&x["id"])) } {
                h2 id={ "site-" (text(&x["id"])) } { (text(&x["name"])) }
                p.muted {
                    (kind(text(&x["kind"])))
                    @if let Some(p) = x["parentSite"]["name"].as_str() { " rattachée à " (p) }
                    @if let Some(h) = x["hostPlace"].as_str() { ", " (h) }
                    " · " (x["address"]["street"].as_str().unwrap_or("")) " " (text(&x["address"]["postcode"])) " " (text(&x["address"]["city"]))
                    @if let Some(q) = x["qpvCode"].as_str() { " · quartier prioritaire " (q) }
                    @if x["isOpen"].as_bool() == Some(false) { " · fermé depuis le " (date(&x["closedOn"])) }
                }
                div.grid {
                    div {
                        h3 { "Horaires" }
                        @if list(&x["openingHours"]).is_empty() { p { "Non renseignés." } }
                        ul { @for h in list(&x["openingHours"]) { li { (slot(h)) } } }
                    }
                    div {
                        h3 { "Fermetures exceptionnelles" }
                        @if list(&x["closures"]).is_empty() { p { "Aucune." } }
                        ul { @for c in list(&x["closures"]) { li { (date(&c["startsOn"])) " – " (date(&c["endsOn"])) " : " (text(&c["reason"])) } } }
                    }
                    div {
                        h3 { "Labels" }
                        @if list(&x["labels"]).is_empty() { p { "Aucun." } }
                        ul { @for l in list(&x["labels"]) { li {
                            (text(&l["label"])) " (depuis le " (date(&l["grantedOn"])) @if l["expiresOn"].is_string() { ", jusqu'au " (date(&l["expiresOn"])) } ")"
                            @if l["current"].as_bool() != Some(true) { " — échu" }
                        } } }
                    }
                    div {
                        h3 { "Services" }
                        ul { @for v in list(&x["services"]) { li { (text(&v["label"])) } } }
                    }
                }
            }
        }
        @if manage {
            section aria-labelledby="closure" {
                h2 id="closure" { "Déclarer une fermeture exceptionnelle" }
                @if !errors.is_empty() { (alert("error", "Le formulaire contient des erreurs : elles sont indiquées sous les champs concernés.")) }
                form.stack method="post" action="/sites/fermetures" novalidate {
                    (csrf_field(&chrome.csrf))
                    div.grid {
                        div.field.field-invalid[err("siteId").is_some()] {
                            label for="siteId" { "Site" }
                            select id="siteId" name="siteId" aria-describedby=[described_by("siteId", err("siteId"))] {
                                @for x in sites { option value=(text(&x["id"])) selected[values.get("siteId").map(String::as_str) == Some(text(&x["id"]))] { (text(&x["name"])) } }
                            }
                            (field_error("siteId", err("siteId")))
                        }
                        @for (id, label, kind) in [("startsOn", "Du", "date"), ("endsOn", "Au", "date"), ("reason", "Motif", "text")] {
                            div.field.field-invalid[err(id).is_some()] {
                                label for=(id) { (label) }
                                input id=(id) name=(id) type=(kind) value=[values.get(id)] required
                                    aria-invalid=[err(id).map(|_| "true")] aria-describedby=[described_by(id, err(id))];
                                (field_error(id, err(id)))
                            }
                        }
                    }
                    button.btn type="submit" { "Déclarer la fermeture" }
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
        "Sites",
        &[("Accueil", "/"), ("Sites", "/sites")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn sites(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if role(&s).is_none() {
        return Err(ConsoleError::NotFound);
    }
    render_sites(&st, s, HashMap::new(), HashMap::new()).await
}

/// A French message for an API validation error, under the field it names.
fn field_errors(
    f: &crate::error::ApiFailure,
    fields: &[&str],
    fallback: &str,
) -> HashMap<String, String> {
    let key = f
        .field
        .as_deref()
        .filter(|k| fields.contains(k))
        .unwrap_or(fallback)
        .to_owned();
    if f.code == "CONFLICT" {
        return HashMap::from([(fallback.to_owned(), messages::conflict(f))]);
    }
    let r = messages::reason(f.reason.as_deref().unwrap_or(""));
    let mut c = r.chars();
    let text = c
        .next()
        .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or(r);
    HashMap::from([(key, text)])
}

pub(crate) async fn add_closure(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let mut errors = HashMap::new();
    for k in ["startsOn", "endsOn", "reason"] {
        if field(&form, k).is_none() {
            errors.insert(k.to_owned(), "Obligatoire.".to_owned());
        }
    }
    if !errors.is_empty() {
        return render_sites(&st, s, form.0.clone(), errors).await;
    }
    let input = json!({
        "siteId": field(&form, "siteId"),
        "startsOn": field(&form, "startsOn"),
        "endsOn": field(&form, "endsOn"),
        "reason": field(&form, "reason"),
    });
    match st
        .run(&s, &ADD_SITE_CLOSURE, json!({ "input": input }))
        .await
    {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Fermeture déclarée : les visites enregistrées pendant celle-ci seront signalées."
                    .into(),
            )
            .await?;
            Ok(see_other("/sites"))
        }
        Err(ConsoleError::Api(f)) if f.code == "VALIDATION" => {
            let errors = field_errors(&f, &["siteId", "startsOn", "endsOn", "reason"], "reason");
            render_sites(&st, s, form.0.clone(), errors).await
        }
        Err(e) => Err(e),
    }
}

const ROLES: &[(&str, &str)] = &[
    ("MEDIATOR", "Médiation"),
    ("COORDINATOR", "Coordination"),
    ("DIRECTOR", "Direction"),
    ("VIEWER", "Administration (lecture seule)"),
];

async fn render_members(
    st: &Console,
    mut s: Signed,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, ConsoleError> {
    let data = st.run(&s, &MEMBERS, json!({})).await?;
    let chrome = st.chrome(&mut s, "/membres").await?;
    let director = role(&s) == Some("DIRECTOR");
    let t = &data["viewer"]["activeTenant"];
    let invitations = list(&t["invitations"]["nodes"]);
    let err = |k: &str| errors.get(k);
    let body = html! {
        h1 { "Membres et invitations" }
        div.table-wrap {
            table.table id="members" {
                caption { "Membres de " (text(&t["name"])) }
                thead { tr { th scope="col" { "Nom" } th scope="col" { "Adresse électronique" } th scope="col" { "Rôle" } th scope="col" { "État" } } }
                tbody { @for m in list(&t["members"]["nodes"]) { tr {
                    td { (text(&m["user"]["displayName"])) }
                    td { (text(&m["user"]["email"])) }
                    td { (text(&m["roleLabel"])) }
                    td { @if text(&m["status"]) == "ACTIVE" { "Actif" } @else { "Désactivé" } }
                } } }
            }
        }
        h2 { "Invitations en attente" }
        @if invitations.is_empty() { p { "Aucune invitation en attente." } } @else {
            div.table-wrap {
                table.table id="invitations" {
                    caption.visually-hidden { "Invitations en attente" }
                    thead { tr { th scope="col" { "Adresse électronique" } th scope="col" { "Rôle" } th scope="col" { "Expire le" } @if director { th scope="col" { "Action" } } } }
                    tbody { @for i in invitations { tr {
                        td { (text(&i["email"])) }
                        td { (ROLES.iter().find(|(c, _)| *c == text(&i["role"])).map(|(_, l)| *l).unwrap_or("")) }
                        td { (super::visit_form::show_time(&i["expiresAt"])) }
                        @if director { td {
                            form method="post" action={ "/membres/invitations/" (text(&i["id"])) "/retirer" } {
                                (csrf_field(&chrome.csrf))
                                button.btn.btn-secondary type="submit" { "Retirer" span.visually-hidden { " l'invitation de " (text(&i["email"])) } }
                            }
                        } }
                    } } }
                }
            }
        }
        @if director {
            section aria-labelledby="invite" {
                h2 id="invite" { "Inviter une personne" }
                form.stack method="post" action="/membres/invitations" novalidate {
                    (csrf_field(&chrome.csrf))
                    div.grid {
                        div.field.field-invalid[err("email").is_some()] {
                            label for="email" { "Adresse électronique" }
                            input id="email" name="email" type="email" value=[values.get("email")] required autocomplete="off"
                                aria-invalid=[err("email").map(|_| "true")] aria-describedby=[described_by("email", err("email"))];
                            (field_error("email", err("email")))
                        }
                        div.field {
                            label for="role" { "Rôle" }
                            select id="role" name="role" {
                                @for (c, l) in ROLES { option value=(c) selected[values.get("role").map(String::as_str) == Some(*c)] { (l) } }
                            }
                        }
                    }
                    button.btn type="submit" { "Envoyer l'invitation" }
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
        "Membres",
        &[("Accueil", "/"), ("Membres", "/membres")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn members(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    if !matches!(role(&s), Some("DIRECTOR" | "COORDINATOR")) {
        return Err(ConsoleError::NotFound);
    }
    render_members(&st, s, HashMap::new(), HashMap::new()).await
}

pub(crate) async fn invite(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let input = json!({
        "email": field(&form, "email").unwrap_or(""),
        "role": field(&form, "role").unwrap_or("MEDIATOR"),
    });
    match st.run(&s, &INVITE_MEMBER, json!({ "input": input })).await {
        Ok(_) => {
            st.flash(
                &mut s,
                "success",
                "Invitation envoyée : elle vaut compte à la première connexion.".into(),
            )
            .await?;
            Ok(see_other("/membres"))
        }
        Err(ConsoleError::Api(f)) if matches!(f.code.as_str(), "VALIDATION" | "CONFLICT") => {
            let errors = field_errors(&f, &["email"], "email");
            render_members(&st, s, form.0.clone(), errors).await
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn revoke(
    st: St,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    st.run(
        &s,
        &REVOKE_INVITATION,
        json!({ "input": { "invitationId": id } }),
    )
    .await
    .map_err(ConsoleError::missing_if_unknown)?;
    st.flash(&mut s, "success", "Invitation retirée.".into())
        .await?;
    Ok(see_other("/membres"))
}
