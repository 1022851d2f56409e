//! Row mapping, constraint mapping, and who is reading.

use super::model::*;
use crate::entity::{agreement, agreement_payment};
use db::DbError;
use kernel::{Ctx, Error, PartnerId, PartnerScope, TenantScope, UnionRole};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

pub(crate) use db::stmt;

/// Constraint names to client errors. Unknown ones are bugs: INTERNAL.
pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "agreements_reference_key" => {
                Error::conflict("reference: another agreement already has it")
            }
            "agreements_reference_format" => Error::validation("reference", "invalid format"),
            "agreements_partner_id_fkey" | "partner_contacts_partner_id_fkey" => {
                Error::validation("partnerId", "unknown partner")
            }
            "agreements_tenant_id_fkey" => Error::validation("tenantId", "unknown association"),
            "agreement_sites_local_tenant" => Error::validation(
                "siteIds",
                "a local agreement covers only its own association's sites",
            ),
            "agreement_sites_site_fkey" => Error::validation("siteIds", "unknown site"),
            "partner_contacts_email_format" => Error::validation("email", "invalid format"),
            "partner_contacts_phone_format" => Error::validation("phone", "invalid format"),
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

/// Who reads, as far as agreements are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// Any union role: every agreement, exact figures.
    Union(UnionRole),
    /// An association's staff (any role): its local agreements and the national ones
    /// covering one of its sites, its own share only. A person who is also a
    /// partner's reads as one or the other, as the request chose (kernel::Acting).
    Association(TenantScope),
    /// A partner firm's person or API client: its own agreements, small counts hidden.
    Partner(PartnerId),
}

impl Reader {
    /// The caller, or FORBIDDEN; a partner needs `scope`.
    pub(crate) fn of(ctx: &Ctx, scope: PartnerScope) -> Result<Self, Error> {
        if let Some(r) = ctx.union_role() {
            return Ok(Reader::Union(r));
        }
        if let Some(t) = ctx.tenant() {
            return Ok(Reader::Association(t));
        }
        if ctx.partner_id().is_some() {
            return ctx.require_partner(scope).map(Reader::Partner);
        }
        Err(Error::Forbidden(
            "reserved to the union, the associations and partner firms",
        ))
    }

    /// Counts of 1 to 4 are hidden from partners: a partner is outside the
    /// associations, and small counts at a site in a month may point at a person.
    pub(crate) fn suppresses(self) -> bool {
        matches!(self, Reader::Partner(_))
    }
}

/// Whether `ctx` reads an agreement as an association only: then the money and the
/// other associations of a national framework stay hidden.
pub(crate) fn association_only(ctx: &Ctx, partner: Uuid) -> bool {
    ctx.union_role().is_none() && ctx.partner_id() != Some(PartnerId(partner))
}

/// An agreement row as `ctx` may see it: a national framework's funding only for the
/// union and the partner.
pub(crate) fn agreement(ctx: &Ctx, m: agreement::Model) -> Result<Agreement, Error> {
    let shown = m.tenant_id.is_some() || !association_only(ctx, m.partner_id);
    Ok(Agreement {
        id: m.id,
        partner_id: m.partner_id,
        tenant_id: m.tenant_id,
        reference: m.reference,
        title: m.title,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        status: m.status,
        services: m
            .services
            .iter()
            .map(|s| s.parse().map_err(Error::internal))
            .collect::<Result<_, _>>()?,
        themes: m.themes,
        workshop_themes: m.workshop_themes,
        funding_cents: shown.then_some(m.funding_cents),
        reporting_frequency: m.reporting_frequency,
        revision: m.revision,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Many rows, as `ctx` may see them.
pub(crate) fn agreements(ctx: &Ctx, rows: Vec<agreement::Model>) -> Result<Vec<Agreement>, Error> {
    rows.into_iter().map(|m| agreement(ctx, m)).collect()
}

/// What an amendment may change, as the columns it sets.
pub(crate) fn terms(t: &Terms) -> agreement::ActiveModel {
    agreement::ActiveModel {
        title: Set(t.title.clone()),
        starts_on: Set(t.starts_on),
        ends_on: Set(t.ends_on),
        services: Set(t.services.iter().map(|s| s.as_str().to_owned()).collect()),
        themes: Set(t.themes.clone()),
        workshop_themes: Set(t.workshop_themes.clone()),
        funding_cents: Set(t.funding_cents),
        reporting_frequency: Set(t.reporting_frequency),
        ..Default::default()
    }
}

impl From<agreement_payment::Model> for Payment {
    fn from(m: agreement_payment::Model) -> Self {
        Payment {
            id: m.id,
            kind: m.kind,
            on_date: m.on_date,
            amount_cents: m.amount_cents,
            label: m.label,
            created_at: m.created_at,
        }
    }
}

/// The state an amendment or a status change replaces, as kept in the history.
pub(crate) fn snapshot(a: &Agreement, funding: i64, d: &Details) -> serde_json::Value {
    serde_json::json!({
        "title": a.title, "startsOn": a.starts_on, "endsOn": a.ends_on, "status": a.status.as_str(),
        "services": a.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "themes": a.themes, "workshopThemes": a.workshop_themes, "fundingCents": funding,
        "reportingFrequency": a.reporting_frequency.as_str(),
        "sites": d.sites.iter().map(|s| serde_json::json!({"tenantId": s.tenant_id, "siteId": s.site_id})).collect::<Vec<_>>(),
        "targets": d.targets.iter().map(|t| serde_json::json!({"indicator": t.indicator.as_str(), "annualTarget": t.annual_target})).collect::<Vec<_>>(),
    })
}

/// A previous state as an association reading a national framework may see it: its
/// own sites only, no money.
pub(crate) fn redact(mut previous: serde_json::Value, tenant: Option<Uuid>) -> serde_json::Value {
    if let Some(o) = previous.as_object_mut() {
        o.remove("fundingCents");
        let own = tenant.map(|t| t.to_string());
        if let Some(serde_json::Value::Array(sites)) = o.get_mut("sites") {
            sites.retain(|s| s["tenantId"].as_str() == own.as_deref());
        }
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_the_readers_sites() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let prev = serde_json::json!({"fundingCents": 12, "title": "x", "sites": [
            {"tenantId": mine, "siteId": Uuid::now_v7()}, {"tenantId": theirs, "siteId": Uuid::now_v7()}]});
        let r = redact(prev, Some(mine));
        assert!(r.get("fundingCents").is_none());
        assert_eq!(r["sites"].as_array().map(Vec::len), Some(1));
        assert_eq!(r["sites"][0]["tenantId"], mine.to_string());
        assert_eq!(r["title"], "x");
    }
}
