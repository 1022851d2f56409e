//! The journal's retention, run by the server (hourly) and by `passerelle purge`:
//! beneficiaries without contact for two years anonymised like an erasure, notes
//! past their retention deleted (mediation::Journal::apply_retention), and each
//! anonymisation appended to its association's access log as a mutation by the
//! platform (ids only). Counts are traced, never data.

use crate::{AccessLog, ActorKind, Entry, EntryKind, OK};
use chrono::{DateTime, Utc};
use kernel::Error;

/// The operation retention entries carry in the access log.
pub const RETENTION_OPERATION: &str = "retention";

impl AccessLog {
    /// `journal_retention` as of now.
    pub async fn journal_retention_now(
        &self,
        journal: &mediation::Journal,
        r: mediation::Retention,
    ) -> Result<mediation::RetentionRun, Error> {
        self.journal_retention(journal, Utc::now(), r).await
    }

    /// Runs the journal's retention as of `now` (the clock; tests move it) and logs
    /// each beneficiary it anonymised.
    pub async fn journal_retention(
        &self,
        journal: &mediation::Journal,
        now: DateTime<Utc>,
        r: mediation::Retention,
    ) -> Result<mediation::RetentionRun, Error> {
        let run = journal.apply_retention(now, r).await?;
        let entries: Vec<Entry> = run
            .anonymised
            .iter()
            .map(|a| Entry {
                chain: a.tenant_id,
                kind: EntryKind::Mutation.as_str(),
                operation: RETENTION_OPERATION.to_owned(),
                object_type: Some("Beneficiary".to_owned()),
                object_id: Some(a.beneficiary_id),
                actor_kind: ActorKind::System.as_str(),
                user_id: None,
                client_id: None,
                request_id: None,
                outcome: OK.to_owned(),
                reason: None,
                target_tenant_id: None,
            })
            .collect();
        for batch in entries.chunks(1000) {
            self.append(batch).await?;
        }
        Ok(run)
    }
}
