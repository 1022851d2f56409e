//! Partner organisations (EDF, ENGIE, SNCF, ...): known to the whole network;
//! created by union admins. Agreements and API clients come with the partners domain.

use crate::{Tenancy, audit, errors, validate};
use entity::partner_organisation;
use kernel::{Ctx, Error, Page, PageRequest, UnionRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

pub const SECTORS: &[&str] = &[
    "energy",
    "water",
    "transport",
    "postal",
    "telecom",
    "public_body",
    "social_security",
    "other",
];

/// An invitation for a partner's person, accepted at their first login.
#[derive(Clone, Debug)]
pub struct PartnerInvitation {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub email: String,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub accepted_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl Tenancy {
    /// Invites a person of partner `partner_id` (union admin). At their first login with
    /// this verified email, they become one of the partner's users.
    pub async fn invite_partner_user(
        &self,
        ctx: &Ctx,
        partner_id: Uuid,
        email: &str,
    ) -> Result<PartnerInvitation, Error> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        ctx.require_union_role(&[UnionRole::Admin])?;
        let email = validate::email("email", email)?;
        let tx = self.db.scoped(ctx).await?;
        let row = tx
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "insert into partner_invitations (id, partner_id, email, invited_by) values ($1, $2, $3, $4) \
                 returning id, partner_id, email, created_at, accepted_at",
                [
                    Uuid::now_v7().into(),
                    partner_id.into(),
                    email.into(),
                    ctx.user_id().map(|u| u.0).into(),
                ],
            ))
            .await
            .map_err(|e| match db::DbError::from(e) {
                db::DbError::Constraint(c) if c == "partner_invitations_partner_id_fkey" => {
                    Error::validation("partnerId", "unknown partner")
                }
                db::DbError::Constraint(c) if c == "partner_invitations_pending_email_key" => {
                    Error::conflict("email: an invitation is already pending for this address")
                }
                other => Error::from(other),
            })?
            .ok_or_else(|| Error::internal_msg("insert returned nothing"))?;
        let inv = PartnerInvitation {
            id: row.try_get_by_index(0).map_err(errors::orm)?,
            partner_id: row.try_get_by_index(1).map_err(errors::orm)?,
            email: row.try_get_by_index(2).map_err(errors::orm)?,
            created_at: row.try_get_by_index(3).map_err(errors::orm)?,
            accepted_at: row.try_get_by_index(4).map_err(errors::orm)?,
        };
        audit::union_event(&tx, ctx, None, "partner_user.invited", Some(inv.id)).await?;
        tx.commit().await?;
        Ok(inv)
    }

    pub async fn create_partner(
        &self,
        ctx: &Ctx,
        name: &str,
        sector: &str,
        national: bool,
    ) -> Result<partner_organisation::Model, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let name = validate::text("name", name, 2, 200)?;
        if !SECTORS.contains(&sector) {
            return Err(Error::validation("sector", "unknown sector"));
        }
        let tx = self.db.scoped(ctx).await?;
        let p = partner_organisation::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            sector: Set(sector.to_owned()),
            reach: Set(if national { "national" } else { "local" }.into()),
            created_at: Set(chrono::Utc::now().into()),
        }
        .insert(&*tx)
        .await
        .map_err(errors::orm)?;
        audit::union_event(&tx, ctx, None, "partner.created", Some(p.id)).await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn list_partners(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<partner_organisation::Model>, Error> {
        ctx.require_user()?;
        let tx = self.db.scoped(ctx).await?;
        let mut q =
            partner_organisation::Entity::find().order_by_asc(partner_organisation::Column::Id);
        if let Some(after) = page.after {
            q = q.filter(partner_organisation::Column::Id.gt(after));
        }
        let rows = q.limit(page.fetch()).all(&*tx).await.map_err(errors::orm)?;
        tx.commit().await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn partners_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<partner_organisation::Model>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let rows = partner_organisation::Entity::find()
            .filter(partner_organisation::Column::Id.is_in(ids.iter().copied()))
            .all(&*tx)
            .await
            .map_err(errors::orm)?;
        tx.commit().await?;
        Ok(rows)
    }
}
