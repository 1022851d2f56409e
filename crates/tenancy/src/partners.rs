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

impl Tenancy {
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
