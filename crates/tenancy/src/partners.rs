//! Partner organisations (EDF, ENGIE, SNCF, ...): known to the whole network;
//! created by union admins. Agreements and API clients come with the partners domain.

use crate::audit::Trail;
use crate::{Tenancy, audit, errors, validate};
use entity::partner_organisation::{PartnerReach, PartnerSector};
use entity::{partner_invitation, partner_organisation};
use kernel::{Ctx, Error, Page, PageRequest, UnionRole};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

/// An invitation for a partner's person, accepted at their first login.
#[derive(Clone, Debug)]
pub struct PartnerInvitation {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub email: String,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub accepted_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<partner_invitation::Model> for PartnerInvitation {
    fn from(m: partner_invitation::Model) -> Self {
        PartnerInvitation {
            id: m.id,
            partner_id: m.partner_id,
            email: m.email,
            created_at: m.created_at,
            accepted_at: m.accepted_at,
        }
    }
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
        ctx.require_union_role(&[UnionRole::Admin])?;
        let email = validate::email("email", email)?;
        let tx = self.db.scoped(ctx).await?;
        // Created now, by the table's default; not accepted yet.
        let inv = partner_invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(partner_id),
            email: Set(email),
            invited_by: Set(ctx.user_id().map(|u| u.0)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(|e| match db::DbError::from(e) {
            db::DbError::Constraint(c) if c == "partner_invitations_partner_id_fkey" => {
                Error::validation("partnerId", "unknown partner")
            }
            db::DbError::Constraint(c) if c == "partner_invitations_pending_email_key" => {
                Error::conflict("email: an invitation is already pending for this address")
            }
            other => Error::from(other),
        })?;
        audit::event(
            &tx,
            ctx,
            Trail::Union(None),
            "partner_user.invited",
            Some(inv.id),
        )
        .await?;
        crate::members::invitation_created(
            &tx,
            crate::members::Invited::Partner(partner_id),
            inv.id,
        )
        .await?;
        tx.commit().await?;
        Ok(inv.into())
    }

    pub async fn create_partner(
        &self,
        ctx: &Ctx,
        name: &str,
        sector: PartnerSector,
        national: bool,
    ) -> Result<partner_organisation::Model, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let name = validate::text("name", name, 2, 200)?;
        let tx = self.db.scoped(ctx).await?;
        let p = partner_organisation::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            sector: Set(sector),
            reach: Set(if national {
                PartnerReach::National
            } else {
                PartnerReach::Local
            }),
            created_at: Set(chrono::Utc::now().into()),
        }
        .insert(&*tx)
        .await
        .map_err(errors::orm)?;
        audit::event(&tx, ctx, Trail::Union(None), "partner.created", Some(p.id)).await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn list_partners(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<partner_organisation::Model>, Error> {
        ctx.require_user()?;
        let q = partner_organisation::Entity::find();
        self.page_of(ctx, q, partner_organisation::Column::Id, page)
            .await
    }

    pub async fn partners_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<partner_organisation::Model>, Error> {
        let q = partner_organisation::Entity::find();
        self.by_ids(ctx, q, partner_organisation::Column::Id, ids)
            .await
    }
}
