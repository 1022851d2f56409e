//! Pseudonymous beneficiaries, created only when follow-up needs it, always with the
//! consent that allows it (purpose, recipient, date, channel, expiry).

use crate::entity::{beneficiary, consent};
use crate::model::*;
use crate::repo::{self, map_err};
use crate::{Journal, WRITERS};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

fn check_consent(c: &NewConsent, today: chrono::NaiveDate) -> Result<(), Error> {
    let n = c.purpose.trim().chars().count();
    if !(3..=300).contains(&n) {
        return Err(Error::validation(
            "consent.purpose",
            "between 3 and 300 characters",
        ));
    }
    if c.given_on > today {
        return Err(Error::validation("consent.givenOn", "in the future"));
    }
    if c.expires_on <= c.given_on {
        return Err(Error::validation(
            "consent.expiresOn",
            "after the date it was given",
        ));
    }
    if (c.expires_on - c.given_on).num_days() > 3 * 366 {
        return Err(Error::validation(
            "consent.expiresOn",
            "at most three years after it was given",
        ));
    }
    Ok(())
}

impl Journal {
    /// Opens a pseudonymous follow-up record with the consent given for it.
    pub async fn create_beneficiary(
        &self,
        ctx: &Ctx,
        age_band: Option<AgeBand>,
        sex: Option<Sex>,
        neighbourhood: Option<String>,
        consent: NewConsent,
    ) -> Result<(Beneficiary, Consent), Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let user = ctx.require_user()?;
        check_consent(&consent, kernel::time::today())?;
        let neighbourhood = neighbourhood
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if neighbourhood
            .as_ref()
            .is_some_and(|n| n.chars().count() > 100)
        {
            return Err(Error::validation("neighbourhood", "at most 100 characters"));
        }
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let id = Uuid::now_v7();
        // A pseudonym staff can say out loud, unique in the association: B-<year>-<n>.
        let b: Beneficiary = repo::row(
            &tx,
            "insert into beneficiaries (tenant_id, id, pseudonym, age_band, sex, neighbourhood, created_by) \
             select $1, $2, 'B-' || to_char(now(), 'YYYY') || '-' || lpad((count(*) + 1)::text, 5, '0'), $3, $4, $5, $6 \
             from beneficiaries where tenant_id = $1 returning *",
            vec![
                tenant.into(),
                id.into(),
                age_band.into(),
                sex.into(),
                neighbourhood.into(),
                user.0.into(),
            ],
        )
        .await?
        .ok_or_else(|| Error::internal_msg("no row"))?;
        let c = insert_consent(&tx, tenant, id, &consent).await?;
        tx.commit().await?;
        Ok((b, c))
    }

    pub async fn add_consent(
        &self,
        ctx: &Ctx,
        beneficiary: Uuid,
        consent: NewConsent,
    ) -> Result<Consent, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        check_consent(&consent, kernel::time::today())?;
        let tx = self.db.scoped(ctx).await?;
        let c = insert_consent(&tx, scope.tenant_id.0, beneficiary, &consent).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Records that the person withdrew a consent (kept, dated).
    pub async fn withdraw_consent(&self, ctx: &Ctx, consent: Uuid) -> Result<Consent, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let withdrawn: Consent = repo::row(
            &tx,
            "update consents set withdrawn_on = greatest(current_date, given_on) where tenant_id = $1 and id = $2 \
             and withdrawn_on is null returning *",
            vec![scope.tenant_id.0.into(), consent.into()],
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(withdrawn)
    }

    pub async fn list_beneficiaries(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Beneficiary>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        use beneficiary::Column as C;
        let rows = beneficiary::Entity::find()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .filter(C::AnonymisedAt.is_null())
            .apply_if(page.after, |q, after| q.filter(C::Id.gt(after)))
            .order_by_asc(C::Id)
            .limit(page.fetch())
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn beneficiaries_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Beneficiary>, Error> {
        let Ok(scope) = ctx.require_tenant_role(WRITERS) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = beneficiary::Entity::find()
            .filter(beneficiary::Column::TenantId.eq(scope.tenant_id.0))
            .filter(beneficiary::Column::Id.eq_any(ids.iter().copied()))
            .filter(beneficiary::Column::AnonymisedAt.is_null())
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn consents_of(&self, ctx: &Ctx, beneficiary: Uuid) -> Result<Vec<Consent>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let rows = consent::Entity::find()
            .filter(consent::Column::TenantId.eq(scope.tenant_id.0))
            .filter(consent::Column::BeneficiaryId.eq(beneficiary))
            .order_by_asc(consent::Column::GivenOn)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Ensures every named beneficiary has a consent active on `day` and not withdrawn
    /// since: a withdrawal stops named attendance from that moment, even for an
    /// earlier workshop recorded afterwards.
    pub(crate) async fn require_consent(
        &self,
        tx: &db::Scoped,
        tenant: Uuid,
        ids: &[Uuid],
        day: chrono::NaiveDate,
    ) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let missing: i64 = repo::scalar(
            tx,
            "select count(*) as missing from unnest($2::uuid[]) b where not exists (select 1 from consents c \
             where c.tenant_id = $1 and c.beneficiary_id = b and c.given_on <= $3 and c.expires_on > $3 \
             and (c.withdrawn_on is null or c.withdrawn_on > greatest($3, current_date)))",
            vec![tenant.into(), ids.to_vec().into(), day.into()],
            "missing",
        )
        .await?
        .unwrap_or(0);
        if missing > 0 {
            return Err(Error::validation(
                "namedAttendees",
                "every named attendee needs a consent valid on that day",
            ));
        }
        Ok(())
    }
}

async fn insert_consent(
    tx: &db::Scoped,
    tenant: Uuid,
    beneficiary: Uuid,
    c: &NewConsent,
) -> Result<Consent, Error> {
    if let Some(p) = c.recipient_partner_id {
        let known: Option<bool> = repo::scalar(
            tx,
            "select exists (select 1 from partner_organisations where id = $1) as known",
            vec![p.into()],
            "known",
        )
        .await?;
        if known != Some(true) {
            return Err(Error::validation(
                "consent.recipientPartnerId",
                "not a partner organisation of the network",
            ));
        }
    }
    // An anonymised beneficiary takes no consent: it is as gone.
    repo::row(
        tx,
        "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient_partner_id, given_on, channel, expires_on) \
         select $1, $2, b.id, $4, $5, $6, $7, $8 from beneficiaries b \
         where b.tenant_id = $1 and b.id = $3 and b.anonymised_at is null returning *",
        vec![
            tenant.into(),
            Uuid::now_v7().into(),
            beneficiary.into(),
            c.purpose.trim().to_owned().into(),
            c.recipient_partner_id.into(),
            c.given_on.into(),
            c.channel.into(),
            c.expires_on.into(),
        ],
    )
    .await?
    .ok_or(Error::NotFound)
}
