//! From a verified identity (issuer, subject, email) to a Passerelle principal: the
//! user, their union role, their partner, their active memberships. At first login an
//! unknown identity with a verified email is matched against pending invitations.

use crate::{Tenancy, errors};
use entity::invitation::InvitationStatus;
use entity::{invitation, user};
use kernel::{Acting, ActorChoice, Ctx, Error, PartnerId, TenantId, TenantRole, UnionRole, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set};
use serde::Deserialize;
use uuid::Uuid;

/// What the identity provider vouched for.
#[derive(Clone, Debug)]
pub struct LoginIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PrincipalMembership {
    pub tenant_id: Uuid,
    pub slug: String,
    pub role: TenantRole,
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: UserId,
    pub union_role: Option<UnionRole>,
    pub partner_id: Option<PartnerId>,
    /// Active memberships in active associations only.
    pub memberships: Vec<PrincipalMembership>,
}

/// The header naming what a person acts as: `association`, `partner` or `union`.
pub const ACT_AS_HEADER: &str = "X-Passerelle-Act-As";
/// The header naming the association (slug, uuid or global id).
pub const TENANT_HEADER: &str = "X-Passerelle-Tenant";

/// What `X-Passerelle-Act-As` may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActAs {
    Association,
    Partner,
    Union,
}

impl ActAs {
    /// The header's value (trimmed, any case); empty means absent.
    pub fn parse(value: &str) -> Result<Option<Self>, Error> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(None);
        }
        match v.to_ascii_lowercase().as_str() {
            "association" => Ok(Some(ActAs::Association)),
            "partner" => Ok(Some(ActAs::Partner)),
            "union" => Ok(Some(ActAs::Union)),
            _ => Err(Error::validation(
                ACT_AS_HEADER,
                "expected association, partner or union",
            )),
        }
    }
}

impl Principal {
    /// Every identity this person may act as: each active membership (in slug
    /// order), then the partner firm, then the union role.
    pub fn choices(&self) -> Vec<ActorChoice> {
        let mut out: Vec<ActorChoice> = self
            .memberships
            .iter()
            .map(|m| ActorChoice::Association {
                tenant_id: TenantId(m.tenant_id),
                slug: m.slug.clone(),
                role: m.role,
            })
            .collect();
        out.extend(self.partner_id.map(ActorChoice::Partner));
        out.extend(self.union_role.map(ActorChoice::Union));
        out
    }

    /// What this request acts as, from `X-Passerelle-Act-As` (`act_as`) and
    /// `X-Passerelle-Tenant` (`tenant`: slug, uuid or global id).
    ///
    /// - The tenant header alone, or with `association`, picks that association.
    /// - `partner` or `union` picks that identity; with a tenant header it is a
    ///   contradiction (VALIDATION), never half-honoured.
    /// - `association` alone picks the only association, if there is one.
    /// - Neither header: the only identity, if there is exactly one; none is
    ///   `Nothing`; several is `Undecided` (only `viewer` answers until one is named).
    ///
    /// Naming an identity the person does not hold is FORBIDDEN.
    pub fn acting(&self, act_as: Option<&str>, tenant: Option<&str>) -> Result<Acting, Error> {
        let act_as = match act_as {
            Some(v) => ActAs::parse(v)?,
            None => None,
        };
        let tenant = tenant.map(str::trim).filter(|h| !h.is_empty());
        let choices = self.choices();
        match (act_as, tenant) {
            (Some(ActAs::Partner | ActAs::Union), Some(_)) => Err(Error::validation(
                TENANT_HEADER,
                "names an association: send it with X-Passerelle-Act-As: association, or not at all",
            )),
            (None | Some(ActAs::Association), Some(h)) => self.association(h),
            (Some(ActAs::Association), None) => {
                let mut own = choices.iter().filter(|c| c.act_as() == "association");
                match (own.next(), own.next()) {
                    (Some(c), None) => Ok(c.acting()),
                    (Some(_), Some(_)) => Ok(Acting::Undecided),
                    (None, _) => Err(Error::Forbidden(
                        "you have no active membership in an association",
                    )),
                }
            }
            (Some(ActAs::Partner), None) => self
                .partner_id
                .map(Acting::Partner)
                .ok_or(Error::Forbidden("you are no partner firm's person")),
            (Some(ActAs::Union), None) => self.union_role.map(Acting::Union).ok_or(
                Error::Forbidden("you are not on the national union's staff"),
            ),
            (None, None) => Ok(match choices.as_slice() {
                [] => Acting::Nothing,
                [only] => only.acting(),
                _ => Acting::Undecided,
            }),
        }
    }

