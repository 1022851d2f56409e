use super::types::Site;
use crate::loaders::{Load, Scope, batch, by_id};
use std::sync::Arc;

/// A site's hours, closures and labels.
pub(crate) type SiteDetails = (
    Vec<::sites::OpeningSlot>,
    Vec<::sites::Closure>,
    Vec<::sites::Label>,
);

pub(crate) struct Loaders {
    pub site: Load<::sites::Site>,
    pub details: Load<SiteDetails>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            site: s.loader(|svc, ctx, ids| by_id::<Site>(svc.sites.by_ids(ctx, ids))),
            details: s.loader(|svc, ctx, ids| {
                batch(svc.sites.details(ctx, ids), |rows| {
                    rows.into_iter()
                        .map(|(id, h, c, l)| (id, (h, c, l)))
                        .collect()
                })
            }),
        }
    }
}

loadable! {
    Site => sites.site,
}
