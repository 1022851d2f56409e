//! The routes, and what every page needs: the session, the person's `Ctx`, the
//! header and navigation, CSRF checks.

mod auditor;
mod compliance;
mod dashboard;
mod fields;
mod front_desk;
mod hr;
mod journal;
mod office;
mod partner;
mod signin;
mod union;
pub(crate) mod visit_form;

use crate::api::{self, Doc};
use crate::error::ConsoleError;
use crate::session::{self, Session};
use crate::view::{self, Chrome};
use crate::{Console, Shared};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::sync::Arc;

pub(crate) fn routes(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(signin::root))
        .route("/connexion", get(signin::page))
        .route("/connexion/dev", post(signin::dev))
        .route("/connexion/oidc", get(signin::oidc_start))
        .route("/connexion/retour", get(signin::oidc_back))
        .route("/choisir", get(signin::choose_page).post(signin::choose))
        .route("/deconnexion", post(signin::sign_out))
        .route("/accueil", get(front_desk::page).post(front_desk::record))
        .route("/accueil/site", post(front_desk::pick_site))
        .route("/journal", get(journal::list_page))
        .route("/journal/{id}", get(journal::detail))
        .route("/journal/{id}/modifier", post(journal::amend))
        .route("/journal/{id}/annuler", post(journal::void))
        .route("/tableau-de-bord", get(dashboard::page))
        .route("/tableau-de-bord.csv", get(dashboard::csv))
        .route("/sites", get(office::sites))
        .route("/sites/fermetures", post(office::add_closure))
        .route("/membres", get(office::members))
        .route("/membres/invitations", post(office::invite))
        .route("/membres/invitations/{id}/retirer", post(office::revoke))
        .route("/conventions", get(partner::agreements))
        .route("/conventions/{id}", get(partner::report))
        .route("/conventions/{id}/csv", get(partner::report_csv))
        .route("/campagnes", get(partner::campaigns))
        .route("/campagnes/{id}", get(partner::campaign))
        .route("/campagnes/{id}/cas", post(partner::upload))
        .route(
            "/clients-api",
            get(partner::clients).post(partner::create_client),
        )
        .route("/clients-api/{id}/renouveler", post(partner::rotate_client))
        .route("/clients-api/{id}/revoquer", post(partner::revoke_client))
        .route("/associations", get(union::tenants).post(union::create))
        .route("/associations/{id}", get(union::tenant))
        .route("/associations/{id}/direction", post(union::invite_director))
        .route("/associations/{id}/suspendre", post(union::suspend))
        .route("/associations/{id}/reactiver", post(union::reactivate))
        .route("/reseau", get(union::network))
        .route("/conformite", get(compliance::audits))
        .route("/conformite/{id}", get(compliance::audit))
        .route(
            "/conformite/{id}/reponses",
            post(compliance::answer).layer(axum::extract::DefaultBodyLimit::max(
                graphql::compliance::http::EVIDENCE_BODY_LIMIT,
            )),
        )
        .route("/conformite/{id}/soumettre", post(compliance::submit))
        .route(
            "/conformite/{id}/constats/{finding}",
            post(compliance::reply),
        )
        .route(
            "/conformite/{id}/actions/{action}",
            post(compliance::complete),
        )
        .route("/conformite/pieces/{doc}", get(compliance::download))
        .route("/salaries", get(hr::employees).post(hr::hire))
        .route("/salaries/{id}", get(hr::employee))
        .route("/salaries/{id}/formations", post(hr::training))
        .route("/salaries/{id}/renouvellement", post(hr::renew))
        .route("/salaries/{id}/sortie", post(hr::exit))
        .route("/salaries/{id}/suivi", post(hr::follow_up))
        .route("/controles", get(auditor::audits))
        .route("/controles/{id}", get(auditor::audit))
        .route(
            "/controles/{id}/pieces/{doc}",
            post(auditor::review_evidence),
        )
        .route("/controles/{id}/indicateurs", post(auditor::prefill))
        .route("/controles/{id}/notation", post(auditor::score_criterion))
        .route("/controles/{id}/constats", post(auditor::add_finding))
        .route(
            "/controles/{id}/observations",
            post(auditor::add_observation),
        )
        .route("/controles/{id}/notes", post(auditor::add_note))
        .route(
            "/controles/{id}/rapport-provisoire",
            post(auditor::send_draft),
        )
        .route("/controles/{id}/rapport-definitif", post(auditor::finalise))
        .route(
            "/controles/{id}/actions/{action}",
            post(auditor::review_action),
        )
        .route(view::CSS_PATH, get(css))
        .route(view::HTMX_PATH, get(htmx))
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            error_chrome,
        ))
        .with_state(console)
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", view::CSS)
}

