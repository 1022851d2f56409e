//! The one GraphQL schema of Passerelle: Relay conventions (Node, global ids,
//! connections, one-input mutations with payloads), stable error codes, and limits
//! on by default. Resolvers call domain services with the request's `Ctx`; no SQL
//! here. `http` is the transport: it reads the body itself, under a hard limit,
//! because async-graphql's axum integration would read any size.
//!
//! One folder per domain (`tenancy`, `sites`, `journal`, `partners`, `outreach`,
//! `clients`): `types` (its objects and enums), `queries` and `mutations` (its
//! root fields, merged below), `loaders` (its DataLoaders). A new domain is a new
//! folder and a line in `Query`, `Mutation`, `Services` and `loaders::Loaders`.

#[macro_use]
mod macros;

mod clients;
pub mod compliance;
mod connection;
mod context;
mod error;
mod events;
mod extension;
pub mod http;
mod journal;
mod limits;
mod loaders;
mod node;
mod outreach;
mod partners;
mod pathways;
mod privacy;
mod read_share;
mod sites;
pub mod telemetry;
mod tenancy;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use context::RequestActor;
pub use error::{finish_errors, log_internal, log_unavailable};
pub use limits::Limits;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    clients::ClientsQuery,
    tenancy::TenancyQuery,
    sites::SitesQuery,
    journal::JournalQuery,
    partners::PartnersQuery,
    outreach::OutreachQuery,
    events::EventsQuery,
    compliance::ComplianceQuery,
    pathways::PathwaysQuery,
    privacy::queries::PrivacyQuery,
    privacy::rights::RightsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    clients::ClientsMutation,
    tenancy::TenancyMutation,
    sites::SitesMutation,
    journal::JournalMutation,
    partners::PartnersMutation,
    outreach::OutreachMutation,
    events::EventsMutation,
    compliance::ComplianceMutation,
    pathways::PathwaysMutation,
    privacy::rights::RightsMutation,
);

pub type PasserelleSchema = Schema<Query, Mutation, EmptySubscription>;

/// Long-lived services the resolvers call. Domain crates are added here as they come.
#[derive(Clone)]
pub struct Services {
    pub tenancy: ::tenancy::Tenancy,
    pub sites: ::sites::Sites,
    pub journal: ::mediation::Journal,
    pub partners: ::partners::Partners,
    pub events: ::events::Events,
    pub compliance: ::compliance::Compliance,
    pub pathways: ::pathways::Pathways,
    /// The access log: every mutation and every read of personal data.
    pub privacy: ::privacy::AccessLog,
}

pub fn build(services: Services, limits: &Limits, introspection: bool) -> PasserelleSchema {
    let mut b = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(services)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_recursive_depth)
        .limit_directives(limits.max_directives)
        .extension(extension::Hooks::new(limits));
    if !introspection {
        // "Did you mean ...?" would hand out, field by field, the schema that
        // introspection is off to keep to ourselves.
        b = b.disable_introspection().disable_suggestions();
    }
    b.finish()
}

/// The SDL, as `passerelle schema` prints it and `schema.graphql` stores it.
/// Global id type of each table's rows, for the isolation suite: every table with a
/// tenant_id and an id reachable through the API must be listed here.
pub const GLOBAL_ID_TYPES: &[(&str, &str)] = &[
    ("tenants", "Tenant"),
    ("users", "User"),
    ("memberships", "Membership"),
    ("invitations", "Invitation"),
    ("partner_organisations", "PartnerOrganisation"),
    ("partner_api_clients", "PartnerApiClient"),
    ("partner_invitations", "PartnerInvitation"),
    ("sites", "Site"),
    ("site_closures", "SiteClosure"),
    ("site_labels", "SiteLabel"),
    ("visits", "Visit"),
    ("beneficiaries", "Beneficiary"),
    ("consents", "Consent"),
    ("workshops", "Workshop"),
    ("survey_campaigns", "SurveyCampaign"),
    ("agreements", "Agreement"),
    ("agreement_payments", "AgreementPayment"),
    ("partner_contacts", "PartnerContact"),
    ("outreach_campaigns", "OutreachCampaign"),
    ("outreach_cases", "OutreachCase"),
    ("webhook_endpoints", "WebhookEndpoint"),
    ("webhook_deliveries", "WebhookDelivery"),
    ("compliance_contracts", "FranchiseContract"),
    ("compliance_audits", "ComplianceAudit"),
    ("compliance_answers", "CriterionAnswer"),
    ("compliance_observations", "AuditObservation"),
    ("compliance_findings", "AuditFinding"),
    ("compliance_replies", "FindingReply"),
    ("compliance_actions", "CorrectiveAction"),
    ("compliance_sanctions", "Sanction"),
    ("compliance_documents", "EvidenceDocument"),
    ("employees", "Employee"),
    ("employment_contracts", "EmploymentContract"),
    ("hr_organisations", "HrOrganisation"),
    ("subsidies", "Subsidy"),
    ("training_entries", "TrainingEntry"),
    ("absences", "Absence"),
    ("qualifications", "Qualification"),
    ("employee_exits", "EmployeeExit"),
];

/// Tables whose rows have no global id: they are only ever read through a parent
/// object (a site's hours, a visit's requests, notes and history...).
pub const NO_GLOBAL_ID: &[&str] = &[
    "site_opening_hours",
    "tenant_audit_log",
    // Only their hashes exist, read by the token check, never through the API.
    "partner_access_tokens",
    "visit_requests",
    "visit_notes",
    "visit_revisions",
    "workshop_attendees",
    "survey_answers",
    "visit_daily",
    "request_daily",
    "workshop_daily",
    "activity_monthly",
    // A number per association, read by the dashboard to key its cache.
    "dashboard_versions",
    // An agreement's history, covered sites, targets and coded activity: read
    // through the agreement (or the activity and report queries).
    "agreement_revisions",
    "agreement_sites",
    "agreement_targets",
    "agreement_activity_monthly",
    // Read through their case, inside the association only.
    "outreach_attempts",
    // The outbox is read by the delivery worker only; a partner sees its events as
    // its deliveries (event id and type).
    "event_outbox",
    // A contract's signatories and amendments, an audit's scores, reports and internal
    // notes, and every compliance record's history: read through their contract, audit
    // or record.
    "compliance_signatories",
    "compliance_amendments",
    "compliance_scores",
    "compliance_reports",
    "compliance_notes",
    "compliance_history",
    // An association's HR settings (one flag), and the sites of each contract: read
    // through the settings query and the contract.
    "hr_settings",
    "contract_sites",
    // The access log, its chains' heads and retention checkpoints: read through
    // accessLog (entries carry a number in their chain, not an id).
    "access_log",
    "access_log_heads",
    "access_log_checkpoints",
];

pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
