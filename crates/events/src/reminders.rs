//! Reminders of the network's own events (franchise compliance, HR pathways): who gets
//! one, and its French text. Each is a reminder (the person may turn reminders off);
//! none names more than the association and dates: details are read in Passerelle.
//!
//! - `compliance.action.overdue`: the association's directors, the action's owner and
//!   the audit's assigned auditor;
//! - `compliance.contract.to_renew`: the association's directors and the union's
//!   admins (who keep the contracts);
//! - `compliance.audit.phase_changed`: the assigned auditor when the audit comes to
//!   them (review), the association's directors otherwise (self-assessment open,
//!   draft report sent, final report issued);
//! - `pathways.subsidy.to_renew`: the association's HR managers (its directors, and
//!   its coordinators when the director lets them manage HR records).

use crate::EventType;
use crate::email::{Email, compose};
use crate::entity::event_outbox;
use db::Scoped;
use kernel::Error;
use sea_orm::FromQueryResult;
use serde_json::Value;
use uuid::Uuid;

#[derive(FromQueryResult)]
struct PersonId {
    user_id: Uuid,
}

const DIRECTORS: &str = "select user_id from memberships where tenant_id = $1 and status = 'active' and role = 'director'";

/// The people to remind of `e` (a network event), by user id.
pub(crate) async fn recipients(tx: &Scoped, e: &event_outbox::Model) -> Result<Vec<Uuid>, Error> {
    let Some(tenant) = e.tenant_id else {
        return Ok(vec![]);
    };
    let phase = e.payload["data"]["phase"].as_str().unwrap_or_default();
    let sql = match e.event_type {
        EventType::CorrectiveActionOverdue => format!(
            "{DIRECTORS} \
             union select m.user_id from compliance_actions a \
               join memberships m on m.tenant_id = a.tenant_id and m.id = a.owner_membership_id \
               where a.tenant_id = $1 and a.id = $2 and m.status = 'active' \
             union select au.auditor_id from compliance_actions a \
               join compliance_audits au on au.tenant_id = a.tenant_id and au.id = a.audit_id \
               join union_staff s on s.user_id = au.auditor_id \
               where a.tenant_id = $1 and a.id = $2 \
             order by 1"
        ),
        EventType::FranchiseContractToRenew => format!(
            "{DIRECTORS} and $2::uuid is not null \
             union select user_id from union_staff where role = 'admin' order by 1"
        ),
        EventType::AuditPhaseChanged if phase == "review" => {
            "select au.auditor_id as user_id from compliance_audits au \
               join union_staff s on s.user_id = au.auditor_id \
             where au.tenant_id = $1 and au.id = $2"
                .to_owned()
        }
        EventType::AuditPhaseChanged => format!("{DIRECTORS} and $2::uuid is not null order by 1"),
        EventType::SubsidyToRenew => "select user_id from memberships m where m.tenant_id = $1 \
               and m.status = 'active' and $2::uuid is not null and (m.role = 'director' \
               or (m.role = 'coordinator' and exists (select 1 from hr_settings h \
                   where h.tenant_id = $1 and h.coordinators_manage_hr))) order by 1"
            .to_owned(),
        _ => return Ok(vec![]),
    };
    let people =
        PersonId::find_by_statement(db::stmt(&sql, vec![tenant.into(), e.subject_id.into()]))
            .all(&**tx)
            .await
            .map_err(|e| Error::from(db::DbError::from(e)))?;
    Ok(people.into_iter().map(|p| p.user_id).collect())
}

/// A date of the payload (`YYYY-MM-DD`) as French readers write it.
fn date(data: &Value, key: &str) -> String {
    let raw = data[key].as_str().unwrap_or_default();
    match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => raw.to_owned(),
    }
}

const OFF: &str =
    "Vous pouvez désactiver les rappels dans Passerelle (préférences de notification).";

/// The French text of a network event's reminder to `to`; `org` is the association.
pub(crate) fn message(t: EventType, payload: &Value, to: String, org: &str) -> Email {
    let data = &payload["data"];
    let (subject, lines): (String, Vec<String>) = match t {
        EventType::CorrectiveActionOverdue => (
            format!("Action corrective en retard : {org}"),
            vec![
                format!(
                    "Une action corrective du plan d'actions de {org} a dépassé son échéance du {} sans être réalisée.",
                    date(data, "dueOn")
                ),
                "Elle figure dans Passerelle parmi les actions en retard du contrôle de conformité : vous la recevez en tant que direction de l'association, responsable de l'action ou auditeur du contrôle.".to_owned(),
            ],
        ),
        EventType::FranchiseContractToRenew => (
            format!("Contrat de franchise à renouveler : {org}"),
            vec![
                format!(
                    "Le contrat de franchise sociale {} de {org} arrive à son terme le {} : son renouvellement est à préparer.",
                    data["reference"].as_str().unwrap_or_default(),
                    date(data, "termEndsOn")
                ),
                "Vous recevez ce rappel en tant que direction de l'association ou administration de l'Union nationale.".to_owned(),
            ],
        ),
        EventType::AuditPhaseChanged => match data["phase"].as_str().unwrap_or_default() {
            "self_assessment" => (
                format!("Contrôle de conformité : auto-évaluation ouverte pour {org}"),
                vec![format!(
                    "L'auto-évaluation de {org} pour la campagne de contrôle est ouverte : les réponses et pièces justificatives sont attendues au plus tard le {}.",
                    date(data, "selfAssessmentDueOn")
                )],
            ),
            "review" => (
                format!("Contrôle de conformité : auto-évaluation de {org} à examiner"),
                vec![format!(
                    "L'auto-évaluation de {org} est close ({}) : le contrôle dont vous êtes l'auditeur passe en revue.",
                    if data["submitted"].as_bool().unwrap_or(true) {
                        "soumise par la direction"
                    } else {
                        "son échéance est passée sans soumission"
                    }
                )],
            ),
            "contradictory" => (
                format!("Rapport provisoire de contrôle : {org}"),
                vec![format!(
                    "Le rapport provisoire du contrôle de conformité de {org} est disponible dans Passerelle : l'association peut répondre à chaque constat jusqu'au {} (phase contradictoire).",
                    date(data, "repliesDueOn")
                )],
            ),
            _ => (
                format!("Rapport définitif de contrôle : {org}"),
                vec![format!(
                    "Le rapport définitif du contrôle de conformité de {org} est émis : sa note et, le cas échéant, son plan d'actions correctives sont dans Passerelle."
                )],
            ),
        },
        _ => (
            format!("Aide au poste à renouveler : {org}"),
            vec![
                format!(
                    "Une aide au poste d'un contrat de {org} arrive à échéance le {} : sa demande de renouvellement est à préparer.",
                    date(data, "on")
                ),
                "Vous recevez ce rappel en tant que responsable des parcours de l'association.".to_owned(),
            ],
        ),
    };
    let mut paragraphs = lines;
    paragraphs.push(OFF.to_owned());
    compose("reminder", to, subject, &paragraphs)
}