async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", view::HTMX)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// A signed-in request: its session and the person's context for the API.
pub(crate) struct Signed {
    pub session: Session,
    pub ctx: kernel::Ctx,
}

impl Console {
    /// The signed-in person of this request, acting as chosen; `SignedOut` sends
    /// them to the sign-in page.
    pub(crate) async fn signed(&self, headers: &HeaderMap) -> Result<Signed, ConsoleError> {
        let session = self
            .sessions
            .load(headers)
            .await?
            .ok_or(ConsoleError::SignedOut)?;
        let identity = session
            .data
            .identity
            .clone()
            .ok_or(ConsoleError::SignedOut)?;
        let ctx = self
            .gate
            .context(
                &identity,
                session.data.act_as.as_deref(),
                session.data.tenant.as_deref(),
            )
            .await;
        let ctx = match ctx {
            Ok(c) => c,
            // The membership or role chosen is gone: choose again.
            Err(crate::GateError::Choice) => return Err(ConsoleError::ChoiceRequired),
            Err(crate::GateError::Refused | crate::GateError::NoAccount) => {
                return Err(ConsoleError::SignedOut);
            }
            Err(e) => return Err(ConsoleError::Gate(e)),
        };
        Ok(Signed { session, ctx })
    }

    pub(crate) async fn run(
        &self,
        s: &Signed,
        doc: &Doc,
        vars: Value,
    ) -> Result<Value, ConsoleError> {
        api::run(&self.endpoint, s.ctx.clone(), doc, vars).await
    }

    /// Checks the form's CSRF token against the session's.
    pub(crate) fn check_csrf(
        &self,
        s: &Session,
        sent: Option<&String>,
    ) -> Result<(), ConsoleError> {
        match sent {
            Some(t) if session::csrf_ok(&s.data, t) => Ok(()),
            _ => Err(ConsoleError::Csrf),
        }
    }

    /// The header and navigation of `s`'s pages, taking the flash message.
    pub(crate) async fn chrome(
        &self,
        s: &mut Signed,
        current: &'static str,
    ) -> Result<Chrome, ConsoleError> {
        let flash = s.session.data.flash.take();
        if flash.is_some() {
            self.sessions.save(&s.session).await?;
        }
        let mut c = chrome_of(&s.session.data, current);
        c.flash = flash;
        Ok(c)
    }

    /// Keeps a message for the next page (after a redirect).
    pub(crate) async fn flash(
        &self,
        s: &mut Signed,
        kind: &str,
        text: String,
    ) -> Result<(), ConsoleError> {
        s.session.data.flash = Some((kind.to_owned(), text));
        self.sessions.save(&s.session).await
    }
}

/// The header and navigation for a session's data.
fn chrome_of(d: &session::Data, current: &'static str) -> Chrome {
    Chrome {
        person: d.person.clone().or_else(|| {
            d.identity
                .as_ref()
                .and_then(|i| i.name.clone().or(i.email.clone()))
        }),
        acting: d.acting_label.clone(),
        site: d.site.as_ref().map(|(_, n)| n.clone()),
        nav: nav(d.act_as.as_deref(), d.role.as_deref()),
        current,
        csrf: d.csrf.clone(),
        can_switch: d.several,
        flash: None,
    }
}

