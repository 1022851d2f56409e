use super::types::{Beneficiary, SurveyCampaign, Visit, Workshop};
use crate::loaders::{Load, Scope, by_id, by_parent};
use std::sync::Arc;
use uuid::Uuid;

pub(crate) struct Loaders {
    pub visit: Load<mediation::Visit>,
    pub beneficiary: Load<mediation::Beneficiary>,
    pub workshop: Load<mediation::Workshop>,
    pub survey: Load<mediation::SurveyCampaign>,
    /// A visit's requests, in order.
    pub requests: Load<Vec<mediation::Request>>,
    /// The agreement proposed for each request (or workshop): the only one it fits.
    pub request_proposal: Load<Uuid>,
    pub workshop_proposal: Load<Uuid>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            visit: s.loader(|svc, ctx, ids| by_id::<Visit>(svc.journal.visits_by_ids(ctx, ids))),
            beneficiary: s.loader(|svc, ctx, ids| {
                by_id::<Beneficiary>(svc.journal.beneficiaries_by_ids(ctx, ids))
            }),
            workshop: s
                .loader(|svc, ctx, ids| by_id::<Workshop>(svc.journal.workshops_by_ids(ctx, ids))),
            survey: s.loader(|svc, ctx, ids| {
                by_id::<SurveyCampaign>(svc.journal.survey_campaigns_by_ids(ctx, ids))
            }),
            requests: s.loader(|svc, ctx, ids| {
                by_parent(svc.journal.requests_of(ctx, ids), |r| r.visit_id)
            }),
            request_proposal: s
                .loader(|svc, ctx, ids| Box::pin(svc.journal.proposed_for_requests(ctx, ids))),
            workshop_proposal: s
                .loader(|svc, ctx, ids| Box::pin(svc.journal.proposed_for_workshops(ctx, ids))),
        }
    }
}

loadable! {
    Visit => journal.visit,
    Beneficiary => journal.beneficiary,
    Workshop => journal.workshop,
    SurveyCampaign => journal.survey,
}
