//! Row mapping (by column name) and constraint mapping for the journal.

use crate::entity::{visit, workshop};
use crate::model::*;
use db::{DbError, Scoped};
use kernel::Error;
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, PrimaryKeyTrait, QuerySelect, TryGetable, Value,
};
use uuid::Uuid;

pub(crate) use db::stmt;

/// Constraint names to client errors. Unknown ones are bugs: INTERNAL.
pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "visit_requests_theme_fkey" => {
                Error::validation("requests.theme", "not a theme of the network's catalogue")
            }
            "visit_requests_partner_id_fkey" => {
                Error::validation("requests.partnerId", "unknown partner")
            }
            "workshops_theme_fkey" => {
                Error::validation("theme", "not a workshop theme of the catalogue")
            }
            "workshops_funding_partner_id_fkey" => {
                Error::validation("fundingPartnerId", "unknown partner")
            }
            "visit_requests_agreement_id_fkey" => {
                Error::validation("requests.agreementId", "unknown agreement")
            }
            "workshops_agreement_id_fkey" => Error::validation("agreementId", "unknown agreement"),
            "visits_site_fkey" | "workshops_site_fkey" | "survey_campaigns_site_fkey" => {
                Error::validation("siteId", "unknown site")
            }
            "visits_mediator_fkey" => {
                Error::validation("mediatorId", "not a member of the association")
            }
            "workshops_facilitator_fkey" => {
                Error::validation("facilitatorId", "not a member of the association")
            }
            "visits_beneficiary_fkey" => Error::validation("beneficiaryId", "unknown beneficiary"),
            // A consent for a beneficiary of another association (or none): as missing.
            "consents_beneficiary_fkey" => Error::NotFound,
            "beneficiaries_pseudonym_key" => Error::conflict("pseudonym: already used"),
            "survey_answers_client_key_key" => {
                Error::conflict_on("clientKey", "cette réponse est déjà enregistrée")
            }
            "visit_requests_position_key" => {
                Error::validation("requests.position", "position déjà occupée")
            }
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

/// The rows of a hand-written statement, each mapped by column name.
pub(crate) async fn rows<T: FromQueryResult>(
    tx: &Scoped,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, Error> {
    T::find_by_statement(stmt(sql, values))
        .all(&**tx)
        .await
        .map_err(map_err)
}

/// The first row of a hand-written statement, mapped by column name.
pub(crate) async fn row<T: FromQueryResult>(
    tx: &Scoped,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>, Error> {
    T::find_by_statement(stmt(sql, values))
        .one(&**tx)
        .await
        .map_err(map_err)
}

/// The row an UPDATE ... RETURNING changed, as `T`: NOT_FOUND when none matched.
pub(crate) async fn updated<M: FromQueryResult, T: From<M>>(
    tx: &Scoped,
    sql: &str,
    values: Vec<Value>,
) -> Result<T, Error> {
    row::<M>(tx, sql, values)
        .await?
        .map(T::from)
        .ok_or(Error::NotFound)
}

/// The row of `E` under this key (association, id), locked until the end of the
/// transaction, as `T`: NOT_FOUND when there is none.
pub(crate) async fn locked<E, T>(tx: &Scoped, key: (Uuid, Uuid)) -> Result<T, Error>
where
    E: EntityTrait,
    (Uuid, Uuid): Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    T: From<E::Model>,
{
    E::find_by_id(key)
        .lock_exclusive()
        .one(&**tx)
        .await
        .map_err(map_err)?
        .map(T::from)
        .ok_or(Error::NotFound)
}

/// One column, by name, of the first row of a hand-written statement.
pub(crate) async fn scalar<T: TryGetable>(
    tx: &Scoped,
    sql: &str,
    values: Vec<Value>,
    column: &str,
) -> Result<Option<T>, Error> {
    tx.query_one_raw(stmt(sql, values))
        .await
        .map_err(map_err)?
        .map(|r| r.try_get::<T>("", column))
        .transpose()
        .map_err(map_err)
}

/// Whether the association has this site (another association's is as unknown).
pub(crate) async fn known_site(tx: &Scoped, tenant: Uuid, site: Uuid) -> Result<bool, Error> {
    Ok(tx
        .query_one_raw(stmt(
            "select 1 from sites where tenant_id = $1 and id = $2",
            vec![tenant.into(), site.into()],
        ))
        .await
        .map_err(map_err)?
        .is_some())
}

/// A row found under a client key, and whether it was recorded from the same input
/// (the statement's `same_input`).
#[derive(FromQueryResult)]
pub(crate) struct Keyed<M: FromQueryResult> {
    #[sea_orm(nested)]
    pub row: M,
    pub same_input: bool,
}

impl From<visit::Model> for Visit {
    fn from(m: visit::Model) -> Self {
        Visit {
            id: m.id,
            tenant_id: m.tenant_id,
            site_id: m.site_id,
            mediator_id: m.mediator_id,
            occurred_at: m.occurred_at,
            channel: m.channel,
            duration_minutes: m.duration_minutes,
            language: m.language,
            age_band: m.age_band,
            sex: m.sex,
            neighbourhood: m.neighbourhood,
            beneficiary_id: m.beneficiary_id,
            voided: m.status == VisitStatus::Voided,
            revision: m.revision,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            during_closure: m.during_closure,
            outside_hours: m.outside_hours,
        }
    }
}

impl From<workshop::Model> for Workshop {
    fn from(m: workshop::Model) -> Self {
        Workshop {
            id: m.id,
            site_id: m.site_id,
            theme: m.theme,
            title: m.title,
            held_on: m.held_on,
            duration_minutes: m.duration_minutes,
            facilitator_id: m.facilitator_id,
            funding_partner_id: m.funding_partner_id,
            attendees: m.attendees,
            agreement_id: m.agreement_id,
            voided: m.status == WorkshopStatus::Voided,
            created_at: m.created_at,
        }
    }
}

pub(crate) fn snapshot(v: &Visit, requests: &[Request]) -> serde_json::Value {
    serde_json::json!({
        "siteId": v.site_id, "mediatorId": v.mediator_id, "occurredAt": v.occurred_at.to_rfc3339(),
        "channel": v.channel.as_str(), "durationMinutes": v.duration_minutes, "language": v.language,
        "ageBand": v.age_band.map(AgeBand::as_str), "sex": v.sex.map(Sex::as_str),
        "neighbourhood": v.neighbourhood, "beneficiaryId": v.beneficiary_id, "voided": v.voided,
        "requests": requests.iter().map(|r| serde_json::json!({
            "theme": r.theme, "kind": r.kind.as_str(), "partnerId": r.partner_id,
            "outcome": r.outcome.as_str(), "mediationAct": r.mediation_act, "referredTo": r.referred_to,
            "agreementId": r.agreement_id,
        })).collect::<Vec<_>>(),
    })
}
