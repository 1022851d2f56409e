//! A partner's contacts (the people the union and associations deal with there):
//! read by the union and by the partner itself, added by the union admin.

use super::model::{Contact, NewContact};
use super::repo::{CONTACT_COLUMNS, contact, map_err, stmt};
use super::rules;
use crate::Partners;
use kernel::{Ctx, Error, PartnerScope, UnionRole};
use sea_orm::ConnectionTrait;
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
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "insert into partner_contacts (id, partner_id, full_name, job_title, email, phone) \
                     values ($1, $2, $3, $4, $5, $6) returning {CONTACT_COLUMNS}"
                ),
                vec![
                    Uuid::now_v7().into(),
                    partner.into(),
                    c.full_name.into(),
                    c.job_title.into(),
                    c.email.into(),
                    c.phone.into(),
                ],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?;
        let out = contact(&r)?;
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
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!(
                    "select {CONTACT_COLUMNS} from partner_contacts where partner_id = any($1) order by full_name, id"
                ),
                vec![wanted.into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(contact).collect()
    }
}
