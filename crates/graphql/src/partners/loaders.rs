use super::types::Agreement;
use crate::loaders::{Load, Scope, batch, by_id, by_parent};
use ::partners::agreements as ag;
use std::sync::Arc;

pub(crate) struct Loaders {
    pub agreement: Load<ag::Agreement>,
    /// An agreement's covered sites, targets and payments.
    pub details: Load<ag::Details>,
    /// A partner's contacts.
    pub contacts: Load<Vec<ag::Contact>>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            agreement: s.loader(|svc, ctx, ids| {
                by_id::<Agreement>(svc.partners.agreements_by_ids(ctx, ids))
            }),
            details: s.loader(|svc, ctx, ids| {
                batch(svc.partners.agreement_details(ctx, ids), |rows| {
                    rows.into_iter().collect()
                })
            }),
            contacts: s.loader(|svc, ctx, ids| {
                by_parent(svc.partners.partner_contacts(ctx, ids), |k| k.partner_id)
            }),
        }
    }
}

loadable! {
    Agreement => partners.agreement,
}
