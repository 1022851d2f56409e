//! The objects and enums of webhooks.

use crate::node::RowObject;
use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

mirror_enum!(
/// What happened: the `type` of a webhook payload.
WebhookEventType => "events::EventType" {
    /// `outreach.case.outcome_recorded`: a case of one of your campaigns got its outcome.
    OutreachCaseOutcomeRecorded,
    /// `outreach.campaign.closed`.
    OutreachCampaignClosed,
    /// `agreement.status_changed`.
    AgreementStatusChanged,
    /// `agreement.reporting_period.closed`: a period ended, its report is available.
    AgreementReportingPeriodClosed,
    /// `invitation.created`: one of your people was invited.
    InvitationCreated,
    /// The network's own events (franchise compliance, HR pathways): e-mails to the
    /// people concerned, never sent to a partner (refused in `eventTypes`).
    CorrectiveActionOverdue,
    FranchiseContractToRenew,
    AuditPhaseChanged,
    SubsidyToRenew,
});

mirror_enum!(
/// Where a delivery stands.
WebhookDeliveryStatus => "events::DeliveryStatus" {
    /// Not delivered yet: retried with growing delays for 24 h.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up after 24 h of failures.
    Failed,
});

row_objects! {
    /// An address of the partner's that receives signed events (Standard Webhooks).
    pub struct WebhookEndpoint(pub events::Endpoint);
    /// One event sent (or to send) to one endpoint.
    pub struct WebhookDelivery(pub events::Delivery);
}

#[Object]
impl WebhookEndpoint {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn event_types(&self) -> Vec<WebhookEventType> {
        self.0.event_types.iter().map(|t| (*t).into()).collect()
    }
    /// Turned on by the partner (an endpoint disabled after failures is still active
    /// but receives nothing until turned on again).
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When the platform disabled it after failing for 24 h in a row.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// Failed attempts since the last success.
    async fn consecutive_failures(&self) -> i32 {
        self.0.consecutive_failures
    }
    /// Until when the previous secret still signs too, after a rotation.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.previous_secret_expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[Object]
impl WebhookDelivery {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// The event's id: the `webhook-id` header and the payload's `id`, the same at
    /// every attempt and replay (de-duplicate on it).
    async fn event_id(&self) -> String {
        self.0.event_id.to_string()
    }
    async fn event_type(&self) -> WebhookEventType {
        self.0.event_type.into()
    }
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        self.0.status.label_fr()
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last answer (none: no answer, see `lastError`).
    async fn last_response_code(&self) -> Option<i32> {
        self.0.last_response_code
    }
    /// Why the last attempt failed, in French (never the receiver's answer).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
