//! Sign-in (the configured OpenID Connect issuer; in development, the demo
//! accounts too), the choice of what the person acts for, and sign-out.

use super::{Form, Query, St, field, home, see_other};
use crate::api::{self, VIEWER, list, text};
use crate::error::ConsoleError;
use crate::session::{self, Session};
use crate::view::{self, Chrome, alert, csrf_field};
use crate::{Console, GateError, Identity};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value, json};

pub(crate) async fn root(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    match st.sessions.load(&headers).await? {
        Some(s) if s.data.identity.is_some() => Ok(see_other(home(
            s.data.act_as.as_deref(),
            s.data.role.as_deref(),
        ))),
        _ => Ok(see_other("/connexion")),
    }
}

fn with_cookie(mut r: Response, id: &str, secure: bool) -> Response {
    r.headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(id, secure));
    r
}

pub(crate) async fn page(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let existing = st.sessions.load(&headers).await?;
    if let Some(s) = &existing
        && s.data.identity.is_some()
    {
        return Ok(see_other(home(
            s.data.act_as.as_deref(),
            s.data.role.as_deref(),
        )));
    }
    let (s, fresh) = match existing {
        Some(s) => (s, false),
        None => (st.sessions.create().await?, true),
    };
    let dev = !st.settings.production && st.gate.dev_token("probe@example.invalid").is_some();
    let body = html! {
        h1 { "Connexion" }
        p.lead { "Passerelle est la plateforme du réseau des PIMMS : journal de l'accueil, tableaux de bord, conventions partenaires." }
        @if st.oidc.is_some() {
            section.card aria-labelledby="sso" {
                h2 id="sso" { "Avec votre compte du réseau" }
                p { "Vous serez redirigé vers le service d'identité du réseau, puis ramené ici." }
                p { a.btn href="/connexion/oidc" { "Se connecter" } }
            }
        }
        @if dev {
            section.card aria-labelledby="demo" {
                h2 id="demo" { "Comptes de démonstration" }
                (alert("info", "Environnement de développement : ces comptes se connectent sans mot de passe. Cette liste n'existe pas en production."))
                table.table {
                    caption.visually-hidden { "Comptes de démonstration" }
                    thead { tr { th scope="col" { "Personne" } th scope="col" { "Rôle" } th scope="col" { span.visually-hidden { "Action" } } } }
                    tbody {
                        @for a in &st.settings.dev_accounts {
                            tr {
                                td { (a.name) br; span.muted { (a.email) } }
                                td { (a.description) }
                                td {
                                    form method="post" action="/connexion/dev" {
                                        (csrf_field(&s.data.csrf))
                                        input type="hidden" name="email" value=(a.email);
                                        button.btn.btn-secondary type="submit" {
                                            "Se connecter" span.visually-hidden { " en tant que " (a.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action="/connexion/dev" {
                    (csrf_field(&s.data.csrf))
                    div.field {
                        label for="email" { "Autre adresse électronique" }
                        input id="email" type="email" name="email" autocomplete="email" required;
                    }
                    button.btn.btn-secondary type="submit" { "Se connecter avec cette adresse" }
                }
            }
        }
        @if st.oidc.is_none() && !dev {
            (alert("error", "Aucun service d'identité n'est configuré : la connexion est impossible."))
        }
    };
    let r = view::page(&Chrome::default(), "Connexion", &[], body).into_response();
    Ok(if fresh {
        with_cookie(r, &s.id, st.settings.production)
    } else {
        r
    })
}

/// Development only: signs in as any email through the development issuer (a
/// token minted and verified like `/dev/token`'s).
pub(crate) async fn dev(st: St, headers: HeaderMap, form: Form) -> Result<Response, ConsoleError> {
    // Absent in production, whatever the form holds.
    if st.settings.production {
        return Err(ConsoleError::NotFound);
    }
    let pre = st
        .sessions
        .load(&headers)
        .await?
        .ok_or(ConsoleError::Csrf)?;
    st.check_csrf(&pre, form.get("_csrf"))?;
    let email = field(&form, "email").unwrap_or("");
    let token = st.gate.dev_token(email).ok_or(ConsoleError::NotFound)?;
    let identity = st.gate.identify(&token).await.map_err(ConsoleError::Gate)?;
    establish(&st, Some(&pre), identity).await
}

pub(crate) async fn oidc_start(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let client = st.oidc.as_ref().ok_or(ConsoleError::NotFound)?;
    let (mut s, fresh) = match st.sessions.load(&headers).await? {
        Some(s) => (s, false),
        None => (st.sessions.create().await?, true),
    };
    let start = client.start().await?;
    s.data.oidc = Some((start.state, start.verifier, start.nonce));
    st.sessions.save(&s).await?;
    let r = see_other(&start.url);
    Ok(if fresh {
        with_cookie(r, &s.id, st.settings.production)
    } else {
        r
    })
}

pub(crate) async fn oidc_back(
    st: St,
    headers: HeaderMap,
    q: Query,
) -> Result<Response, ConsoleError> {
    let client = st.oidc.as_ref().ok_or(ConsoleError::NotFound)?;
    let mut pre = st
        .sessions
        .load(&headers)
        .await?
        .ok_or_else(|| ConsoleError::Oidc("no session for the callback".into()))?;
    let (state, verifier, nonce) = pre
        .data
        .oidc
        .take()
        .ok_or_else(|| ConsoleError::Oidc("no sign-in under way".into()))?;
    st.sessions.save(&pre).await?;
    let sent = field(&q, "state").unwrap_or("");
    if !session::csrf_ok(
        &session::Data {
            csrf: state,
            ..Default::default()
        },
        sent,
    ) {
        return Err(ConsoleError::Oidc("state mismatch".into()));
    }
    let code = field(&q, "code")
        .ok_or_else(|| ConsoleError::Oidc("no code in the callback".into()))?
        .to_owned();
    let token = client.finish(code, verifier, &nonce).await?;
    let identity = st.gate.identify(&token).await.map_err(ConsoleError::Gate)?;
    establish(&st, Some(&pre), identity).await
}

/// A fresh signed-in session for `identity`; with one identity to act as, it is
/// chosen at once, otherwise the person chooses.
async fn establish(
    st: &Console,
    old: Option<&Session>,
    identity: Identity,
) -> Result<Response, ConsoleError> {
    let (choices, person) = viewer(st, &identity).await?;
    if choices.is_empty() {
        return Err(ConsoleError::Gate(GateError::NoAccount));
    }
    let mut s = st.sessions.sign_in(old, identity).await?;
    s.data.person = person;
    s.data.several = choices.len() > 1;
    let to = if let [only] = choices.as_slice() {
        apply(&mut s.data, only);
        home(s.data.act_as.as_deref(), s.data.role.as_deref())
    } else {
        "/choisir"
    };
    st.sessions.save(&s).await?;
    Ok(with_cookie(see_other(to), &s.id, st.settings.production))
}

/// Every identity the person may act as, and their name, from the API's `viewer`.
async fn viewer(
    st: &Console,
    identity: &Identity,
) -> Result<(Vec<Value>, Option<String>), ConsoleError> {
    let ctx = st
        .gate
        .context(identity, None, None)
        .await
        .map_err(ConsoleError::Gate)?;
    let data = api::run(&st.endpoint, ctx, &VIEWER, json!({})).await?;
    Ok((
        list(&data["viewer"]["choices"]).to_vec(),
        data["viewer"]["user"]["displayName"]
            .as_str()
            .map(str::to_owned),
    ))
}

fn role_label(role: &str) -> &'static str {
    match role {
        "DIRECTOR" => "Direction",
        "COORDINATOR" => "Coordination",
        "MEDIATOR" => "Médiation",
        "VIEWER" => "Administration (lecture seule)",
        "ADMIN" => "Administration nationale",
        "AUDITOR" => "Audit",
        "ANALYST" => "Observatoire",
        _ => "",
    }
}

fn choice_label(c: &Value) -> String {
    match text(&c["kind"]) {
        "ASSOCIATION" => format!(
            "{} · {}",
            text(&c["tenant"]["name"]),
            role_label(text(&c["role"]))
        ),
        "PARTNER" => format!("{} · Partenaire", text(&c["partner"]["name"])),
        _ => format!(
            "Union nationale des PIMMS · {}",
            role_label(text(&c["unionRole"]))
        ),
    }
}

fn apply(d: &mut session::Data, c: &Value) {
    d.act_as = Some(text(&c["actAs"]).to_owned());
    d.tenant = c["tenantSlug"].as_str().map(str::to_owned);
    d.role = Some(match text(&c["kind"]) {
        "ASSOCIATION" => text(&c["role"]).to_owned(),
        "PARTNER" => "PARTNER".to_owned(),
        _ => text(&c["unionRole"]).to_owned(),
    });
    d.acting_label = Some(choice_label(c));
    // A site belongs to one association: choosing again forgets it.
    d.site = None;
}

pub(crate) async fn choose_page(st: St, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let mut s = st
        .sessions
        .load(&headers)
        .await?
        .ok_or(ConsoleError::SignedOut)?;
    let identity = s.data.identity.clone().ok_or(ConsoleError::SignedOut)?;
    let (choices, _) = viewer(&st, &identity).await?;
    let flash = s.data.flash.take();
    if flash.is_some() {
        st.sessions.save(&s).await?;
    }
    let chrome = Chrome {
        person: s.data.person.clone(),
        acting: s.data.acting_label.clone(),
        csrf: s.data.csrf.clone(),
        flash,
        ..Chrome::default()
    };
    let body = html! {
        h1 { "Pour qui agissez-vous ?" }
        p { "Votre compte vous permet d'agir pour plusieurs structures. Ce choix s'affiche en haut de chaque page ; vous pourrez en changer à tout moment." }
        form.stack method="post" action="/choisir" {
            (csrf_field(&s.data.csrf))
            fieldset.fieldset {
                legend { "Structure et rôle" }
                @for (i, c) in choices.iter().enumerate() {
                    div.radio {
                        input type="radio" name="choice" id={ "choice-" (i) } value=(i) required checked[i == 0];
                        label for={ "choice-" (i) } { (choice_label(c)) }
                    }
                }
            }
            button.btn type="submit" { "Continuer" }
        }
    };
    Ok(view::page(&chrome, "Choisir une structure", &[], body).into_response())
}

pub(crate) async fn choose(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    let mut s = st
        .sessions
        .load(&headers)
        .await?
        .ok_or(ConsoleError::SignedOut)?;
    st.check_csrf(&s, form.get("_csrf"))?;
    let identity = s.data.identity.clone().ok_or(ConsoleError::SignedOut)?;
    let (choices, _) = viewer(&st, &identity).await?;
    let picked = field(&form, "choice")
        .and_then(|v| v.parse::<usize>().ok())
        .and_then(|i| choices.get(i))
        .ok_or(ConsoleError::Gate(GateError::Choice))?;
    apply(&mut s.data, picked);
    s.data.several = choices.len() > 1;
    // The server must agree before the choice is kept.
    st.gate
        .context(
            &identity,
            s.data.act_as.as_deref(),
            s.data.tenant.as_deref(),
        )
        .await
        .map_err(ConsoleError::Gate)?;
    st.sessions.save(&s).await?;
    Ok(see_other(home(
        s.data.act_as.as_deref(),
        s.data.role.as_deref(),
    )))
}

/// Ends the session server-side: its cookie is worth nothing afterwards.
pub(crate) async fn sign_out(
    st: St,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ConsoleError> {
    if let Some(s) = st.sessions.load(&headers).await? {
        st.check_csrf(&s, form.get("_csrf"))?;
        st.sessions.delete(&s.id).await?;
    }
    let mut r = see_other("/connexion");
    r.headers_mut().append(
        header::SET_COOKIE,
        session::clear_cookie(st.settings.production),
    );
    Ok(r)
}
