//! Evidence documents attached to a contract (annexes), a criterion answer, an
//! observation, a contradictory answer or a corrective action. Each upload is checked
//! against the same rules as writing its owner (who, and in which phase); each
//! download against reading it. Files never get a public address.

use crate::entity::{
    action as ac, answer as an, audit as au, contract as co, document as doc, finding as fi,
    observation as ob, reply as re,
};
use crate::evidence::{self, MAX_BYTES};
use crate::model::*;
use crate::{AUDITORS, Compliance, author, map_err, record_history};
use bytes::Bytes;
use db::Scoped;
use futures_util::stream::BoxStream;
use kernel::{Ctx, Error, TenantRole, UnionRole};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

const WRITERS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];

/// The largest upload, for the gateway's body limit.
pub const MAX_UPLOAD_BYTES: usize = MAX_BYTES;

impl Compliance {
    /// The audit a document's owner belongs to (none for a contract), and the owner's
    /// tenant, as the caller may see them; NOT_FOUND otherwise.
    async fn owner_of(
        &self,
        tx: &Scoped,
        ctx: &Ctx,
        kind: OwnerKind,
        id: Uuid,
    ) -> Result<(Uuid, Option<Audit>), Error> {
        let tenant = ctx.tenant().map(|t| t.tenant_id.0);
        macro_rules! find {
            ($m:ident) => {{
                let mut q = $m::Entity::find().filter($m::Column::Id.eq(id));
                if let Some(t) = tenant {
                    q = q.filter($m::Column::TenantId.eq(t));
                }
                q.one(&**tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(Error::NotFound)?
            }};
        }
        let (t, audit_id) = match kind {
            OwnerKind::Contract => {
                let c = find!(co);
                (c.tenant_id, None)
            }
            OwnerKind::Answer => {
                let a = find!(an);
                (a.tenant_id, Some(a.audit_id))
            }
            OwnerKind::Observation => {
                let o = find!(ob);
                (o.tenant_id, Some(o.audit_id))
            }
            OwnerKind::Reply => {
                let r = find!(re);
                let f = fi::Entity::find()
                    .filter(fi::Column::TenantId.eq(r.tenant_id))
                    .filter(fi::Column::Id.eq(r.finding_id))
                    .one(&**tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(Error::NotFound)?;
                (r.tenant_id, Some(f.audit_id))
            }
            OwnerKind::Action => {
                let a = find!(ac);
                (a.tenant_id, Some(a.audit_id))
            }
        };
        let audit = match audit_id {
            Some(a) => Some(
                au::Entity::find()
                    .filter(au::Column::TenantId.eq(t))
                    .filter(au::Column::Id.eq(a))
                    .one(&**tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(Error::NotFound)?,
            ),
            None => None,
        };
        Ok((t, audit))
    }

    /// May the caller add a file to this owner now? The same rule as writing it.
    async fn check_attach(
        &self,
        tx: &Scoped,
        ctx: &Ctx,
        kind: OwnerKind,
        id: Uuid,
    ) -> Result<Uuid, Error> {
        match kind {
            OwnerKind::Contract => {
                ctx.require_union_role(&[UnionRole::Admin])?;
            }
            OwnerKind::Observation => {
                ctx.require_union_role(AUDITORS)?;
            }
            OwnerKind::Answer | OwnerKind::Reply | OwnerKind::Action => {
                ctx.require_tenant_role(WRITERS)?;
            }
        }
        let (tenant, audit) = self.owner_of(tx, ctx, kind, id).await?;
        let status = audit.as_ref().map(|a| a.status);
        let phase_ok = match kind {
            OwnerKind::Contract => true,
            OwnerKind::Answer => match &audit {
                Some(a) if a.status == AuditStatus::SelfAssessment => {
                    // After the deadline: VALIDATION saying so.
                    self.self_assessment_open(tx, a, "ownerId").await?;
                    true
                }
                _ => false,
            },
            OwnerKind::Observation => {
                let a = audit.as_ref().ok_or(Error::NotFound)?;
                if ctx.union_role() == Some(UnionRole::Auditor) && a.auditor_id != author(ctx) {
                    return Err(Error::Forbidden(
                        "only the audit's assigned auditor or a union admin",
                    ));
                }
                status == Some(AuditStatus::Review)
            }
            OwnerKind::Reply => audit.as_ref().is_some_and(|a| {
                a.status == AuditStatus::Contradictory
                    && a.replies_due_on.is_some_and(|d| kernel::time::today() <= d)
            }),
            OwnerKind::Action => {
                let act = ac::Entity::find()
                    .filter(ac::Column::TenantId.eq(tenant))
                    .filter(ac::Column::Id.eq(id))
                    .one(&**tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(Error::NotFound)?;
                matches!(act.status, ActionStatus::Open | ActionStatus::Reopened)
            }
        };
        if !phase_ok {
            return Err(Error::validation(
                "ownerId",
                "ce dossier n'accepte plus de pièce à ce stade du contrôle",
            ));
        }
        Ok(tenant)
    }

    /// Stores one file for an owner: type from the content, 20 MiB at most, SHA-256
    /// and size kept. Nothing is stored when a check fails.
    pub async fn attach(
        &self,
        ctx: &Ctx,
        kind: OwnerKind,
        owner: Uuid,
        file_name: &str,
        body: Bytes,
    ) -> Result<Document, Error> {
        let file_name = kernel::input::text("fileName", file_name, 1, 200)?;
        let checked = evidence::check(&body)?;
        let tx = self.db.scoped(ctx).await?;
        let tenant = self.check_attach(&tx, ctx, kind, owner).await?;
        let id = Uuid::now_v7();
        let key = format!("{tenant}/{id}");
        let d = doc::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(id),
            owner_kind: Set(kind),
            owner_id: Set(owner),
            file_name: Set(file_name),
            content_type: Set(checked.content_type.to_owned()),
            size_bytes: Set(i64::try_from(checked.size).unwrap_or(i64::MAX)),
            sha256: Set(checked.sha256),
            storage_key: Set(key.clone()),
            review: Set(Review::Pending),
            uploaded_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        // The row commits only once the file is stored: no row without its file.
        self.store.put(&key, body).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// The caller may read the document (and its file): NOT_FOUND otherwise.
    async fn readable(&self, tx: &Scoped, ctx: &Ctx, id: Uuid) -> Result<Document, Error> {
        let mut q = doc::Entity::find().filter(doc::Column::Id.eq(id));
        match ctx.union_role() {
            Some(UnionRole::Admin | UnionRole::Auditor) => {}
            Some(UnionRole::Analyst) => return Err(Error::NotFound),
            None => {
                let s = ctx
                    .require_tenant_role(&[
                        TenantRole::Director,
                        TenantRole::Coordinator,
                        TenantRole::Mediator,
                    ])
                    .map_err(|_| Error::NotFound)?;
                q = q.filter(doc::Column::TenantId.eq(s.tenant_id.0));
            }
        }
        let d = q
            .one(&**tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let (_, audit) = self.owner_of(tx, ctx, d.owner_kind, d.owner_id).await?;
        // An observation's files reach the association with the draft report.
        if ctx.tenant().is_some()
            && d.owner_kind == OwnerKind::Observation
            && audit.is_some_and(|a| a.status == AuditStatus::Review)
        {
            return Err(Error::NotFound);
        }
        Ok(d)
    }

    /// The document and its bytes as a stream, after the owner's read checks.
    pub async fn download(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes, std::io::Error>>), Error> {
        let tx = self.db.scoped(ctx).await?;
        let d = self.readable(&tx, ctx, id).await?;
        tx.commit().await?;
        let s = self.store.stream(&d.storage_key).await?;
        Ok((d, s))
    }

    /// Documents by id (the node field), as the caller may read them.
    pub async fn documents_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Document>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let mut out = Vec::new();
        for id in ids {
            match self.readable(&tx, ctx, *id).await {
                Ok(d) => out.push(d),
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The documents of one owner the caller may read.
    pub async fn documents(&self, ctx: &Ctx, owner: Uuid) -> Result<Vec<Document>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let mut q = doc::Entity::find()
            .filter(doc::Column::OwnerId.eq(owner))
            .order_by_asc(doc::Column::Id);
        if let Some(t) = ctx.tenant() {
            q = q.filter(doc::Column::TenantId.eq(t.tenant_id.0));
        }
        let rows = q.all(&*tx).await.map_err(map_err)?;
        let mut out = Vec::new();
        for d in rows {
            if self.readable(&tx, ctx, d.id).await.is_ok() {
                out.push(d);
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The auditor accepts or refuses a piece of evidence (a refusal says why).
    pub async fn review_document(
        &self,
        ctx: &Ctx,
        id: Uuid,
        accept: bool,
        reason: Option<String>,
    ) -> Result<Document, Error> {
        ctx.require_union_role(AUDITORS)?;
        let reason = kernel::input::opt_text("reason", reason, 2000)?;
        if !accept && reason.is_none() {
            return Err(Error::validation("reason", "un refus se motive"));
        }
        let tx = self.db.scoped(ctx).await?;
        let d = doc::Entity::find()
            .filter(doc::Column::Id.eq(id))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let (_, audit) = self.owner_of(&tx, ctx, d.owner_kind, d.owner_id).await?;
        if let Some(a) = &audit {
            if ctx.union_role() == Some(UnionRole::Auditor) && a.auditor_id != author(ctx) {
                return Err(Error::Forbidden(
                    "only the audit's assigned auditor or a union admin",
                ));
            }
            if a.status == AuditStatus::Final {
                return Err(Error::validation("documentId", "le contrôle est clos"));
            }
        }
        let review = if accept {
            Review::Accepted
        } else {
            Review::Refused
        };
        let next = db::update_one(
            &tx,
            doc::Entity::update_many()
                .col_expr(doc::Column::Review, Expr::value(review.as_str()))
                .col_expr(doc::Column::ReviewReason, Expr::value(reason.clone()))
                .col_expr(doc::Column::ReviewedBy, Expr::value(author(ctx)))
                .col_expr(doc::Column::ReviewedAt, Expr::current_timestamp())
                .filter(doc::Column::TenantId.eq(d.tenant_id))
                .filter(doc::Column::Id.eq(d.id)),
            map_err,
        )
        .await?;
        record_history(
            &tx,
            ctx,
            d.tenant_id,
            SubjectKind::Document,
            d.id,
            review.as_str(),
            json!({ "review": d.review.as_str(), "reviewReason": d.review_reason }),
            reason,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }
}
