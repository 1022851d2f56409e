//! Partner API clients: machines of a partner firm calling the API with the OAuth2
//! client-credentials grant. The secret is shown once and stored as an argon2id
//! hash; access tokens are random, stored as their SHA-256, and live at most an
//! hour and never beyond the partner's current agreements. A client registered with
//! a subject at the configured external OIDC issuer may sign in there instead.
//!
//! Every request re-checks the client (status, agreements), so a revocation or an
//! ended agreement takes effect at once, not at token expiry.

use crate::Partners;
use crate::entity::partner_api_client::{self, Column};
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHasher};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use db::DbError;
use kernel::{ApiClientId, Ctx, Error, Page, PageRequest, PartnerId, PartnerScope, UnionRole};
use rand::Rng;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Longest life of an access token.
pub const TOKEN_TTL_SECS: i64 = 3600;
const TOKEN_PREFIX: &str = "pat_";

kernel::code_enum!(
    /// A client is active until revoked, which is final.
    stored ClientStatus {
        Active = "active" / "Actif",
        Revoked = "revoked" / "Révoqué",
    }
);

#[derive(Clone, Debug)]
pub struct ApiClient {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<PartnerScope>,
    pub external_issuer: Option<String>,
    pub external_subject: Option<String>,
    pub has_secret: bool,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A client with the secret it was just given: the only time the secret exists
/// outside the caller's hands.
#[derive(Clone, Debug)]
pub struct ClientWithSecret {
    pub client: ApiClient,
    pub secret: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewApiClient {
    pub partner_id: Uuid,
    pub name: String,
    pub scopes: Vec<PartnerScope>,
    /// Subject of the client at the configured external issuer, if it signs in there.
    pub external: Option<(String, String)>,
    /// Whether to issue a secret for /oauth/token (at least one way to sign in).
    pub with_secret: bool,
}

/// An authenticated API client, as the request pipeline needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPrincipal {
    pub client_id: ApiClientId,
    pub partner_id: PartnerId,
    pub scopes: Vec<PartnerScope>,
}

#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scopes: Vec<PartnerScope>,
}

/// Why the token endpoint or a bearer token was refused. Codes follow RFC 6749 §5.2.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    InvalidRequest(&'static str),
    #[error("unknown client, wrong secret or revoked client")]
    InvalidClient,
    #[error("the partner has no agreement in force today")]
    NoAgreementInForce,
    #[error("scope not granted to this client: {0}")]
    InvalidScope(String),
    /// Every secret check stayed busy: come back in a moment.
    #[error("too many token requests at once: retry in a moment")]
    Busy,
    #[error("internal error")]
    Internal(#[from] Error),
}

impl TokenError {
    pub fn oauth_code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient => "invalid_client",
            TokenError::NoAgreementInForce => "unauthorized_client",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::Busy => "temporarily_unavailable",
            TokenError::Internal(_) => "server_error",
        }
    }
}

/// What a bearer token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(ClientPrincipal),
    /// Unknown, expired, or its client revoked: UNAUTHENTICATED.
    Invalid,
    /// A valid client whose partner has no agreement in force: FORBIDDEN.
    NoAgreementInForce,
}

use db::stmt;

fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "partner_api_clients_partner_id_fkey" => {
                Error::validation("partnerId", "unknown partner")
            }
            "partner_api_clients_external_key" => {
                Error::conflict("externalSubject: already registered for another client")
            }
            "partner_api_clients_name_length" => {
                Error::validation("name", "between 2 and 100 characters")
            }
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

fn scopes_from(v: Vec<String>) -> Vec<PartnerScope> {
    let mut s: Vec<PartnerScope> = v.iter().filter_map(|s| PartnerScope::parse(s)).collect();
    s.sort();
    s
}

fn scope_strings(s: &[PartnerScope]) -> Vec<String> {
    s.iter().map(|s| s.as_str().to_owned()).collect()
}

impl From<partner_api_client::Model> for ApiClient {
    fn from(m: partner_api_client::Model) -> Self {
        ApiClient {
            id: m.id,
            partner_id: m.partner_id,
            client_id: m.client_id,
            name: m.name,
            scopes: scopes_from(m.scopes),
            external_issuer: m.external_issuer,
            external_subject: m.external_subject,
            has_secret: m.secret_hash.is_some(),
            revoked: m.status == ClientStatus::Revoked,
            created_at: m.created_at.to_utc(),
            rotated_at: m.rotated_at.map(|t| t.to_utc()),
            revoked_at: m.revoked_at.map(|t| t.to_utc()),
        }
    }
}

