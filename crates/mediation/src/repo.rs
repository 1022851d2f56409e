//! Row mapping and constraint mapping for the journal.

use crate::model::*;
use db::DbError;
use kernel::Error;
use sea_orm::QueryResult;

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

pub(crate) fn parse<T>(s: &str, f: fn(&str) -> Option<T>) -> Result<T, Error> {
    f(s).ok_or_else(|| Error::internal_msg(format!("unexpected code {s:?} in the journal")))
}

pub(crate) const VISIT_COLUMNS: &str = "id, tenant_id, site_id, mediator_id, occurred_at, channel, duration_minutes, language, \
    age_band, sex, neighbourhood, beneficiary_id, status, revision, created_by, created_at, updated_at, during_closure, outside_hours";

pub(crate) fn visit(r: &QueryResult) -> Result<Visit, Error> {
    let channel: String = r.try_get_by_index(5).map_err(map_err)?;
    let age: Option<String> = r.try_get_by_index(8).map_err(map_err)?;
    let sex: Option<String> = r.try_get_by_index(9).map_err(map_err)?;
    let status: String = r.try_get_by_index(12).map_err(map_err)?;
    Ok(Visit {
        id: r.try_get_by_index(0).map_err(map_err)?,
        tenant_id: r.try_get_by_index(1).map_err(map_err)?,
        site_id: r.try_get_by_index(2).map_err(map_err)?,
        mediator_id: r.try_get_by_index(3).map_err(map_err)?,
        occurred_at: r.try_get_by_index(4).map_err(map_err)?,
        channel: parse(&channel, Channel::parse)?,
        duration_minutes: r.try_get_by_index(6).map_err(map_err)?,
        language: r.try_get_by_index(7).map_err(map_err)?,
        age_band: age
            .as_deref()
            .map(|a| parse(a, AgeBand::parse))
            .transpose()?,
        sex: sex.as_deref().map(|s| parse(s, Sex::parse)).transpose()?,
        neighbourhood: r.try_get_by_index(10).map_err(map_err)?,
        beneficiary_id: r.try_get_by_index(11).map_err(map_err)?,
        voided: status == "voided",
        revision: r.try_get_by_index(13).map_err(map_err)?,
        created_by: r.try_get_by_index(14).map_err(map_err)?,
        created_at: r.try_get_by_index(15).map_err(map_err)?,
        updated_at: r.try_get_by_index(16).map_err(map_err)?,
        during_closure: r.try_get_by_index(17).map_err(map_err)?,
        outside_hours: r.try_get_by_index(18).map_err(map_err)?,
    })
}

pub(crate) const REQUEST_COLUMNS: &str = "id, visit_id, position, theme, kind, partner_id, outcome, mediation_act, referred_to, agreement_id";

pub(crate) fn request(r: &QueryResult) -> Result<Request, Error> {
    let kind: String = r.try_get_by_index(4).map_err(map_err)?;
    let outcome: String = r.try_get_by_index(6).map_err(map_err)?;
    Ok(Request {
        id: r.try_get_by_index(0).map_err(map_err)?,
        visit_id: r.try_get_by_index(1).map_err(map_err)?,
        position: r.try_get_by_index(2).map_err(map_err)?,
        theme: r.try_get_by_index(3).map_err(map_err)?,
        kind: parse(&kind, RequestKind::parse)?,
        partner_id: r.try_get_by_index(5).map_err(map_err)?,
        outcome: parse(&outcome, Outcome::parse)?,
        mediation_act: r.try_get_by_index(7).map_err(map_err)?,
        referred_to: r.try_get_by_index(8).map_err(map_err)?,
        agreement_id: r.try_get_by_index(9).map_err(map_err)?,
    })
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