    /// The association named by the tenant header, where the person is an active member.
    fn association(&self, h: &str) -> Result<Acting, Error> {
        let by_uuid = Uuid::parse_str(h).ok().or_else(|| {
            kernel::gid::decode(h)
                .filter(|(t, _)| t == "Tenant")
                .map(|(_, id)| id)
        });
        self.memberships
            .iter()
            .find(|m| Some(m.tenant_id) == by_uuid || m.slug == h)
            .map(|m| {
                Acting::Association(kernel::TenantScope {
                    tenant_id: TenantId(m.tenant_id),
                    role: m.role,
                })
            })
            .ok_or(Error::Forbidden(
                "you have no active membership in the association named by X-Passerelle-Tenant",
            ))
    }
}

const RESOLVE: &str = r#"
select u.id, u.email,
  (select s.role from union_staff s where s.user_id = u.id) as union_role,
  (select p.partner_id from partner_users p where p.user_id = u.id) as partner_id,
  coalesce((select json_agg(json_build_object('tenant_id', m.tenant_id, 'slug', t.slug, 'role', m.role)
                            order by t.slug)
            from memberships m join tenants t on t.id = m.tenant_id
            where m.user_id = u.id and m.status = 'active' and t.status = 'active'), '[]'::json)::text
    as memberships,
  exists (select 1 from invitations i
          where i.email = u.email and i.status = 'pending' and i.expires_at > now())
  or exists (select 1 from union_invitations ui where ui.email = u.email and ui.accepted_at is null)
  or exists (select 1 from partner_invitations pi where pi.email = u.email and pi.accepted_at is null)
    as pending
from user_identities ident join users u on u.id = ident.user_id
where ident.issuer = $1 and ident.subject = $2
"#;

/// A row of `RESOLVE`.
#[derive(FromQueryResult)]
struct KnownRow {
    id: Uuid,
    email: String,
    union_role: Option<UnionRole>,
    partner_id: Option<Uuid>,
    /// JSON: `[{tenant_id, slug, role}]`.
    memberships: String,
    pending: bool,
}

struct Resolved {
    principal: Principal,
    email: String,
    pending: bool,
}

