//! Per-request DataLoaders: related objects are fetched in one `= any($1)` query per
//! type and tick, under the caller's own scope (row-level security applies).

use async_graphql::dataloader::{DataLoader, Loader};
use kernel::Ctx;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Much shorter than async-graphql's 1 ms default: resolvers of one level are polled
/// together anyway, and every microsecond here is added to each nested request.
const LOADER_DELAY: Duration = Duration::from_micros(50);

macro_rules! loader {
    ($name:ident, $model:ty, $method:ident) => {
        pub(crate) struct $name {
            svc: ::tenancy::Tenancy,
            ctx: Ctx,
        }

        impl Loader<Uuid> for $name {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $model>, Self::Error> {
                let rows = self
                    .svc
                    .$method(&self.ctx, keys)
                    .await
                    .map_err(crate::error::to_gql)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

loader!(TenantLoader, entity::tenant::Model, tenants_by_ids);
loader!(
    MembershipLoader,
    entity::membership::Model,
    memberships_by_ids
);
loader!(UserLoader, entity::user::Model, users_by_ids);
loader!(
    InvitationLoader,
    entity::invitation::Model,
    invitations_by_ids
);
loader!(
    PartnerLoader,
    entity::partner_organisation::Model,
    partners_by_ids
);

pub(crate) struct SiteLoader {
    svc: ::sites::Sites,
    ctx: Ctx,
}

impl Loader<Uuid> for SiteLoader {
    type Value = ::sites::Site;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ::sites::Site>, Self::Error> {
        let rows = self
            .svc
            .by_ids(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// A site's hours, closures and labels.
pub(crate) type SiteDetails = (
    Vec<::sites::OpeningSlot>,
    Vec<::sites::Closure>,
    Vec<::sites::Label>,
);

pub(crate) struct SiteDetailsLoader {
    svc: ::sites::Sites,
    ctx: Ctx,
}

impl Loader<Uuid> for SiteDetailsLoader {
    type Value = SiteDetails;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, SiteDetails>, Self::Error> {
        let rows = self
            .svc
            .details(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        Ok(rows
            .into_iter()
            .map(|(id, h, c, l)| (id, (h, c, l)))
            .collect())
    }
}

macro_rules! journal_loader {
    ($name:ident, $model:ty, $method:ident) => {
        pub(crate) struct $name {
            svc: ::mediation::Journal,
            ctx: Ctx,
        }

        impl Loader<Uuid> for $name {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $model>, Self::Error> {
                let rows = self
                    .svc
                    .$method(&self.ctx, keys)
                    .await
                    .map_err(crate::error::to_gql)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

journal_loader!(VisitLoader, ::mediation::Visit, visits_by_ids);
journal_loader!(
    BeneficiaryLoader,
    ::mediation::Beneficiary,
    beneficiaries_by_ids
);
journal_loader!(WorkshopLoader, ::mediation::Workshop, workshops_by_ids);
journal_loader!(
    SurveyLoader,
    ::mediation::SurveyCampaign,
    survey_campaigns_by_ids
);

/// A visit's requests, in order.
pub(crate) struct RequestsLoader {
    svc: ::mediation::Journal,
    ctx: Ctx,
}

impl Loader<Uuid> for RequestsLoader {
    type Value = Vec<::mediation::Request>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = self
            .svc
            .requests_of(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for r in rows {
            out.entry(r.visit_id).or_default().push(r);
        }
        Ok(out)
    }
}

macro_rules! outreach_loader {
    ($name:ident, $model:ty, $method:ident) => {
        pub(crate) struct $name {
            svc: ::partners::Partners,
            ctx: Ctx,
        }

        impl Loader<Uuid> for $name {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $model>, Self::Error> {
                let rows = self
                    .svc
                    .$method(&self.ctx, keys)
                    .await
                    .map_err(crate::error::to_gql)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

outreach_loader!(
    OutreachCampaignLoader,
    ::partners::outreach::Campaign,
    outreach_campaigns_by_ids
);
outreach_loader!(
    OutreachCaseLoader,
    ::partners::outreach::Case,
    outreach_cases_by_ids
);

/// A case's attempts, oldest first (the association's staff only).
pub(crate) struct OutreachAttemptsLoader {
    svc: ::partners::Partners,
    ctx: Ctx,
}

impl Loader<Uuid> for OutreachAttemptsLoader {
    type Value = Vec<::partners::outreach::Attempt>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = self
            .svc
            .outreach_attempts_of(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for a in rows {
            out.entry(a.case_id).or_default().push(a);
        }
        Ok(out)
    }
}

pub(crate) struct AgreementLoader {
    svc: ::partners::Partners,
    ctx: Ctx,
}

impl Loader<Uuid> for AgreementLoader {
    type Value = ::partners::agreements::Agreement;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = self
            .svc
            .agreements_by_ids(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// An agreement's covered sites, targets and payments.
pub(crate) struct AgreementDetailsLoader {
    svc: ::partners::Partners,
    ctx: Ctx,
}

impl Loader<Uuid> for AgreementDetailsLoader {
    type Value = ::partners::agreements::Details;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = self
            .svc
            .agreement_details(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        Ok(rows.into_iter().collect())
    }
}

/// A partner's contacts.
pub(crate) struct PartnerContactsLoader {
    svc: ::partners::Partners,
    ctx: Ctx,
}

impl Loader<Uuid> for PartnerContactsLoader {
    type Value = Vec<::partners::agreements::Contact>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = self
            .svc
            .partner_contacts(&self.ctx, keys)
            .await
            .map_err(crate::error::to_gql)?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for c in rows {
            out.entry(c.partner_id).or_default().push(c);
        }
        Ok(out)
    }
}

/// The agreement proposed for each request (or workshop): the only one it fits.
pub(crate) struct ProposalLoader {
    svc: ::mediation::Journal,
    ctx: Ctx,
    workshops: bool,
}

impl Loader<Uuid> for ProposalLoader {
    type Value = Uuid;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Uuid>, Self::Error> {
        let r = if self.workshops {
            self.svc.proposed_for_workshops(&self.ctx, keys).await
        } else {
            self.svc.proposed_for_requests(&self.ctx, keys).await
        };
        r.map_err(crate::error::to_gql)
    }
}

pub struct Loaders {
    pub(crate) tenant: DataLoader<TenantLoader>,
    pub(crate) membership: DataLoader<MembershipLoader>,
    pub(crate) user: DataLoader<UserLoader>,
    pub(crate) invitation: DataLoader<InvitationLoader>,
    pub(crate) partner: DataLoader<PartnerLoader>,
    pub(crate) site: DataLoader<SiteLoader>,
    pub(crate) site_details: DataLoader<SiteDetailsLoader>,
    pub(crate) visit: DataLoader<VisitLoader>,
    pub(crate) beneficiary: DataLoader<BeneficiaryLoader>,
    pub(crate) workshop: DataLoader<WorkshopLoader>,
    pub(crate) survey: DataLoader<SurveyLoader>,
    pub(crate) requests: DataLoader<RequestsLoader>,
    pub(crate) agreement: DataLoader<AgreementLoader>,
    pub(crate) agreement_details: DataLoader<AgreementDetailsLoader>,
    pub(crate) partner_contacts: DataLoader<PartnerContactsLoader>,
    pub(crate) request_proposal: DataLoader<ProposalLoader>,
    pub(crate) workshop_proposal: DataLoader<ProposalLoader>,
    pub(crate) outreach_campaign: DataLoader<OutreachCampaignLoader>,
    pub(crate) outreach_case: DataLoader<OutreachCaseLoader>,
    pub(crate) outreach_attempts: DataLoader<OutreachAttemptsLoader>,
}

/// Loads run in spawned tasks; `carry` gives them the operation's read unit, so
/// they share its transaction (db::ReadUnit), and the operation's span, so their
/// statements are traced as its children.
fn dl<L: Loader<Uuid>>(l: L) -> DataLoader<L> {
    DataLoader::new(l, |fut| {
        tokio::spawn(tracing::Instrument::in_current_span(db::ReadUnit::carry(
            fut,
        )))
    })
    .delay(LOADER_DELAY)
}

impl Loaders {
    pub fn new(svc: &crate::Services, ctx: &Ctx) -> Self {
        let t = &svc.tenancy;
        Self {
            tenant: dl(TenantLoader {
                svc: t.clone(),
                ctx: ctx.clone(),
            }),
            membership: dl(MembershipLoader {
                svc: t.clone(),
                ctx: ctx.clone(),
            }),
            user: dl(UserLoader {
                svc: t.clone(),
                ctx: ctx.clone(),
            }),
            invitation: dl(InvitationLoader {
                svc: t.clone(),
                ctx: ctx.clone(),
            }),
            partner: dl(PartnerLoader {
                svc: t.clone(),
                ctx: ctx.clone(),
            }),
            site: dl(SiteLoader {
                svc: svc.sites.clone(),
                ctx: ctx.clone(),
            }),
            site_details: dl(SiteDetailsLoader {
                svc: svc.sites.clone(),
                ctx: ctx.clone(),
            }),
            visit: dl(VisitLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
            }),
            beneficiary: dl(BeneficiaryLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
            }),
            workshop: dl(WorkshopLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
            }),
            survey: dl(SurveyLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
            }),
            requests: dl(RequestsLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
            }),
            agreement: dl(AgreementLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
            agreement_details: dl(AgreementDetailsLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
            partner_contacts: dl(PartnerContactsLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
            request_proposal: dl(ProposalLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
                workshops: false,
            }),
            workshop_proposal: dl(ProposalLoader {
                svc: svc.journal.clone(),
                ctx: ctx.clone(),
                workshops: true,
            }),
            outreach_campaign: dl(OutreachCampaignLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
            outreach_case: dl(OutreachCaseLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
            outreach_attempts: dl(OutreachAttemptsLoader {
                svc: svc.partners.clone(),
                ctx: ctx.clone(),
            }),
        }
    }
}

pub(crate) fn loaders<'a>(c: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loaders> {
    // Only objects some resolver already returned lead here: for a person who has
    // not chosen what they act as, that is `viewer`, whose objects must load.
    crate::context::person(c)?;
    Ok(c.data::<std::sync::Arc<Loaders>>()?.as_ref())
}
