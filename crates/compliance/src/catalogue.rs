//! The standards catalogue: versions (draft, published, retired), their principles and
//! criteria. Only the union admin writes; a published version is frozen (a trigger
//! refuses any change, so the rule holds whatever the code does); a new version is a
//! copy of another, edited, then published.

use crate::entity::{catalogue_version as cv, criterion as cr, principle as pr};
use crate::model::{CatalogueVersion, Criterion, Measure, NewCriterion, Principle, VersionStatus};
use crate::{Compliance, author, map_err, rules};
use db::Scoped;
use kernel::{Ctx, Error, UnionRole};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

const ADMIN: &[UnionRole] = &[UnionRole::Admin];

async fn draft(tx: &Scoped, id: Uuid) -> Result<CatalogueVersion, Error> {
    let v = cv::Entity::find_by_id(id)
        .one(&**tx)
        .await
        .map_err(map_err)?
        .ok_or(Error::NotFound)?;
    if v.status != VersionStatus::Draft {
        return Err(Error::validation(
            "version",
            "une version publiée ne se modifie plus : créez-en une copie",
        ));
    }
    Ok(v)
}

impl Compliance {
    /// A new draft version, empty or a copy of `copy_from` (its principles and
    /// criteria, codes kept).
    pub async fn create_version(
        &self,
        ctx: &Ctx,
        title: &str,
        copy_from: Option<Uuid>,
    ) -> Result<CatalogueVersion, Error> {
        ctx.require_union_role(ADMIN)?;
        let title = kernel::input::text("title", title, 2, 200)?;
        let tx = self.db.scoped(ctx).await?;
        let last: Option<i32> = cv::Entity::find()
            .select_only()
            .column_as(cv::Column::Version.max(), "max")
            .into_tuple::<Option<i32>>()
            .one(&*tx)
            .await
            .map_err(map_err)?
            .flatten();
        let v = cv::ActiveModel {
            id: Set(Uuid::now_v7()),
            version: Set(last.unwrap_or(0) + 1),
            title: Set(title),
            status: Set(VersionStatus::Draft),
            copied_from: Set(copy_from),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        if let Some(from) = copy_from {
            cv::Entity::find_by_id(from)
                .one(&*tx)
                .await
                .map_err(map_err)?
                .ok_or_else(|| Error::validation("copyFrom", "version inconnue"))?;
            let principles = pr::Entity::find()
                .filter(pr::Column::VersionId.eq(from))
                .all(&*tx)
                .await
                .map_err(map_err)?;
            let mut ids = HashMap::new();
            for p in principles {
                let id = Uuid::now_v7();
                ids.insert(p.id, id);
                pr::ActiveModel {
                    id: Set(id),
                    version_id: Set(v.id),
                    position: Set(p.position),
                    code: Set(p.code),
                    label: Set(p.label),
                    description: Set(p.description),
                }
                .insert(&*tx)
                .await
                .map_err(map_err)?;
            }
            for c in cr::Entity::find()
                .filter(cr::Column::VersionId.eq(from))
                .all(&*tx)
                .await
                .map_err(map_err)?
            {
                let principle = ids.get(&c.principle_id).copied().ok_or(Error::NotFound)?;
                cr::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    version_id: Set(v.id),
                    principle_id: Set(principle),
                    position: Set(c.position),
                    code: Set(c.code),
                    label: Set(c.label),
                    guidance: Set(c.guidance),
                    weight: Set(c.weight),
                    measure: Set(c.measure),
                    indicator: Set(c.indicator),
                    threshold: Set(c.threshold),
                }
                .insert(&*tx)
                .await
                .map_err(map_err)?;
            }
        }
        tx.commit().await?;
        Ok(v)
    }