/// What the token endpoint needs of a client, read before any secret is checked.
#[derive(FromQueryResult)]
struct Credentials {
    id: Uuid,
    secret_hash: Option<String>,
    scopes: Vec<String>,
    active: bool,
    in_force: bool,
    /// Seconds until the end of the partner's agreements in force.
    until_agreements: Option<i64>,
}

/// A token's or an external subject's client, and whether its partner has an
/// agreement in force.
#[derive(FromQueryResult)]
struct PrincipalRow {
    id: Uuid,
    partner_id: Uuid,
    scopes: Vec<String>,
    in_force: bool,
}

fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill(&mut b[..]);
    URL_SAFE_NO_PAD.encode(b)
}

fn new_client_id() -> String {
    let s: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("pc_{s}")
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A key for caches that stand for a token without holding it: its SHA-256.
pub fn token_key(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(token_hash(token))
}

/// argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's minimum. CPU-heavy,
/// so it runs on the blocking pool.
async fn hash_secret(secret: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || hash_secret_blocking(&secret))
        .await
        .map_err(Error::internal)?
}

/// The same hash on the calling thread, for callers that schedule it themselves (the
/// demo seed hashes its clients' fixed secrets).
pub fn hash_secret_blocking(secret: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::internal_msg(e.to_string()))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal_msg(e.to_string()))
}

/// The partner has an active agreement whose period holds today (Paris calendar).
const IN_FORCE: &str = "exists (select 1 from agreements a where a.partner_id = c.partner_id \
    and a.status = 'active' and (now() at time zone 'Europe/Paris')::date between a.starts_on and a.ends_on)";

