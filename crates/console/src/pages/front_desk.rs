//! The front desk: record a visit with its requests in one form, and today's
//! visits at the site. The form carries its client key, so a double submission
//! records once (the API replays the first).

use super::visit_form::{self, Choices, Errors, Values};
use super::{Form, Signed, St, field, see_other, writes_journal};
use crate::Console;
use crate::api::{FRONT_DESK, RECORD_VISIT, list, text};
use crate::error::ConsoleError;
use crate::session;
use crate::view::{self, alert, csrf_field};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value, json};

pub(crate) async fn page(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if !writes_journal(&s) {
        return Err(ConsoleError::NotFound);
    }
    // A new session starts at the site this browser last recorded at.
    if s.session.data.site.is_none()
        && let Some(site) = session::named_cookie(&headers, session::SITE_COOKIE, 200)
    {
        s.session.data.site = Some((site, String::new()));
    }
    let site = s.session.data.site.as_ref().map(|(id, _)| id.clone());
    render(
        &st,
        s,
        visit_form::defaults(site.as_deref()),
        Errors::new(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    st: &Console,
    mut s: Signed,
    values: Values,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut site = s.session.data.site.as_ref().map(|(id, _)| id.clone());
    let data = st
        .run(
            &s,
            &FRONT_DESK,
            json!({ "from": visit_form::today_start().to_rfc3339(), "siteId": site }),
        )
        .await;
    // A remembered site that is not (or no longer) one of the person's is forgotten.
    let data = match data {
        Err(e) if site.is_some() && e.api_code() == Some("VALIDATION") => {
            site = None;
            s.session.data.site = None;
            st.run(
                &s,
                &FRONT_DESK,
                json!({ "from": visit_form::today_start().to_rfc3339() }),
            )
            .await?
        }
        other => other?,
    };
    if let Some((id, name)) = &mut s.session.data.site {
        match list(&data["sites"]["nodes"])
            .iter()
            .find(|x| text(&x["id"]) == id.as_str())
        {
            Some(x) if name.is_empty() => {
                *name = text(&x["name"]).to_owned();
                st.sessions.save(&s.session).await?;
            }
            Some(_) => {}
            None => {
                s.session.data.site = None;
                site = None;
                st.sessions.save(&s.session).await?;
            }
        }
    }
    let chrome = st.chrome(&mut s, "/accueil").await?;
    let choices = Choices {
        sites: list(&data["sites"]["nodes"]),
        themes: list(&data["requestThemes"]),
        partners: list(&data["partnerOrganisations"]["nodes"]),
    };
    let theme_label = |code: &str| {
        choices
            .themes
            .iter()
            .find(|t| text(&t["code"]) == code)
            .map(|t| text(&t["label"]).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let today = list(&data["visits"]["nodes"]);
    let client_key = uuid::Uuid::now_v7().to_string();
    let body = html! {
        h1 { "Accueil du public" }
        div.layout-2 {
            section aria-labelledby="record" {
                h2 id="record" { "Enregistrer une visite" }
                @if !errors.is_empty() {
                    (alert("error", "Le formulaire contient des erreurs : elles sont indiquées sous les champs concernés."))
                }
                form.stack method="post" action="/accueil" novalidate {
                    (csrf_field(&chrome.csrf))
                    // Chosen when the form is shown: sent twice (a double click, a
                    // retry), it records once.
                    input type="hidden" name="clientKey" value=(values.get("clientKey").cloned().unwrap_or(client_key));
                    (visit_form::fields(&choices, &values, &errors))
                    button.btn id="record-submit" type="submit" { "Enregistrer la visite" }
                }
            }
            aside aria-labelledby="site-title" {
                h2 id="site-title" { "Mon site" }
                form.stack method="post" action="/accueil/site" {
                    (csrf_field(&chrome.csrf))
                    div.field {
                        label for="remember-site" { "Site d'accueil" }
                        select id="remember-site" name="site" {
                            @for site_v in choices.sites {
                                option value=(text(&site_v["id"])) selected[Some(text(&site_v["id"])) == site.as_deref()] { (text(&site_v["name"])) }
                            }
                        }
                    }
                    button.btn.btn-secondary type="submit" { "Retenir ce site" }
                }
            }
        }
        section aria-labelledby="today" {
            h2 id="today" { "Visites d'aujourd'hui" @if let Some(n) = &chrome.site { " — " (n) } }
            @if today.is_empty() {
                p { "Aucune visite enregistrée aujourd'hui." }
            } @else {
                div.table-wrap {
                    table.table id="today-visits" {
                        caption { (today.len()) " visite(s) aujourd'hui" }
                        thead { tr {
                            th scope="col" { "Heure" } th scope="col" { "Site" } th scope="col" { "Canal" }
                            th scope="col" { "Durée" } th scope="col" { "Demandes" } th scope="col" { span.visually-hidden { "Lien" } }
                        } }
                        tbody {
                            @for v in today {
                                tr {
                                    td { (visit_form::show_time(&v["occurredAt"])) }
                                    td { (text(&v["site"]["name"])) }
                                    td { (text(&v["channelLabel"])) }
                                    td { (v["durationMinutes"].as_i64().unwrap_or(0)) " min" }
                                    td { @for r in list(&v["requests"]) {
                                        span.tag { (theme_label(text(&r["theme"]))) @if let Some(p) = r["partner"]["name"].as_str() { " · " (p) } }
                                    } }
                                    td { a href={ "/journal/" (text(&v["id"])) } { "Ouvrir" span.visually-hidden { " la visite de " (visit_form::show_time(&v["occurredAt"])) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut r = view::page(
        &chrome,
        "Accueil du public",
        &[("Accueil du public", "/accueil")],
        body,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

pub(crate) async fn record(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let values: Values = form.0.clone();
    let fields = match visit_form::read(&form) {
        Ok(f) => f,
        Err(errors) => {
            return render(&st, s, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let input = json!({
        "clientKey": field(&form, "clientKey").unwrap_or(""),
        "visit": fields,
    });
    let result = st.run(&s, &RECORD_VISIT, json!({ "input": input })).await;
    match result {
        Ok(data) => {
            let p = &data["recordVisit"];
            let mut text_msg = if p["replayed"].as_bool() == Some(true) {
                "Cette visite était déjà enregistrée : elle ne l'a pas été une seconde fois."
                    .to_owned()
            } else {
                "Visite enregistrée.".to_owned()
            };
            for w in list(&p["warnings"]) {
                text_msg.push(' ');
                text_msg.push_str(text(&w["message"]));
            }
            // The site just used is remembered for the next visit.
            let site = &p["visit"]["site"];
            remember(&mut s, text(&site["id"]), &site["name"]);
            st.flash(&mut s, "success", text_msg).await?;
            let mut r = see_other("/accueil");
            if let Some(c) = session::site_cookie(text(&site["id"]), st.settings.production) {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(r)
        }
        Err(e) => match visit_form::place(e) {
            Ok(errors) => render(&st, s, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => Err(e),
        },
    }
}

fn remember(s: &mut Signed, site: &str, name: &Value) {
    let keep_name = s
        .session
        .data
        .site
        .as_ref()
        .filter(|(id, _)| id == site)
        .map(|(_, n)| n.clone());
    let name = name
        .as_str()
        .map(str::to_owned)
        .or(keep_name)
        .unwrap_or_default();
    s.session.data.site = Some((site.to_owned(), name));
}

/// Remembers the site for the session (shown in the header, the front desk's default).
pub(crate) async fn pick_site(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    st.check_csrf(&s.session, form.get("_csrf"))?;
    let wanted = field(&form, "site").unwrap_or("");
    // Only a site the API gives this person can be remembered, with its name.
    let data = st
        .run(
            &s,
            &FRONT_DESK,
            json!({ "from": visit_form::today_start().to_rfc3339() }),
        )
        .await?;
    let site = list(&data["sites"]["nodes"])
        .iter()
        .find(|x| text(&x["id"]) == wanted)
        .ok_or(ConsoleError::NotFound)?;
    remember(&mut s, wanted, &site["name"]);
    let name = text(&site["name"]).to_owned();
    st.flash(&mut s, "success", format!("Site retenu : {name}."))
        .await?;
    let mut r = see_other("/accueil");
    if let Some(c) = session::site_cookie(wanted, st.settings.production) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}
