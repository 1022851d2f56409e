//! Sites: an association's reception points, permanences and mobile units, with their
//! weekly hours, exceptional closures, labels (France Services, Point Conseil Budget...)
//! and services. Directors and coordinators manage them; the whole association reads
//! them; the union reads every association's (the network map).

pub mod entity;
mod model;
mod repo;
mod rules;

pub use model::{
    Closure, Label, LabelKind, NewSite, OpeningSlot, SERVICES, Site, SiteKind, SitePatch,
};
pub use rules::validate_slots;

use db::Db;
use kernel::{Ctx, Error, Page, PageRequest, TenantRole, UnionRole};
use uuid::Uuid;

const MANAGERS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];

#[derive(Clone, Debug)]
pub struct Sites {
    db: Db,
}

impl Sites {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create(&self, ctx: &Ctx, input: NewSite) -> Result<Site, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let input = rules::check_new(input)?;
        let tx = self.db.scoped(ctx).await?;
        if let Some(parent) = input.parent_site_id {
            let p = repo::get(&tx, scope.tenant_id.0, parent).await?;
            match p {
                Some(p) if p.kind == SiteKind::Site => {}
                Some(_) => {
                    return Err(Error::validation(
                        "parentSiteId",
                        "a permanence belongs to a site, not to another permanence or a mobile unit",
                    ));
                }
                None => return Err(Error::validation("parentSiteId", "unknown site")),
            }
        }
        let site = repo::insert(&tx, scope.tenant_id.0, &input).await?;
        tx.commit().await?;
        Ok(site)
    }

    pub async fn update(&self, ctx: &Ctx, id: Uuid, patch: SitePatch) -> Result<Site, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let tx = self.db.scoped(ctx).await?;
        let current = repo::get(&tx, scope.tenant_id.0, id)
            .await?
            .ok_or(Error::NotFound)?;
        let next = rules::apply_patch(current, patch)?;
        let site = repo::update(&tx, scope.tenant_id.0, &next).await?;
        tx.commit().await?;
        Ok(site)
    }

    /// Replaces the whole weekly schedule (what a coordinator edits as one form).
    pub async fn set_hours(
        &self,
        ctx: &Ctx,
        id: Uuid,
        slots: Vec<OpeningSlot>,
    ) -> Result<Site, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        rules::validate_slots(&slots)?;
        let tx = self.db.scoped(ctx).await?;
        let site = repo::get(&tx, scope.tenant_id.0, id)
            .await?
            .ok_or(Error::NotFound)?;
        repo::replace_hours(&tx, scope.tenant_id.0, id, &slots).await?;
        tx.commit().await?;
        Ok(site)
    }

    pub async fn add_closure(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        c: Closure,
    ) -> Result<Closure, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let c = rules::check_closure(c)?;
        let tx = self.db.scoped(ctx).await?;
        repo::get(&tx, scope.tenant_id.0, site_id)
            .await?
            .ok_or(Error::NotFound)?;
        let c = repo::insert_closure(&tx, scope.tenant_id.0, site_id, c).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn remove_closure(&self, ctx: &Ctx, closure_id: Uuid) -> Result<Uuid, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let tx = self.db.scoped(ctx).await?;
        let site_id = repo::delete_closure(&tx, scope.tenant_id.0, closure_id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(site_id)
    }

    pub async fn add_label(&self, ctx: &Ctx, site_id: Uuid, l: Label) -> Result<Label, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let l = rules::check_label(l)?;
        let tx = self.db.scoped(ctx).await?;
        repo::get(&tx, scope.tenant_id.0, site_id)
            .await?
            .ok_or(Error::NotFound)?;
        let l = repo::insert_label(&tx, scope.tenant_id.0, site_id, l).await?;
        tx.commit().await?;
        Ok(l)
    }

    /// The active association's sites.
    pub async fn list(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        include_closed: bool,
    ) -> Result<Page<Site>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::list(&tx, Some(scope.tenant_id.0), page, include_closed).await?;
        tx.commit().await?;
        Ok(Page::from_rows(rows, &page))
    }

    /// Every association's sites (union staff): the network map.
    pub async fn list_network(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        tenant: Option<Uuid>,
        include_closed: bool,
    ) -> Result<Page<Site>, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        let tx = self.db.scoped(ctx).await?;
        let rows = match tenant {
            Some(t) => repo::list(&tx, Some(t), page, include_closed).await?,
            None => repo::list(&tx, None, page, include_closed).await?,
        };
        tx.commit().await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Site>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::by_ids(&tx, ctx.tenant().map(|t| t.tenant_id.0), ids).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Hours, closures and labels of several sites at once (DataLoader).
    pub async fn details(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Vec<OpeningSlot>, Vec<Closure>, Vec<Label>)>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::details(&tx, ids).await?;
        tx.commit().await?;
        Ok(rows)
    }
}
