//! A partner's contacts (the people the union and associations deal with there):
//! read by the union and by the partner itself, added by the union admin.

use super::model::{Contact, NewContact};
use super::repo::map_err;
use super::rules;
use crate::Partners;
use crate::entity::partner_contact::{self, Column};
use kernel::{Ctx, Error, PartnerScope, UnionRole};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

impl Partners {
    pub async fn add_partner_contact(
        &self,
        ctx: &Ctx,
        partner: Uuid,
        c: NewContact,
    ) -> Result<Contact, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let c = rules::check_contact(c)?;
        let tx = self.db.scoped(ctx).await?;
        let out = partner_contact::ActiveModel {
            id: Set(Uuid::now_v7()),
            partner_id: Set(partner),
            full_name: Set(c.full_name),
            job_title: Set(c.job_title),
            email: Set(c.email),
            phone: Set(c.phone),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(out)
    }

    /// Contacts of `partners`: every one for the union, a partner's own for the
    /// partner (scope agreements:read for API clients), FORBIDDEN for anyone else.
    pub async fn partner_contacts(
        &self,
        ctx: &Ctx,
        partners: &[Uuid],
    ) -> Result<Vec<Contact>, Error> {
        let wanted: Vec<Uuid> = if ctx.union_role().is_some() {
            partners.to_vec()
        } else {
            let own = ctx.require_partner(PartnerScope::AgreementsRead)?;
            partners.iter().copied().filter(|p| *p == own.0).collect()
        };
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let select = partner_contact::Entity::find()
            .filter(Column::PartnerId.eq_any(wanted))
            .order_by_asc(Column::FullName)
            .order_by_asc(Column::Id);
        self.db.select_all(ctx, select, map_err).await
    }
}
