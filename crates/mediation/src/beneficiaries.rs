//! Pseudonymous beneficiaries, created only when follow-up needs it, always with the
//! consent that allows it (purpose, recipient, date, channel, expiry).

use crate::model::*;
use crate::repo::{map_err, parse, stmt};
use crate::{Journal, WRITERS};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

fn consent_row(r: &QueryResult) -> Result<Consent, Error> {
    let channel: String = r.try_get_by_index(5).map_err(map_err)?;
    Ok(Consent {
        id: r.try_get_by_index(0).map_err(map_err)?,
        beneficiary_id: r.try_get_by_index(1).map_err(map_err)?,
        purpose: r.try_get_by_index(2).map_err(map_err)?,
        recipient: r.try_get_by_index(3).map_err(map_err)?,
        given_on: r.try_get_by_index(4).map_err(map_err)?,
        channel: parse(&channel, ConsentChannel::parse)?,
        expires_on: r.try_get_by_index(6).map_err(map_err)?,
        withdrawn_on: r.try_get_by_index(7).map_err(map_err)?,
    })
}

fn beneficiary_row(r: &QueryResult) -> Result<Beneficiary, Error> {
    let age: Option<String> = r.try_get_by_index(2).map_err(map_err)?;
    let sex: Option<String> = r.try_get_by_index(3).map_err(map_err)?;
    Ok(Beneficiary {
        id: r.try_get_by_index(0).map_err(map_err)?,
        pseudonym: r.try_get_by_index(1).map_err(map_err)?,
        age_band: age
            .as_deref()
            .map(|a| parse(a, AgeBand::parse))
            .transpose()?,
        sex: sex.as_deref().map(|s| parse(s, Sex::parse)).transpose()?,
        neighbourhood: r.try_get_by_index(4).map_err(map_err)?,
        created_at: r.try_get_by_index(5).map_err(map_err)?,
    })
}

const CONSENT_COLUMNS: &str =
    "id, beneficiary_id, purpose, recipient, given_on, channel, expires_on, withdrawn_on";
const BENEFICIARY_COLUMNS: &str = "id, pseudonym, age_band, sex, neighbourhood, created_at";

fn check_consent(c: &NewConsent, today: chrono::NaiveDate) -> Result<(), Error> {
    for (field, v) in [
        ("consent.purpose", &c.purpose),
        ("consent.recipient", &c.recipient),
    ] {
        let n = v.trim().chars().count();
        if !(3..=300).contains(&n) {
            return Err(Error::validation(field, "between 3 and 300 characters"));
        }
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
        let row = tx
            .query_one_raw(stmt(
                &format!(
                    "insert into beneficiaries (tenant_id, id, pseudonym, age_band, sex, neighbourhood, created_by) \
                     select $1, $2, 'B-' || to_char(now(), 'YYYY') || '-' || lpad((count(*) + 1)::text, 5, '0'), $3, $4, $5, $6 \
                     from beneficiaries where tenant_id = $1 returning {BENEFICIARY_COLUMNS}"
                ),
                vec![
                    tenant.into(),
                    id.into(),
                    age_band.map(|a| a.as_str().to_owned()).into(),
                    sex.map(|s| s.as_str().to_owned()).into(),
                    neighbourhood.into(),
                    user.0.into(),
                ],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?;
        let b = beneficiary_row(&row)?;
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
        let row = tx
            .query_one_raw(stmt(
                &format!(
                    "update consents set withdrawn_on = greatest(current_date, given_on) where tenant_id = $1 and id = $2 \
                     and withdrawn_on is null returning {CONSENT_COLUMNS}"
                ),
                vec![scope.tenant_id.0.into(), consent.into()],
            ))
            .await
            .map_err(map_err)?;
        let Some(row) = row else {
            return Err(Error::NotFound);
        };
        tx.commit().await?;
        consent_row(&row)
    }

    pub async fn list_beneficiaries(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Beneficiary>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!("select {BENEFICIARY_COLUMNS} from beneficiaries where tenant_id = $1 and ($2::uuid is null or id > $2) order by id limit $3"),
                vec![scope.tenant_id.0.into(), page.after.into(), (page.fetch() as i64).into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = rows
            .iter()
            .map(beneficiary_row)
            .collect::<Result<Vec<_>, _>>()?;
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
        let rows = tx
            .query_all_raw(stmt(&format!("select {BENEFICIARY_COLUMNS} from beneficiaries where tenant_id = $1 and id = any($2)"), vec![scope.tenant_id.0.into(), ids.to_vec().into()]))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(beneficiary_row).collect()
    }

    pub async fn consents_of(&self, ctx: &Ctx, beneficiary: Uuid) -> Result<Vec<Consent>, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(&format!("select {CONSENT_COLUMNS} from consents where tenant_id = $1 and beneficiary_id = $2 order by given_on"), vec![scope.tenant_id.0.into(), beneficiary.into()]))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(consent_row).collect()
    }

    /// Ensures every named beneficiary has a consent active on `day`.
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
        let missing = tx
            .query_one_raw(stmt(
                "select count(*) from unnest($2::uuid[]) b where not exists (select 1 from consents c \
                 where c.tenant_id = $1 and c.beneficiary_id = b and c.given_on <= $3 and c.expires_on > $3 \
                 and (c.withdrawn_on is null or c.withdrawn_on > $3))",
                vec![tenant.into(), ids.to_vec().into(), day.into()],
            ))
            .await
            .map_err(map_err)?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()
            .map_err(map_err)?
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
    let row = tx
        .query_one_raw(stmt(
            &format!(
                "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8) returning {CONSENT_COLUMNS}"
            ),
            vec![
                tenant.into(),
                Uuid::now_v7().into(),
                beneficiary.into(),
                c.purpose.trim().to_owned().into(),
                c.recipient.trim().to_owned().into(),
                c.given_on.into(),
                c.channel.as_str().into(),
                c.expires_on.into(),
            ],
        ))
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::internal_msg("no row"))?;
    consent_row(&row)
}
