//! Roles. Their string forms are stored in PostgreSQL (check constraints) and read
//! by row-level security policies, so they are part of the database contract.

use serde::{Deserialize, Serialize};

crate::stored_as_code!(TenantRole, UnionRole, PartnerScope);

/// A member's role inside one association (tenant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "orm",
    derive(sea_orm::DeriveValueType),
    sea_orm(value_type = "String")
)]
pub enum TenantRole {
    /// Runs the association: manages members and everything else.
    Director,
    /// Runs a site or an activity.
    Coordinator,
    /// Front-line staff.
    Mediator,
    /// Read-only (board members).
    Viewer,
}

impl TenantRole {
    pub const ALL: [TenantRole; 4] = [
        TenantRole::Director,
        TenantRole::Coordinator,
        TenantRole::Mediator,
        TenantRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenantRole::Director => "director",
            TenantRole::Coordinator => "coordinator",
            TenantRole::Mediator => "mediator",
            TenantRole::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// French label shown to users.
    pub fn label_fr(self) -> &'static str {
        match self {
            TenantRole::Director => "Directeur·rice",
            TenantRole::Coordinator => "Coordinateur·rice",
            TenantRole::Mediator => "Agent médiateur",
            TenantRole::Viewer => "Lecture seule (administrateur·rice)",
        }
    }
}

/// A role at the national union (the platform operator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "orm",
    derive(sea_orm::DeriveValueType),
    sea_orm(value_type = "String")
)]
pub enum UnionRole {
    /// Creates, suspends and reactivates tenants; manages union staff.
    Admin,
    /// Audits member associations (read across tenants, no personal data).
    Auditor,
    /// Reads network-wide aggregates.
    Analyst,
}

impl UnionRole {
    pub const ALL: [UnionRole; 3] = [UnionRole::Admin, UnionRole::Auditor, UnionRole::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            UnionRole::Admin => "admin",
            UnionRole::Auditor => "auditor",
            UnionRole::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a partner's API client may do, granted per client and carried by each token.
/// A partner's people (partner users) hold every scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "orm",
    derive(sea_orm::DeriveValueType),
    sea_orm(value_type = "String")
)]
pub enum PartnerScope {
    #[serde(rename = "agreements:read")]
    AgreementsRead,
    #[serde(rename = "activity:read")]
    ActivityRead,
    #[serde(rename = "outreach:read")]
    OutreachRead,
    #[serde(rename = "outreach:write")]
    OutreachWrite,
}

impl PartnerScope {
    pub const ALL: [PartnerScope; 4] = [
        PartnerScope::AgreementsRead,
        PartnerScope::ActivityRead,
        PartnerScope::OutreachRead,
        PartnerScope::OutreachWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PartnerScope::AgreementsRead => "agreements:read",
            PartnerScope::ActivityRead => "activity:read",
            PartnerScope::OutreachRead => "outreach:read",
            PartnerScope::OutreachWrite => "outreach:write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Parses a space-separated OAuth scope string; unknown scopes are ignored.
    pub fn parse_list(s: &str) -> Vec<Self> {
        let mut v: Vec<Self> = s.split_whitespace().filter_map(Self::parse).collect();
        v.sort();
        v.dedup();
        v
    }
}
