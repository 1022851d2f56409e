//! Franchise compliance: the social franchise contract binding each association to the
//! union, the union's versioned standards (référentiel: principles and criteria with
//! their measure), and its audits: campaigns, self-assessment with evidence, review and
//! visit, scores with indicators computed from the platform's data, the contradictory
//! phase, the final report with its grade and corrective action plan, and sanctions.
//!
//! Who does what: the union admin owns the catalogue, contracts and sanctions; union
//! auditors open campaigns and run the audits assigned to them (an admin may run any);
//! an association's director answers and submits its self-assessment (a coordinator may
//! draft) and answers the draft report; its staff read their contract and audits once
//! the self-assessment opens, its viewers only final reports; the union analyst reads
//! grades and scores in aggregate; partners read nothing here.

pub mod entity;
mod error;
pub mod evidence;
pub mod indicators;
mod model;
mod rules;

mod audits;
mod campaigns;
mod catalogue;
mod contracts;
mod dashboard;
mod documents;
mod jobs;
mod sanctions;

pub use audits::View;
pub use documents::MAX_UPLOAD_BYTES;
pub use error::ComplianceError;
pub use evidence::{EvidenceStore, StoreConfig};
pub use jobs::DailyChecks;
pub use model::*;
pub use rules::{grade_for, score};

use db::{Db, DbError, Scoped};
use kernel::{Ctx, Error, UnionRole};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

/// The union roles that read and write audits; the analyst only reads aggregates.
const AUDITORS: &[UnionRole] = &[UnionRole::Admin, UnionRole::Auditor];

#[derive(Clone, Debug)]
pub struct Compliance {
    db: Db,
    store: EvidenceStore,
    /// Training time and team size per site come from the HR pathways.
    pathways: pathways::Pathways,
}

impl Compliance {
    pub fn new(db: Db, store: EvidenceStore) -> Self {
        Self {
            pathways: pathways::Pathways::new(db.clone()),
            db,
            store,
        }
    }
}

/// Constraint names to what the caller did wrong; anything else is the platform's.
pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "compliance_catalogue_versions_frozen" => {
                Error::validation("version", "une version publiée ne se modifie plus")
            }
            "compliance_principles_code_key" | "compliance_criteria_code_key" => {
                Error::conflict_on("code", "ce code existe déjà dans cette version")
            }
            "compliance_contracts_reference_key" => {
                Error::conflict_on("reference", "cette référence de contrat existe déjà")
            }
            "compliance_audits_campaign_key" => {
                Error::conflict("cette association est déjà dans la campagne")
            }
            "compliance_replies_finding_key" => {
                Error::conflict_on("findingId", "ce constat a déjà reçu une réponse")
            }
            "compliance_actions_owner_fkey" => Error::validation(
                "ownerId",
                "le responsable doit être membre de l'association",
            ),
            "compliance_sanctions_site_fkey" | "compliance_observations_site_fkey" => {
                Error::validation("siteId", "site inconnu")
            }
            "compliance_criteria_code_format" | "compliance_principles_code_format" => {
                Error::validation(
                    "code",
                    "majuscules, chiffres, « . », « _ » ou « - » ; 20 caractères au plus",
                )
            }
            "compliance_contracts_reference_format" => Error::validation(
                "reference",
                "lettres, chiffres, « _ », « . », « / » ou « - » ; 64 caractères au plus",
            ),
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

/// The acting person's user id, for authorship columns.
pub(crate) fn author(ctx: &Ctx) -> Option<Uuid> {
    ctx.user_id().map(|u| u.0)
}

/// One entry of the history: who changed what, when, and the state before.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_history(
    tx: &Scoped,
    ctx: &Ctx,
    tenant: Uuid,
    kind: SubjectKind,
    subject: Uuid,
    action: &str,
    previous: serde_json::Value,
    reason: Option<String>,
) -> Result<(), Error> {
    entity::history::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        subject_kind: Set(kind),
        subject_id: Set(subject),
        action: Set(action.to_owned()),
        previous: Set(previous),
        reason: Set(reason),
        changed_by: Set(author(ctx)),
        ..Default::default()
    }
    .insert(&**tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

impl Compliance {
    /// The history of one record of the association's (or, for the union, any).
    pub async fn history(&self, ctx: &Ctx, subject: Uuid) -> Result<Vec<HistoryEntry>, Error> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let mut q = entity::history::Entity::find()
            .filter(entity::history::Column::SubjectId.eq(subject))
            .order_by_asc(entity::history::Column::ChangedAt);
        if let Some(t) = ctx.tenant() {
            q = q.filter(entity::history::Column::TenantId.eq(t.tenant_id.0));
        } else {
            ctx.require_union_role(AUDITORS)?;
        }
        self.db.select_all(ctx, q, map_err).await
    }
}
