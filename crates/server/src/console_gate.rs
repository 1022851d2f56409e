//! The console's sign-in and request contexts, made by the same parts that
//! authenticate API requests: the token verifier, the principal cache and login
//! resolution, the person's choice of identity, the per-actor rate limit. A
//! console page thus acts exactly as an API request with the same token and
//! headers would.

use crate::app::AppState;
use crate::ratelimit::Decision;
use auth::AuthError;
use console::{GateError, Identity};
use futures_util::future::BoxFuture;
use kernel::{Ctx, RequestId};

pub struct ConsoleGate {
    pub state: AppState,
}

impl console::Gate for ConsoleGate {
    fn identify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, GateError>> {
        Box::pin(async move {
            match self.state.verifier.verify(token).await {
                Ok(v) if v.email.is_none() && v.client_id.is_some() => {
                    // A machine's token: machines use the API, not the console.
                    Err(GateError::Refused)
                }
                Ok(v) => Ok(Identity {
                    issuer: v.issuer,
                    subject: v.subject,
                    email: v.email,
                    email_verified: v.email_verified,
                    name: v.name,
                }),
                Err(AuthError::IssuerUnavailable) => Err(GateError::Unavailable),
                Err(e) => {
                    tracing::info!(reason = %e, "console: token refused");
                    Err(GateError::Refused)
                }
            }
        })
    }

    fn dev_token(&self, email: &str) -> Option<String> {
        let dev = self.state.verifier.dev()?;
        let email = tenancy::validate::email("email", email).ok()?;
        let name = email.split('@').next().unwrap_or("").to_owned();
        dev.mint(&email, &name, 300).ok()
    }

    fn context<'a>(
        &'a self,
        who: &'a Identity,
        act_as: Option<&'a str>,
        tenant: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Ctx, GateError>> {
        Box::pin(async move {
            let s = &self.state;
            let identity = tenancy::LoginIdentity {
                issuer: who.issuer.clone(),
                subject: who.subject.clone(),
                email: who.email.clone(),
                email_verified: who.email_verified,
                name: who.name.clone(),
            };
            let principal = match s.principals.user(&identity.issuer, &identity.subject) {
                Some(p) => p,
                None => match s.tenancy.resolve(&identity).await {
                    Ok(Some(p)) => {
                        s.principals
                            .put_user(&identity.issuer, &identity.subject, &p);
                        p
                    }
                    Ok(None) => return Err(GateError::NoAccount),
                    Err(kernel::Error::Unavailable { .. }) => return Err(GateError::Unavailable),
                    Err(e) => {
                        graphql::log_internal(&e);
                        return Err(GateError::Unavailable);
                    }
                },
            };
            let acting = principal
                .acting(act_as, tenant)
                .map_err(|_| GateError::Choice)?;
            if let Decision::Deny { .. } =
                s.limiter.check(&format!("u:{}", principal.user_id)).await
            {
                return Err(GateError::RateLimited);
            }
            Ok(Ctx::user(
                principal.user_id,
                acting,
                principal.choices(),
                RequestId::default(),
            ))
        })
    }
}

/// The demo accounts for the console's development sign-in page.
pub fn dev_accounts() -> Vec<console::DevAccount> {
    demo::ACCOUNTS
        .iter()
        .map(|a| {
            let mut roles: Vec<String> = a
                .memberships
                .iter()
                .map(|(slug, role)| format!("{} · {slug}", tenant_role_fr(role.as_str())))
                .collect();
            if let Some(r) = a.union_role {
                roles.push(format!("Union nationale · {}", union_role_fr(r.as_str())));
            }
            if let Some(p) = a.partner {
                roles.push(format!("Partenaire · {p}"));
            }
            console::DevAccount {
                email: a.email.to_owned(),
                name: a.name.to_owned(),
                description: roles.join(" ; "),
            }
        })
        .collect()
}

fn tenant_role_fr(code: &str) -> &'static str {
    match code {
        "director" => "Direction",
        "coordinator" => "Coordination",
        "mediator" => "Médiation",
        _ => "Administration (lecture)",
    }
}

fn union_role_fr(code: &str) -> &'static str {
    match code {
        "admin" => "administration",
        "auditor" => "audit",
        _ => "observatoire",
    }
}
