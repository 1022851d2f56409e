//! Contracts: one per association and term, written by the union admin, read by the
//! association's staff (not its viewers) and the union's admin and auditors. Status
//! changes and amendments keep the previous state in the history.

use crate::entity::{amendment as am, contract as co, signatory as si};
use crate::model::{Amendment, Contract, ContractStatus, NewContract, Signatory, SubjectKind};
use crate::{AUDITORS, Compliance, author, map_err, record_history};
use chrono::{Days, NaiveDate};
use kernel::{Ctx, Error, Page, PageRequest, TenantRole, UnionRole};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

const ADMIN: &[UnionRole] = &[UnionRole::Admin];
/// Staff who read the contract: everyone but the board's viewers.
const STAFF: &[TenantRole] = &[
    TenantRole::Director,
    TenantRole::Coordinator,
    TenantRole::Mediator,
];

/// How far ahead the renewal calendar looks.
pub const RENEWAL_WINDOW_DAYS: u64 = 90;

fn snapshot(c: &Contract) -> serde_json::Value {
    json!({
        "status": c.status.as_str(),
        "signedOn": c.signed_on,
        "termEndsOn": c.term_ends_on,
        "renewalOn": c.renewal_on,
    })
}

/// Contracts as they read today: one in force whose term has passed reads expired
/// even before the daily check has stored it (`jobs::expire_contracts`).
fn as_of(mut rows: Vec<Contract>) -> Vec<Contract> {
    let today = kernel::time::today();
    for c in &mut rows {
        if c.status == ContractStatus::InForce && c.term_ends_on < today {
            c.status = ContractStatus::Expired;
        }
    }
    rows
}