impl Partners {
    /// Union admin only. The secret, if any, is in the answer and nowhere else.
    pub async fn create_api_client(
        &self,
        ctx: &Ctx,
        new: NewApiClient,
    ) -> Result<ClientWithSecret, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let name = new.name.trim().to_owned();
        if !(2..=100).contains(&name.chars().count()) {
            return Err(Error::validation("name", "between 2 and 100 characters"));
        }
        let mut scopes = new.scopes.clone();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(Error::validation("scopes", "at least one scope"));
        }
        let external = match &new.external {
            Some((iss, sub)) => {
                let (iss, sub) = (iss.trim().trim_end_matches('/'), sub.trim());
                if iss.is_empty() || sub.is_empty() || sub.len() > 255 || iss.len() > 500 {
                    return Err(Error::validation(
                        "externalSubject",
                        "issuer and subject are both required",
                    ));
                }
                Some((iss.to_owned(), sub.to_owned()))
            }
            None => None,
        };
        if !new.with_secret && external.is_none() {
            return Err(Error::validation(
                "withSecret",
                "a client needs a secret or an external subject to sign in",
            ));
        }
        let secret = new.with_secret.then(|| format!("pcs_{}", random_token(32)));
        let hash = match &secret {
            Some(s) => Some(hash_secret(s.clone()).await?),
            None => None,
        };
        let tx = self.db.scoped(ctx).await?;
        let client: ApiClient = partner_api_client::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(new.partner_id),
            client_id: Set(new_client_id()),
            name: Set(name),
            secret_hash: Set(hash),
            external_issuer: Set(external.as_ref().map(|e| e.0.clone())),
            external_subject: Set(external.as_ref().map(|e| e.1.clone())),
            scopes: Set(scope_strings(&scopes)),
            created_by: Set(ctx.user_id().map(|u| u.0)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?
        .into();
        audit(&tx, ctx, "partner_api_client.created", client.id).await?;
        tx.commit().await?;
        Ok(ClientWithSecret { client, secret })
    }

    /// A new secret (the old one stops working at once) and every token issued so far
    /// revoked: rotation is what one does when a secret may have leaked.
    pub async fn rotate_api_client_secret(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ClientWithSecret, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let secret = format!("pcs_{}", random_token(32));
        let hash = hash_secret(secret.clone()).await?;
        let tx = self.db.scoped(ctx).await?;
        let update = partner_api_client::Entity::update_many()
            .col_expr(Column::SecretHash, Expr::value(hash))
            .col_expr(Column::RotatedAt, Expr::current_timestamp())
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(ClientStatus::Active));
        let client = ApiClient::from(crate::update_one(&tx, update, map_err).await?);
        audit(&tx, ctx, "partner_api_client.rotated", client.id).await?;
        tx.commit().await?;
        self.drop_tokens(id).await?;
        Ok(ClientWithSecret {
            client,
            secret: Some(secret),
        })
    }

    /// Final: a revoked client signs in no more and its tokens stop working at once.
    pub async fn revoke_api_client(&self, ctx: &Ctx, id: Uuid) -> Result<ApiClient, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let tx = self.db.scoped(ctx).await?;
        let update = partner_api_client::Entity::update_many()
            .col_expr(Column::Status, Expr::value(ClientStatus::Revoked))
            .col_expr(
                Column::RevokedAt,
                Func::coalesce([Expr::col(Column::RevokedAt), Expr::current_timestamp()]).into(),
            )
            .filter(Column::Id.eq(id));
        let client = ApiClient::from(crate::update_one(&tx, update, map_err).await?);
        audit(&tx, ctx, "partner_api_client.revoked", client.id).await?;
        tx.commit().await?;
        self.drop_tokens(id).await?;
        Ok(client)
    }

    async fn drop_tokens(&self, client: Uuid) -> Result<(), Error> {
        let tx = self
            .db
            .scoped(&Ctx::system("revoke a partner client's tokens"))
            .await?;
        tx.execute_raw(stmt(
            "delete from partner_access_tokens where client_id = $1",
            vec![client.into()],
        ))
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(())
    }

    /// The union admin sees every client (or one partner's); a partner's people see
    /// their own partner's. API clients themselves may not list clients.
    pub async fn list_api_clients(
        &self,
        ctx: &Ctx,
        partner: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<ApiClient>, Error> {
        let partner = if ctx.union_role() == Some(UnionRole::Admin) {
            partner
        } else {
            ctx.require_user()?;
            let own = ctx.partner_id().ok_or(Error::Forbidden(
                "reserved to the union admin and the partner",
            ))?;
            if partner.is_some_and(|p| p != own.0) {
                return Ok(Page {
                    items: vec![],
                    has_next_page: false,
                });
            }
            Some(own.0)
        };
        let select = partner_api_client::Entity::find()
            .apply_if(partner, |q, p| q.filter(Column::PartnerId.eq(p)))
            .apply_if(page.after, |q, after| q.filter(Column::Id.gt(after)))
            .order_by_asc(Column::Id);
        self.select_page(ctx, select, &page, map_err, |m| Ok(m.into()))
            .await
    }

    pub async fn api_clients_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<ApiClient>, Error> {
        if ctx.union_role() != Some(UnionRole::Admin) && ctx.require_user().is_err() {
            return Ok(vec![]);
        }
        let select =
            partner_api_client::Entity::find().filter(Column::Id.eq_any(ids.iter().copied()));
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(rows.into_iter().map(ApiClient::from).collect())
    }

    /// The client-credentials grant. `scope` is the space-separated scopes asked for
    /// (none: every scope of the client). Nothing is written unless a token is issued.
    pub async fn issue_token(
        &self,
        client_id: &str,
        secret: &str,
        scope: Option<&str>,
    ) -> Result<IssuedToken, TokenError> {
        if client_id.is_empty() || client_id.len() > 80 || secret.len() > 200 {
            return Err(TokenError::InvalidClient);
        }
        let ctx = Ctx::system("client-credentials token request");
        let tx = self.db.scoped(&ctx).await.map_err(Error::from)?;
        let found = Credentials::find_by_statement(stmt(
            &format!(
                "select c.id, c.secret_hash, c.scopes, c.status = 'active' as active, {IN_FORCE} as in_force, \
                 (select extract(epoch from ((max(a.ends_on) + 1)::timestamp at time zone 'Europe/Paris') - now())::bigint \
                  from agreements a where a.partner_id = c.partner_id and a.status = 'active' \
                    and (now() at time zone 'Europe/Paris')::date between a.starts_on and a.ends_on) as until_agreements \
                 from partner_api_clients c where c.client_id = $1"
            ),
            vec![client_id.into()],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?;
        let (id, hash, granted, active, in_force, until_agreements) = match found {
            Some(c) => (
                Some(c.id),
                c.secret_hash,
                scopes_from(c.scopes),
                c.active,
                c.in_force,
                c.until_agreements,
            ),
            None => (None, None, vec![], false, false, None),
        };
        // No connection is held while waiting for a secret check: a flood of token
        // requests must not drain the pool that every other request needs.
        tx.commit().await.map_err(Error::from)?;
        // An unknown client takes as long as a wrong secret, so timing tells nothing
        // (see secret_checks).
        let ok = self
            .secrets
            .verify(secret.to_owned(), hash)
            .await
            .map_err(|e| match e {
                crate::secret_checks::CheckError::Busy => TokenError::Busy,
                crate::secret_checks::CheckError::Failed(m) => {
                    TokenError::Internal(Error::internal_msg(m))
                }
            })?;
        let Some(id) = id.filter(|_| ok && active) else {
            return Err(TokenError::InvalidClient);
        };
        if !in_force {
            return Err(TokenError::NoAgreementInForce);
        }
        let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None => granted.clone(),
            Some(asked) => {
                let mut wanted = vec![];
                for s in asked.split_whitespace() {
                    match PartnerScope::parse(s).filter(|p| granted.contains(p)) {
                        Some(p) => wanted.push(p),
                        None => return Err(TokenError::InvalidScope(s.chars().take(40).collect())),
                    }
                }
                wanted.sort();
                wanted.dedup();
                wanted
            }
        };
        // Never beyond midnight (Paris) after the last day of the agreements in force.
        let expires_in = TOKEN_TTL_SECS
            .min(until_agreements.unwrap_or(TOKEN_TTL_SECS))
            .max(1);
        let token = format!("{TOKEN_PREFIX}{}", random_token(32));
        let tx = self.db.scoped(&ctx).await.map_err(Error::from)?;
        tx.execute_raw(stmt(
            "insert into partner_access_tokens (token_hash, client_id, scopes, expires_at) \
             values ($1, $2, $3, now() + make_interval(secs => $4))",
            vec![
                token_hash(&token).into(),
                id.into(),
                scope_strings(&scopes).into(),
                (expires_in as f64).into(),
            ],
        ))
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(Error::from)?;
        Ok(IssuedToken {
            access_token: token,
            expires_in,
            scopes,
        })
    }

    /// Whether a bearer token is one of ours (it has our prefix).
    pub fn is_client_token(token: &str) -> bool {
        token.starts_with(TOKEN_PREFIX)
    }

    /// A bearer token from /oauth/token, checked with its client and the partner's
    /// agreements in one round trip.
    pub async fn check_token(&self, token: &str) -> Result<TokenCheck, Error> {
        let ctx = Ctx::system("authenticate a partner API token");
        let tx = self.db.scoped(&ctx).await?;
        let r = PrincipalRow::find_by_statement(stmt(
            &format!(
                "select c.id, c.partner_id, t.scopes, {IN_FORCE} as in_force \
                 from partner_access_tokens t join partner_api_clients c on c.id = t.client_id \
                 where t.token_hash = $1 and t.expires_at > now() and c.status = 'active'"
            ),
            vec![token_hash(token).into()],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(principal_from(r))
    }

    /// A token of the configured external issuer whose subject is registered for an
    /// API client. Its scopes are the ones the token carries (all the client's if it
    /// carries none) that the client was granted.
    pub async fn check_external(
        &self,
        issuer: &str,
        subject: &str,
        token_scope: Option<&str>,
    ) -> Result<TokenCheck, Error> {
        let ctx = Ctx::system("authenticate a partner client of the external issuer");
        let tx = self.db.scoped(&ctx).await?;
        let r = PrincipalRow::find_by_statement(stmt(
            &format!(
                "select c.id, c.partner_id, c.scopes, {IN_FORCE} as in_force from partner_api_clients c \
                 where c.external_issuer = $1 and c.external_subject = $2 and c.status = 'active'"
            ),
            vec![issuer.trim_end_matches('/').into(), subject.into()],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        let check = principal_from(r);
        Ok(match (check, token_scope) {
            (TokenCheck::Valid(mut p), Some(s)) => {
                let asked = PartnerScope::parse_list(s);
                p.scopes.retain(|x| asked.contains(x));
                TokenCheck::Valid(p)
            }
            (c, _) => c,
        })
    }

    /// Deletes expired tokens; returns how many.
    pub async fn sweep_expired_tokens(&self) -> Result<u64, Error> {
        let tx = self
            .db
            .scoped(&Ctx::system("sweep expired partner tokens"))
            .await?;
        let n = tx
            .execute_raw(stmt(
                "delete from partner_access_tokens where expires_at < now() - interval '1 hour'",
                vec![],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

fn principal_from(r: Option<PrincipalRow>) -> TokenCheck {
    match r {
        None => TokenCheck::Invalid,
        Some(r) if !r.in_force => TokenCheck::NoAgreementInForce,
        Some(r) => TokenCheck::Valid(ClientPrincipal {
            client_id: ApiClientId(r.id),
            partner_id: PartnerId(r.partner_id),
            scopes: scopes_from(r.scopes),
        }),
    }
}

async fn audit(tx: &db::Scoped, ctx: &Ctx, action: &str, subject: Uuid) -> Result<(), Error> {
    tx.execute_raw(stmt(
        "insert into union_audit_log (id, actor_user_id, actor_kind, action, subject_id, request_id) \
         values ($1, $2, 'user', $3, $4, $5)",
        vec![
            Uuid::now_v7().into(),
            ctx.user_id().map(|u| u.0).into(),
            action.into(),
            subject.into(),
            ctx.request_id().0.into(),
        ],
    ))
    .await
    .map_err(map_err)?;
    Ok(())
}