/// An error page keeps the signed-in person's header and navigation (an error
/// answer knows only its message: the session is read here, after the handler).
async fn error_chrome(
    axum::extract::State(console): axum::extract::State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers().clone();
    let r = next.run(req).await;
    let Some(page) = r.extensions().get::<view::ErrorPage>().cloned() else {
        return r;
    };
    match console.sessions.load(&headers).await {
        Ok(Some(s)) if s.data.identity.is_some() => {
            let chrome = chrome_of(&s.data, "");
            let status = r.status();
            let mut out = view::error_page_with(&chrome, &page.title, &page.text).into_response();
            *out.status_mut() = status;
            out
        }
        _ => r,
    }
}

/// The pages a role may open: never a link to a page its role is refused.
fn nav(act_as: Option<&str>, role: Option<&str>) -> Vec<(&'static str, &'static str)> {
    match (act_as, role) {
        (Some("association"), Some("DIRECTOR")) => vec![
            ("/accueil", "Accueil du public"),
            ("/journal", "Journal"),
            ("/tableau-de-bord", "Tableau de bord"),
            ("/sites", "Sites"),
            ("/membres", "Membres"),
            ("/conventions", "Conventions"),
            ("/campagnes", "Campagnes"),
            ("/conformite", "Conformité"),
            ("/salaries", "Salariés"),
        ],
        (Some("association"), Some("COORDINATOR")) => vec![
            ("/accueil", "Accueil du public"),
            ("/journal", "Journal"),
            ("/tableau-de-bord", "Tableau de bord"),
            ("/sites", "Sites"),
            ("/membres", "Membres"),
            ("/campagnes", "Campagnes"),
            ("/conformite", "Conformité"),
            ("/salaries", "Salariés"),
        ],
        (Some("partner"), _) => vec![
            ("/conventions", "Conventions et rapports"),
            ("/campagnes", "Campagnes"),
            ("/clients-api", "Clients API"),
        ],
        (Some("union"), Some("ADMIN")) => vec![
            ("/associations", "Associations"),
            ("/reseau", "Tableau de bord du réseau"),
            ("/conformite", "Conformité"),
            ("/controles", "Contrôles"),
            ("/conventions", "Conventions"),
            ("/clients-api", "Clients API"),
        ],
        (Some("union"), Some("AUDITOR")) => vec![
            ("/associations", "Associations"),
            ("/reseau", "Tableau de bord du réseau"),
            ("/conformite", "Conformité"),
            ("/controles", "Contrôles"),
        ],
        (Some("union"), _) => vec![
            ("/associations", "Associations"),
            ("/reseau", "Tableau de bord du réseau"),
            ("/conformite", "Conformité"),
        ],
        (Some("association"), Some("MEDIATOR")) => {
            vec![("/accueil", "Accueil du public"), ("/journal", "Journal")]
        }
        (Some("association"), Some(_)) => vec![
            ("/tableau-de-bord", "Tableau de bord"),
            ("/sites", "Sites"),
            ("/conformite", "Conformité"),
        ],
        _ => Vec::new(),
    }
}

/// Where a person lands after sign-in or at `/`.
pub(crate) fn home(act_as: Option<&str>, role: Option<&str>) -> &'static str {
    match (act_as, role) {
        (Some("association"), Some("DIRECTOR" | "COORDINATOR" | "MEDIATOR")) => "/accueil",
        (Some("association"), _) => "/tableau-de-bord",
        (Some("partner"), _) => "/conventions",
        (Some("union"), _) => "/associations",
        _ => "/choisir",
    }
}

/// A role that may write the journal.
pub(crate) fn writes_journal(s: &Signed) -> bool {
    s.session.data.act_as.as_deref() == Some("association")
        && matches!(
            s.session.data.role.as_deref(),
            Some("DIRECTOR" | "COORDINATOR" | "MEDIATOR")
        )
}

/// 303 to `to` (after a POST: the browser then GETs it).
pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

pub(crate) type Form = axum::extract::Form<std::collections::HashMap<String, String>>;
pub(crate) type Query = axum::extract::Query<std::collections::HashMap<String, String>>;
pub(crate) type St = axum::extract::State<Shared>;

/// The first non-empty value of a form or query field.
pub(crate) fn field<'a>(
    m: &'a std::collections::HashMap<String, String>,
    k: &str,
) -> Option<&'a str> {
    m.get(k).map(|v| v.trim()).filter(|v| !v.is_empty())
}