impl Compliance {
    pub async fn create_contract(&self, ctx: &Ctx, n: NewContract) -> Result<Contract, Error> {
        ctx.require_union_role(ADMIN)?;
        let reference = kernel::input::text("reference", &n.reference, 2, 64)?;
        if n.term_ends_on <= n.signed_on {
            return Err(Error::validation(
                "termEndsOn",
                "le terme doit suivre la signature",
            ));
        }
        let renewal_on = n.renewal_on.unwrap_or(n.term_ends_on);
        if renewal_on > n.term_ends_on || renewal_on < n.signed_on {
            return Err(Error::validation(
                "renewalOn",
                "le renouvellement se décide entre la signature et le terme",
            ));
        }
        if n.signatories.is_empty() {
            return Err(Error::validation("signatories", "au moins un signataire"));
        }
        let mut signatories = Vec::new();
        for (i, (party, name, role)) in n.signatories.iter().enumerate() {
            signatories.push((
                *party,
                kernel::input::text(&format!("signatories[{i}].fullName"), name, 2, 200)?,
                kernel::input::text(&format!("signatories[{i}].roleTitle"), role, 2, 200)?,
            ));
        }
        let tx = self.db.scoped(ctx).await?;
        self.published_version(&tx, n.catalogue_version_id, "catalogueVersionId")
            .await?;
        let c = co::ActiveModel {
            tenant_id: Set(n.tenant_id),
            id: Set(Uuid::now_v7()),
            reference: Set(reference),
            signed_on: Set(n.signed_on),
            term_ends_on: Set(n.term_ends_on),
            renewal_on: Set(renewal_on),
            status: Set(n.status),
            catalogue_version_id: Set(n.catalogue_version_id),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(|e| match db::constraint_of(&e).as_deref() {
            Some("compliance_contracts_tenant_id_fkey") => {
                Error::validation("tenantId", "association inconnue")
            }
            _ => map_err(e),
        })?;
        for (party, full_name, role_title) in signatories {
            si::ActiveModel {
                tenant_id: Set(c.tenant_id),
                id: Set(Uuid::now_v7()),
                contract_id: Set(c.id),
                party: Set(party),
                full_name: Set(full_name),
                role_title: Set(role_title),
            }
            .insert(&*tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await?;
        Ok(c)
    }

    /// An amendment (avenant): its date and summary, and optionally a new term; the
    /// contract's previous dates go to the history.
    pub async fn amend_contract(
        &self,
        ctx: &Ctx,
        id: Uuid,
        signed_on: NaiveDate,
        summary: &str,
        term_ends_on: Option<NaiveDate>,
    ) -> Result<Contract, Error> {
        ctx.require_union_role(ADMIN)?;
        let summary = kernel::input::text("summary", summary, 2, 2000)?;
        let tx = self.db.scoped(ctx).await?;
        let c = co::Entity::find()
            .filter(co::Column::Id.eq(id))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if signed_on < c.signed_on {
            return Err(Error::validation(
                "signedOn",
                "un avenant suit la signature du contrat",
            ));
        }
        am::ActiveModel {
            tenant_id: Set(c.tenant_id),
            id: Set(Uuid::now_v7()),
            contract_id: Set(c.id),
            signed_on: Set(signed_on),
            summary: Set(summary.clone()),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        let mut next = c.clone();
        if let Some(t) = term_ends_on {
            if t <= c.signed_on {
                return Err(Error::validation(
                    "termEndsOn",
                    "le terme doit suivre la signature",
                ));
            }
            next = db::update_one(
                &tx,
                co::Entity::update_many()
                    .col_expr(co::Column::TermEndsOn, Expr::value(t))
                    .col_expr(co::Column::RenewalOn, Expr::value(t))
                    .col_expr(co::Column::UpdatedAt, Expr::current_timestamp())
                    .filter(co::Column::TenantId.eq(c.tenant_id))
                    .filter(co::Column::Id.eq(c.id)),
                map_err,
            )
            .await?;
        }
        record_history(
            &tx,
            ctx,
            c.tenant_id,
            SubjectKind::Contract,
            c.id,
            "amended",
            snapshot(&c),
            Some(summary),
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    pub async fn set_contract_status(
        &self,
        ctx: &Ctx,
        id: Uuid,
        status: ContractStatus,
        reason: &str,
    ) -> Result<Contract, Error> {
        ctx.require_union_role(ADMIN)?;
        let reason = kernel::input::text("reason", reason, 2, 2000)?;
        let tx = self.db.scoped(ctx).await?;
        let c = self.set_status_in(&tx, ctx, id, status, reason).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub(crate) async fn set_status_in(
        &self,
        tx: &db::Scoped,
        ctx: &Ctx,
        id: Uuid,
        status: ContractStatus,
        reason: String,
    ) -> Result<Contract, Error> {
        let c = co::Entity::find()
            .filter(co::Column::Id.eq(id))
            .one(&**tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let next = db::update_one(
            tx,
            co::Entity::update_many()
                .col_expr(co::Column::Status, Expr::value(status.as_str()))
                .col_expr(co::Column::UpdatedAt, Expr::current_timestamp())
                .filter(co::Column::TenantId.eq(c.tenant_id))
                .filter(co::Column::Id.eq(c.id)),
            map_err,
        )
        .await?;
        record_history(
            tx,
            ctx,
            c.tenant_id,
            SubjectKind::Contract,
            c.id,
            "status",
            snapshot(&c),
            Some(reason),
        )
        .await?;
        Ok(next)
    }

    /// One page of the active association's contracts (its staff, not its viewers);
    /// for the union's admin and auditors, every association's or one's. In the order
    /// they were recorded.
    pub async fn contracts(
        &self,
        ctx: &Ctx,
        tenant: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Contract>, Error> {
        let mut q = co::Entity::find();
        if ctx.union_role().is_some() {
            ctx.require_union_role(AUDITORS)?;
            if let Some(t) = tenant {
                q = q.filter(co::Column::TenantId.eq(t));
            }
        } else {
            let s = ctx.require_tenant_role(STAFF)?;
            q = q.filter(co::Column::TenantId.eq(s.tenant_id.0));
        }
        let q = crate::audits::keyset(q, co::Column::Id, &page);
        let rows = self.db.select_all(ctx, q, map_err).await?;
        Ok(Page::from_rows(as_of(rows), &page))
    }

    pub async fn contracts_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Contract>, Error> {
        let mut q = co::Entity::find().filter(co::Column::Id.is_in(ids.iter().copied()));
        if ctx.union_role().is_some() {
            ctx.require_union_role(AUDITORS)?;
        } else {
            let s = ctx.require_tenant_role(STAFF)?;
            q = q.filter(co::Column::TenantId.eq(s.tenant_id.0));
        }
        Ok(as_of(self.db.select_all(ctx, q, map_err).await?))
    }

    /// Contracts in force reaching their term within 90 days (Paris dates), soonest
    /// first: the union admin's renewal calendar (a list, not a connection: one
    /// contract in force per association at most, in the calendar's order).
    pub async fn contracts_to_renew(&self, ctx: &Ctx) -> Result<Vec<Contract>, Error> {
        ctx.require_union_role(ADMIN)?;
        let today = kernel::time::today();
        let until = today
            .checked_add_days(Days::new(RENEWAL_WINDOW_DAYS))
            .unwrap_or(today);
        let q = co::Entity::find()
            .filter(co::Column::Status.eq(ContractStatus::InForce.as_str()))
            .filter(co::Column::TermEndsOn.gte(today))
            .filter(co::Column::TermEndsOn.lte(until))
            .order_by_asc(co::Column::TermEndsOn)
            .order_by_asc(co::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn signatories(&self, ctx: &Ctx, contract: Uuid) -> Result<Vec<Signatory>, Error> {
        let q = si::Entity::find()
            .filter(si::Column::ContractId.eq(contract))
            .order_by_asc(si::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn amendments(&self, ctx: &Ctx, contract: Uuid) -> Result<Vec<Amendment>, Error> {
        let q = am::Entity::find()
            .filter(am::Column::ContractId.eq(contract))
            .order_by_asc(am::Column::SignedOn);
        self.db.select_all(ctx, q, map_err).await
    }

    /// A published version, or VALIDATION on `field`.
    pub(crate) async fn published_version(
        &self,
        tx: &db::Scoped,
        id: Uuid,
        field: &str,
    ) -> Result<crate::CatalogueVersion, Error> {
        use crate::entity::catalogue_version as cv;
        let v = cv::Entity::find_by_id(id)
            .one(&**tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::validation(field, "version inconnue"))?;
        if v.status != crate::VersionStatus::Published {
            return Err(Error::validation(field, "la version doit être publiée"));
        }
        Ok(v)
    }
}
