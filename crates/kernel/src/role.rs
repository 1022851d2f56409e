//! Roles. Their string forms are stored in PostgreSQL (check constraints) and read
//! by row-level security policies, so they are part of the database contract.

use serde::{Deserialize, Serialize};

/// A member's role inside one association (tenant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