    pub async fn add_principle(
        &self,
        ctx: &Ctx,
        version_id: Uuid,
        code: &str,
        label: &str,
        description: Option<String>,
    ) -> Result<Principle, Error> {
        ctx.require_union_role(ADMIN)?;
        let code = kernel::input::text("code", code, 1, 20)?;
        let label = kernel::input::text("label", label, 2, 200)?;
        let description = kernel::input::opt_text("description", description, 2000)?;
        let tx = self.db.scoped(ctx).await?;
        draft(&tx, version_id).await?;
        let n = pr::Entity::find()
            .filter(pr::Column::VersionId.eq(version_id))
            .count(&*tx)
            .await
            .map_err(map_err)?;
        let p = pr::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version_id),
            position: Set(position(n)?),
            code: Set(code),
            label: Set(label),
            description: Set(description),
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn add_criterion(&self, ctx: &Ctx, c: NewCriterion) -> Result<Criterion, Error> {
        ctx.require_union_role(ADMIN)?;
        let code = kernel::input::text("code", &c.code, 1, 20)?;
        let label = kernel::input::text("label", &c.label, 2, 300)?;
        let guidance = kernel::input::opt_text("guidance", c.guidance, 4000)?;
        if !(1..=10).contains(&c.weight) {
            return Err(Error::validation("weight", "entre 1 et 10"));
        }
        match (c.measure, c.indicator) {
            (Measure::Indicator, None) => {
                return Err(Error::validation(
                    "indicator",
                    "un critère de mesure INDICATOR nomme son indicateur",
                ));
            }
            (m, Some(_)) if m != Measure::Indicator => {
                return Err(Error::validation(
                    "indicator",
                    "seul un critère de mesure INDICATOR nomme un indicateur",
                ));
            }
            _ => {}
        }
        let threshold = rules::check_threshold(c.threshold)?;
        let tx = self.db.scoped(ctx).await?;
        let p = pr::Entity::find_by_id(c.principle_id)
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::validation("principleCode", "principe inconnu"))?;
        draft(&tx, p.version_id).await?;
        let n = cr::Entity::find()
            .filter(cr::Column::PrincipleId.eq(p.id))
            .count(&*tx)
            .await
            .map_err(map_err)?;
        let row = cr::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(p.version_id),
            principle_id: Set(p.id),
            position: Set(position(n)?),
            code: Set(code),
            label: Set(label),
            guidance: Set(guidance),
            weight: Set(c.weight),
            measure: Set(c.measure),
            indicator: Set(c.indicator),
            threshold: Set(threshold),
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(row)
    }

    /// Draft to published (frozen from then on); at least one criterion.
    pub async fn publish_version(&self, ctx: &Ctx, id: Uuid) -> Result<CatalogueVersion, Error> {
        ctx.require_union_role(ADMIN)?;
        let tx = self.db.scoped(ctx).await?;
        draft(&tx, id).await?;
        let n = cr::Entity::find()
            .filter(cr::Column::VersionId.eq(id))
            .count(&*tx)
            .await
            .map_err(map_err)?;
        if n == 0 {
            return Err(Error::validation(
                "version",
                "une version sans critère ne se publie pas",
            ));
        }
        let v = db::update_one(
            &tx,
            cv::Entity::update_many()
                .col_expr(
                    cv::Column::Status,
                    Expr::value(VersionStatus::Published.as_str()),
                )
                .col_expr(cv::Column::PublishedAt, Expr::current_timestamp())
                .col_expr(cv::Column::PublishedBy, Expr::value(author(ctx)))
                .filter(cv::Column::Id.eq(id)),
            map_err,
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Published to retired: no new campaign or contract uses it.
    pub async fn retire_version(&self, ctx: &Ctx, id: Uuid) -> Result<CatalogueVersion, Error> {
        ctx.require_union_role(ADMIN)?;
        let tx = self.db.scoped(ctx).await?;
        let v = cv::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if v.status != VersionStatus::Published {
            return Err(Error::validation(
                "version",
                "seule une version publiée se retire",
            ));
        }
        let v = db::update_one(
            &tx,
            cv::Entity::update_many()
                .col_expr(
                    cv::Column::Status,
                    Expr::value(VersionStatus::Retired.as_str()),
                )
                .col_expr(cv::Column::RetiredAt, Expr::current_timestamp())
                .col_expr(cv::Column::RetiredBy, Expr::value(author(ctx)))
                .filter(cv::Column::Id.eq(id)),
            map_err,
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Every version, newest first: the union; an association reads the published and
    /// retired ones (what it is or was held to).
    pub async fn versions(&self, ctx: &Ctx) -> Result<Vec<CatalogueVersion>, Error> {
        let mut q = cv::Entity::find().order_by_desc(cv::Column::Version);
        if ctx.union_role().is_none() {
            ctx.require_tenant()?;
            q = q.filter(cv::Column::Status.ne(VersionStatus::Draft.as_str()));
        }
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn versions_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<CatalogueVersion>, Error> {
        let mut q = cv::Entity::find().filter(cv::Column::Id.is_in(ids.iter().copied()));
        if ctx.union_role().is_none() {
            q = q.filter(cv::Column::Status.ne(VersionStatus::Draft.as_str()));
        }
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn principles(&self, ctx: &Ctx, version: Uuid) -> Result<Vec<Principle>, Error> {
        let q = pr::Entity::find()
            .filter(pr::Column::VersionId.eq(version))
            .order_by_asc(pr::Column::Position);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn criteria(&self, ctx: &Ctx, version: Uuid) -> Result<Vec<Criterion>, Error> {
        let q = cr::Entity::find()
            .filter(cr::Column::VersionId.eq(version))
            .order_by_asc(cr::Column::Position);
        self.db.select_all(ctx, q, map_err).await
    }

    /// Criteria by id; an association reads those of published (or retired) versions.
    pub async fn criteria_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Criterion>, Error> {
        let mut q = cr::Entity::find().filter(cr::Column::Id.is_in(ids.iter().copied()));
        if ctx.union_role().is_none() {
            q = q.filter(cr::Column::VersionId.in_subquery(not_draft()));
        }
        self.db.select_all(ctx, q, map_err).await
    }

    /// Principles by id; an association reads those of published (or retired) versions.
    pub async fn principles_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Principle>, Error> {
        let mut q = pr::Entity::find().filter(pr::Column::Id.is_in(ids.iter().copied()));
        if ctx.union_role().is_none() {
            q = q.filter(pr::Column::VersionId.in_subquery(not_draft()));
        }
        self.db.select_all(ctx, q, map_err).await
    }
}

/// The versions an association may read: not drafts.
fn not_draft() -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Query::select()
        .column(cv::Column::Id)
        .from(cv::Entity)
        .and_where(Expr::col(cv::Column::Status).ne(VersionStatus::Draft.as_str()))
        .to_owned()
}

/// The next row's position from the count of rows before it.
fn position(n: u64) -> Result<i16, Error> {
    i16::try_from(n).map_err(|_| Error::validation("position", "trop d'éléments"))
}

impl Compliance {
    /// A version by its number (how the network names them: "référentiel v3"), or
    /// VALIDATION on `field`. The union reads any, an association the published ones.
    pub async fn version_by_number(
        &self,
        ctx: &Ctx,
        number: i32,
        field: &str,
    ) -> Result<CatalogueVersion, Error> {
        self.versions(ctx)
            .await?
            .into_iter()
            .find(|v| v.version == number)
            .ok_or_else(|| Error::validation(field, "version inconnue"))
    }

    /// A principle of a version by its code, or VALIDATION on `principleCode`.
    pub async fn principle_by_code(
        &self,
        ctx: &Ctx,
        version: Uuid,
        code: &str,
    ) -> Result<Principle, Error> {
        self.principles(ctx, version)
            .await?
            .into_iter()
            .find(|p| p.code == code)
            .ok_or_else(|| {
                Error::validation("principleCode", "principe inconnu dans cette version")
            })
    }
}
