use super::types::{OutreachCampaign, OutreachCase};
use crate::loaders::{Load, Scope, by_id, by_parent};
use ::partners::outreach as out;
use std::sync::Arc;

pub(crate) struct Loaders {
    pub campaign: Load<out::Campaign>,
    pub case: Load<out::Case>,
    /// A case's attempts, oldest first (the association's staff only).
    pub attempts: Load<Vec<out::Attempt>>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            campaign: s.loader(|svc, ctx, ids| {
                by_id::<OutreachCampaign>(svc.partners.outreach_campaigns_by_ids(ctx, ids))
            }),
            case: s.loader(|svc, ctx, ids| {
                by_id::<OutreachCase>(svc.partners.outreach_cases_by_ids(ctx, ids))
            }),
            attempts: s.loader(|svc, ctx, ids| {
                by_parent(svc.partners.outreach_attempts_of(ctx, ids), |a| a.case_id)
            }),
        }
    }
}

loadable! {
    OutreachCampaign => outreach.campaign,
    OutreachCase => outreach.case,
}
