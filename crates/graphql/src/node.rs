//! The Relay `Node` interface and the `node` / `nodes` root fields. An id of another
//! tenant resolves exactly like a missing one: null.

use crate::clients::PartnerApiClient;
use crate::journal::{Beneficiary, SurveyCampaign, Visit, Workshop};
use crate::loaders::loaders;
use crate::outreach::{OutreachCampaign, OutreachCase};
use crate::partners::Agreement;
use crate::sites::Site;
use crate::tenancy::{Invitation, Membership, PartnerOrganisation, Tenant, User};
use async_graphql::{Context, ID, Interface, Object};
use kernel::Error;
use uuid::Uuid;

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global identifier."))]
pub enum Node {
    Tenant(Tenant),
    Membership(Membership),
    User(User),
    Invitation(Invitation),
    PartnerOrganisation(PartnerOrganisation),
    PartnerApiClient(PartnerApiClient),
    Site(Site),
    Visit(Visit),
    Beneficiary(Beneficiary),
    Workshop(Workshop),
    SurveyCampaign(SurveyCampaign),
    Agreement(Agreement),
    OutreachCampaign(OutreachCampaign),
    OutreachCase(OutreachCase),
}

pub(crate) const MAX_NODES: usize = 100;

/// Decodes a global id of the expected type, or VALIDATION on `field`.
pub(crate) fn decode_id(field: &str, id: &ID, type_name: &str) -> Result<Uuid, Error> {
    match kernel::gid::decode(id.as_str()) {
        Some((t, uuid)) if t == type_name => Ok(uuid),
        _ => Err(Error::validation(field, format!("not a {type_name} id"))),
    }
}

pub(crate) fn encode_id(type_name: &str, id: Uuid) -> ID {
    ID(kernel::gid::encode(type_name, id))
}

async fn load(c: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let l = loaders(c)?;
    let Some((t, uuid)) = kernel::gid::decode(id.as_str()) else {
        return Ok(None);
    };
    Ok(match t.as_str() {
        "Tenant" => l
            .tenant
            .load_one(uuid)
            .await?
            .map(|m| Node::Tenant(Tenant(m))),
        "Membership" => l
            .membership
            .load_one(uuid)
            .await?
            .map(|m| Node::Membership(Membership(m))),
        "User" => l.user.load_one(uuid).await?.map(|m| Node::User(User(m))),
        "Invitation" => l
            .invitation
            .load_one(uuid)
            .await?
            .map(|m| Node::Invitation(Invitation(m))),
        "PartnerOrganisation" => l
            .partner
            .load_one(uuid)
            .await?
            .map(|m| Node::PartnerOrganisation(PartnerOrganisation(m))),
        "PartnerApiClient" => {
            let ctx = crate::context::ctx(c)?;
            crate::context::services(c)?
                .partners
                .api_clients_by_ids(ctx, &[uuid])
                .await
                .map_err(crate::error::to_gql)?
                .pop()
                .map(|m| Node::PartnerApiClient(PartnerApiClient(m)))
        }
        "Site" => l.site.load_one(uuid).await?.map(|m| Node::Site(Site(m))),
        "Visit" => l.visit.load_one(uuid).await?.map(|m| Node::Visit(Visit(m))),
        "Beneficiary" => l
            .beneficiary
            .load_one(uuid)
            .await?
            .map(|m| Node::Beneficiary(Beneficiary(m))),
        "Workshop" => l
            .workshop
            .load_one(uuid)
            .await?
            .map(|m| Node::Workshop(Workshop(m))),
        "SurveyCampaign" => l
            .survey
            .load_one(uuid)
            .await?
            .map(|m| Node::SurveyCampaign(SurveyCampaign(m))),
        "Agreement" => l
            .agreement
            .load_one(uuid)
            .await?
            .map(|m| Node::Agreement(Agreement(m))),
        "OutreachCampaign" => l
            .outreach_campaign
            .load_one(uuid)
            .await?
            .map(|m| Node::OutreachCampaign(OutreachCampaign(m))),
        "OutreachCase" => l
            .outreach_case
            .load_one(uuid)
            .await?
            .map(|m| Node::OutreachCase(OutreachCase(m))),
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not yours.
    async fn node(&self, c: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        // The loaders also serve `viewer` before a choice: the caller must have chosen.
        crate::context::ctx(c)?;
        load(c, &id).await
    }

    /// Fetches up to 100 objects by global id, in order; null for each one that does
    /// not exist or is not yours.
    async fn nodes(
        &self,
        c: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        crate::context::ctx(c)?;
        if ids.len() > MAX_NODES {
            return Err(crate::error::to_gql(Error::validation(
                "ids",
                format!("at most {MAX_NODES} ids"),
            )));
        }
        let futs = ids.iter().map(|id| load(c, id));
        futures_util::future::try_join_all(futs).await
    }
}
