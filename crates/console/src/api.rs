//! The console's one way to data: its GraphQL documents, executed in-process as
//! the signed-in person through the public schema.

use crate::error::{ApiFailure, ConsoleError};
use serde_json::Value;

/// A document of `graphql/`, named by its file.
pub(crate) struct Doc {
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! documents {
    ($($id:ident => $file:literal),* $(,)?) => {
        $(pub(crate) const $id: Doc = Doc {
            file: $file,
            text: include_str!(concat!("../graphql/", $file)),
        };)*
        /// Every document the console runs, (file, text): a test validates each
        /// against `schema.graphql`.
        pub const DOCUMENTS: &[(&str, &str)] = &[$(($file, $id.text)),*];
    };
}

documents! {
    VIEWER => "viewer.graphql",
    FRONT_DESK => "front_desk.graphql",
    RECORD_VISIT => "record_visit.graphql",
    JOURNAL => "journal.graphql",
    VISIT => "visit.graphql",
    AMEND_VISIT => "amend_visit.graphql",
    VOID_VISIT => "void_visit.graphql",
    DASHBOARD => "dashboard.graphql",
    DASHBOARD_CSV => "dashboard_csv.graphql",
    AGREEMENTS => "agreements.graphql",
    AGREEMENT_REPORT => "agreement_report.graphql",
    AGREEMENT_REPORT_CSV => "agreement_report_csv.graphql",
    OUTREACH_CAMPAIGNS => "outreach_campaigns.graphql",
    OUTREACH_CAMPAIGN => "outreach_campaign.graphql",
    UPLOAD_OUTREACH_CASES => "upload_outreach_cases.graphql",
    API_CLIENTS => "api_clients.graphql",
    PARTNER_ORGANISATIONS => "partner_organisations.graphql",
    CREATE_API_CLIENT => "create_api_client.graphql",
    ROTATE_API_CLIENT => "rotate_api_client.graphql",
    REVOKE_API_CLIENT => "revoke_api_client.graphql",
    TENANTS => "tenants.graphql",
    CREATE_TENANT => "create_tenant.graphql",
    SUSPEND_TENANT => "suspend_tenant.graphql",
    REACTIVATE_TENANT => "reactivate_tenant.graphql",
    TENANT => "tenant.graphql",
    INVITE_DIRECTOR => "invite_director.graphql",
    NETWORK_DASHBOARD => "network_dashboard.graphql",
    SITES => "sites.graphql",
    ADD_SITE_CLOSURE => "add_site_closure.graphql",
    MEMBERS => "members.graphql",
    INVITE_MEMBER => "invite_member.graphql",
    REVOKE_INVITATION => "revoke_invitation.graphql",
    COMPLIANCE_AUDITS => "compliance_audits.graphql",
    COMPLIANCE_AUDIT => "compliance_audit.graphql",
    ANSWER_CRITERION => "answer_criterion.graphql",
    SUBMIT_SELF_ASSESSMENT => "submit_self_assessment.graphql",
    REPLY_TO_FINDING => "reply_to_finding.graphql",
    COMPLETE_CORRECTIVE_ACTION => "complete_corrective_action.graphql",
    COMPLIANCE_DASHBOARD => "compliance_dashboard.graphql",
    EMPLOYEES => "employees.graphql",
    EMPLOYEE => "employee.graphql",
    HIRE_EMPLOYEE => "hire_employee.graphql",
    RENEW_CONTRACT => "renew_contract.graphql",
    RECORD_TRAINING_ENTRY => "record_training_entry.graphql",
    RECORD_EMPLOYEE_EXIT => "record_employee_exit.graphql",
    RECORD_EXIT_FOLLOW_UP => "record_exit_follow_up.graphql",
    AUDITOR_AUDITS => "auditor_audits.graphql",
    AUDITOR_AUDIT => "auditor_audit.graphql",
    REVIEW_EVIDENCE => "review_evidence.graphql",
    PREFILL_INDICATOR_SCORES => "prefill_indicator_scores.graphql",
    SCORE_CRITERION => "score_criterion.graphql",
    ADD_AUDIT_FINDING => "add_audit_finding.graphql",
    RECORD_AUDIT_OBSERVATION => "record_audit_observation.graphql",
    ADD_AUDIT_NOTE => "add_audit_note.graphql",
    SEND_DRAFT_REPORT => "send_draft_report.graphql",
    FINALISE_AUDIT => "finalise_audit.graphql",
    REVIEW_CORRECTIVE_ACTION => "review_corrective_action.graphql",
}

/// Runs `doc` with `vars` as `ctx`; the data, or the first error as the API
/// coded it (extensions.code, field, reason).
pub(crate) async fn run(
    endpoint: &graphql::http::Endpoint,
    ctx: kernel::Ctx,
    doc: &Doc,
    vars: Value,
) -> Result<Value, ConsoleError> {
    let req =
        async_graphql::Request::new(doc.text).variables(async_graphql::Variables::from_json(vars));
    let resp = endpoint.execute_as(ctx, req).await;
    if let Some(e) = resp.errors.first() {
        let ext = |k: &str| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get(k))
                .and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
        };
        let failure = ApiFailure {
            code: ext("code").unwrap_or_else(|| "INTERNAL".into()),
            field: ext("field"),
            reason: ext("reason"),
            message: e.message.clone(),
        };
        if failure.code == "VALIDATION" && failure.field.is_none() {
            // A document the schema refused: the console's own bug, not the user's.
            tracing::error!(document = doc.file, "a console document was refused");
        }
        return Err(ConsoleError::Api(failure));
    }
    serde_json::to_value(&resp.data).map_err(|_| ConsoleError::Internal("response to JSON"))
}

/// Text at `v` (an absent or non-text value reads as empty).
pub(crate) fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The list at `v` (absent reads as empty).
pub(crate) fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::DOCUMENTS;
    use apollo_compiler::{ExecutableDocument, Schema};

    /// Every document is valid against the committed schema (`schema.graphql`,
    /// itself checked against the code by the e2e schema test).
    #[test]
    fn documents_are_valid_against_schema_graphql() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
        let sdl = std::fs::read_to_string(path).expect("schema.graphql");
        let schema = Schema::parse_and_validate(sdl, "schema.graphql").expect("valid schema");
        let mut failures = Vec::new();
        for (file, text) in DOCUMENTS {
            if let Err(e) = ExecutableDocument::parse_and_validate(&schema, *text, *file) {
                failures.push(format!("{file}: {}", e.errors));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(DOCUMENTS.len() >= 25);
    }

    #[test]
    fn the_check_catches_an_unknown_field() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
        let sdl = std::fs::read_to_string(path).expect("schema.graphql");
        let schema = Schema::parse_and_validate(sdl, "schema.graphql").expect("valid schema");
        let bad = "query { viewer { notAField } }";
        assert!(ExecutableDocument::parse_and_validate(&schema, bad, "bad.graphql").is_err());
    }
}