impl Tenancy {
    /// Resolves a verified identity, or `None` when it has no account and no
    /// invitation. One round trip in the common case.
    pub async fn resolve(&self, identity: &LoginIdentity) -> Result<Option<Principal>, Error> {
        let ctx = Ctx::system("resolve signed-in identity");
        let tx = self.db.scoped(&ctx).await?;
        let found = resolve_known(&tx, identity).await?;
        let verified_email = identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified);
        let result = match found {
            Some(r) if r.pending && verified_email == Some(r.email.as_str()) => {
                accept_pending(&tx, r.principal.user_id.0, &r.email).await?;
                resolve_known(&tx, identity).await?.map(|r| r.principal)
            }
            Some(r) => Some(r.principal),
            None => match verified_email {
                Some(email) => first_login(&tx, identity, email).await?,
                None => None,
            },
        };
        tx.commit().await?;
        Ok(result)
    }

    /// Makes `email` a union admin: at once if the person exists, else at first login.
    pub async fn ensure_bootstrap_admin(&self, email: &str) -> Result<(), Error> {
        let email = crate::validate::email("PASSERELLE_BOOTSTRAP_ADMIN_EMAIL", email)?;
        let ctx = Ctx::system("bootstrap union admin");
        let tx = self.db.scoped(&ctx).await?;
        exec(
            &tx,
            "insert into union_staff (user_id, role) select id, 'admin' from users where email = $1 \
             on conflict (user_id) do update set role = 'admin'",
            vec![email.clone().into()],
        )
        .await?;
        exec(
            &tx,
            "insert into union_invitations (id, email, role) \
             select $1, $2, 'admin' where not exists (select 1 from users where email = $2) \
             on conflict (email) do update set role = 'admin', accepted_at = null",
            vec![Uuid::now_v7().into(), email.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn exec(tx: &db::Scoped, sql: &str, values: Vec<sea_orm::Value>) -> Result<u64, Error> {
    tx.execute_raw(db::stmt(sql, values))
        .await
        .map(|r| r.rows_affected())
        .map_err(errors::orm)
}

async fn resolve_known(tx: &db::Scoped, id: &LoginIdentity) -> Result<Option<Resolved>, Error> {
    let stmt = db::stmt(
        RESOLVE,
        vec![id.issuer.clone().into(), id.subject.clone().into()],
    );
    let Some(row) = KnownRow::find_by_statement(stmt)
        .one(&**tx)
        .await
        .map_err(errors::orm)?
    else {
        return Ok(None);
    };
    let memberships: Vec<PrincipalMembership> =
        serde_json::from_str(&row.memberships).map_err(Error::internal)?;
    Ok(Some(Resolved {
        principal: Principal {
            user_id: UserId(row.id),
            union_role: row.union_role,
            partner_id: row.partner_id.map(PartnerId),
            memberships,
        },
        email: row.email,
        pending: row.pending,
    }))
}

/// An identity seen for the first time. With a verified email that has a pending
/// invitation (or belongs to an existing person), it is linked; otherwise refused.
async fn first_login(
    tx: &db::Scoped,
    id: &LoginIdentity,
    email: &str,
) -> Result<Option<Principal>, Error> {
    let invited: bool = tx
        .query_one_raw(db::stmt(
            "select exists (select 1 from invitations where email = $1 and status = 'pending' \
                            and expires_at > now()) \
                 or exists (select 1 from union_invitations where email = $1 and accepted_at is null) \
                 or exists (select 1 from partner_invitations where email = $1 and accepted_at is null) \
                 or exists (select 1 from users where email = $1) \
               as invited",
            vec![email.into()],
        ))
        .await
        .map_err(errors::orm)?
        .map(|r| r.try_get::<bool>("", "invited"))
        .transpose()
        .map_err(errors::orm)?
        .unwrap_or(false);
    if !invited {
        return Ok(None);
    }
    let name = id
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 200)
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    exec(
        tx,
        "insert into users (id, email, display_name) values ($1, $2, $3) on conflict (email) do nothing",
        vec![Uuid::now_v7().into(), email.into(), name.into()],
    )
    .await?;
    exec(
        tx,
        "insert into user_identities (id, user_id, issuer, subject) \
         select $1, u.id, $2, $3 from users u where u.email = $4 \
         on conflict (issuer, subject) do nothing",
        vec![
            Uuid::now_v7().into(),
            id.issuer.clone().into(),
            id.subject.clone().into(),
            email.into(),
        ],
    )
    .await?;
    let user_id = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&**tx)
        .await
        .map_err(errors::orm)?
        .ok_or_else(|| Error::internal_msg("user vanished during first login"))?
        .id;
    accept_pending(tx, user_id, email).await?;
    Ok(resolve_known(tx, id).await?.map(|r| r.principal))
}

/// The union role and the partner `$2` (an email) was invited to, granted to user `$1`.
const ACCEPT_GRANTS: [&str; 2] = [
    "with accepted as ( \
       update union_invitations set accepted_at = now() \
       where email = $2 and accepted_at is null returning role) \
     insert into union_staff (user_id, role) select $1, role from accepted \
     on conflict (user_id) do update set role = excluded.role",
    // A person works for one partner: a second invitation does not move them.
    "with accepted as ( \
       update partner_invitations set accepted_at = now() \
       where email = $2 and accepted_at is null returning partner_id) \
     insert into partner_users (user_id, partner_id) select $1, partner_id from accepted \
     on conflict (user_id) do nothing",
];

/// Turns pending invitations for `email` into memberships (reactivating a former
/// member with the invited role), union roles and partner users.
async fn accept_pending(tx: &db::Scoped, user_id: Uuid, email: &str) -> Result<(), Error> {
    let accepted = invitation::Entity::update_many()
        .set(invitation::ActiveModel {
            status: Set(InvitationStatus::Accepted),
            accepted_by: Set(Some(user_id)),
            ..Default::default()
        })
        .col_expr(invitation::Column::AcceptedAt, Expr::current_timestamp())
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::Status.eq("pending"))
        .filter(
            invitation::Column::ExpiresAt
                .into_expr()
                .gt(Expr::current_timestamp()),
        )
        .exec_with_returning(&**tx)
        .await
        .map_err(errors::orm)?;
    for invitation::Model {
        tenant_id, role, ..
    } in accepted
    {
        exec(
            tx,
            "insert into memberships (tenant_id, id, user_id, role) values ($1, $2, $3, $4) \
             on conflict (tenant_id, user_id) do update \
               set role = excluded.role, status = 'active', deactivated_at = null, updated_at = now()",
            vec![tenant_id.into(), Uuid::now_v7().into(), user_id.into(), role.into()],
        )
        .await?;
    }
    for sql in ACCEPT_GRANTS {
        exec(tx, sql, vec![user_id.into(), email.into()]).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> (Principal, Uuid, Uuid) {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        (
            Principal {
                user_id: UserId::new(),
                union_role: None,
                partner_id: None,
                memberships: vec![
                    PrincipalMembership {
                        tenant_id: a,
                        slug: "a".into(),
                        role: TenantRole::Director,
                    },
                    PrincipalMembership {
                        tenant_id: b,
                        slug: "b".into(),
                        role: TenantRole::Viewer,
                    },
                ],
            },
            a,
            b,
        )
    }

    fn tenant_of(a: Result<Acting, Error>) -> Option<(Uuid, TenantRole)> {
        match a {
            Ok(Acting::Association(t)) => Some((t.tenant_id.0, t.role)),
            _ => None,
        }
    }

    #[test]
    fn header_picks_by_slug_uuid_or_global_id() {
        let (p, a, b) = principal();
        assert_eq!(tenant_of(p.acting(None, Some("a"))).map(|t| t.0), Some(a));
        assert_eq!(
            tenant_of(p.acting(None, Some(&b.to_string()))).map(|t| t.1),
            Some(TenantRole::Viewer)
        );
        let gid = kernel::gid::encode("Tenant", b);
        assert_eq!(tenant_of(p.acting(None, Some(&gid))).map(|t| t.0), Some(b));
        assert_eq!(
            tenant_of(p.acting(Some("Association"), Some(" a "))).map(|t| t.0),
            Some(a)
        );
        assert!(matches!(
            p.acting(None, Some("c")),
            Err(Error::Forbidden(_))
        ));
        assert!(p.acting(None, Some(&Uuid::now_v7().to_string())).is_err());
        // Two memberships and no header: undecided, even when asking for an association.
        assert_eq!(p.acting(None, None).ok(), Some(Acting::Undecided));
        assert_eq!(
            p.acting(Some("association"), None).ok(),
            Some(Acting::Undecided)
        );
    }

    #[test]
    fn a_partner_on_a_board_chooses_per_request() {
        let (mut p, a, _) = principal();
        p.memberships.truncate(1);
        let partner = PartnerId::new();
        p.partner_id = Some(partner);
        // Two identities, no choice: undecided, and the choices say which.
        assert_eq!(p.acting(None, None).ok(), Some(Acting::Undecided));
        assert_eq!(
            p.choices()
                .iter()
                .map(ActorChoice::act_as)
                .collect::<Vec<_>>(),
            ["association", "partner"]
        );
        assert_eq!(
            p.acting(Some("partner"), None).ok(),
            Some(Acting::Partner(partner))
        );
        assert_eq!(
            tenant_of(p.acting(Some("association"), None)),
            Some((a, TenantRole::Director))
        );
        assert_eq!(tenant_of(p.acting(None, Some("a"))).map(|t| t.0), Some(a));
        // A contradiction is refused, not half-honoured.
        assert!(matches!(
            p.acting(Some("partner"), Some("a")),
            Err(Error::Validation { .. })
        ));
        assert!(matches!(
            p.acting(Some("boss"), None),
            Err(Error::Validation { .. })
        ));
        // An identity the person does not hold.
        assert!(matches!(
            p.acting(Some("union"), None),
            Err(Error::Forbidden(_))
        ));
        // Union staff who are also members: the same rule.
        p.union_role = Some(UnionRole::Auditor);
        p.partner_id = None;
        assert_eq!(p.acting(None, None).ok(), Some(Acting::Undecided));
        assert_eq!(
            p.acting(Some("union"), None).ok(),
            Some(Acting::Union(UnionRole::Auditor))
        );
        assert!(matches!(
            p.acting(Some("partner"), None),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn one_identity_needs_no_header() {
        let (mut p, a, _) = principal();
        p.memberships.truncate(1);
        assert_eq!(tenant_of(p.acting(None, None)).map(|t| t.0), Some(a));
        p.memberships.clear();
        assert_eq!(p.acting(None, None).ok(), Some(Acting::Nothing));
        let partner = PartnerId::new();
        p.partner_id = Some(partner);
        assert_eq!(p.acting(None, None).ok(), Some(Acting::Partner(partner)));
        assert_eq!(
            p.acting(Some(" PARTNER "), None).ok(),
            Some(Acting::Partner(partner))
        );
        p.partner_id = None;
        p.union_role = Some(UnionRole::Admin);
        assert_eq!(
            p.acting(None, None).ok(),
            Some(Acting::Union(UnionRole::Admin))
        );
        assert!(matches!(
            p.acting(Some("association"), None),
            Err(Error::Forbidden(_))
        ));
    }
}
