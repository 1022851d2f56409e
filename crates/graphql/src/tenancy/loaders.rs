use super::types::{Invitation, Membership, PartnerOrganisation, Tenant, User};
use crate::loaders::{Load, Scope, by_id};
use std::sync::Arc;

pub(crate) struct Loaders {
    pub tenant: Load<entity::tenant::Model>,
    pub membership: Load<entity::membership::Model>,
    pub user: Load<entity::user::Model>,
    pub invitation: Load<entity::invitation::Model>,
    pub partner: Load<entity::partner_organisation::Model>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            tenant: s.loader(|svc, ctx, ids| by_id::<Tenant>(svc.tenancy.tenants_by_ids(ctx, ids))),
            membership: s.loader(|svc, ctx, ids| {
                by_id::<Membership>(svc.tenancy.memberships_by_ids(ctx, ids))
            }),
            user: s.loader(|svc, ctx, ids| by_id::<User>(svc.tenancy.users_by_ids(ctx, ids))),
            invitation: s.loader(|svc, ctx, ids| {
                by_id::<Invitation>(svc.tenancy.invitations_by_ids(ctx, ids))
            }),
            partner: s.loader(|svc, ctx, ids| {
                by_id::<PartnerOrganisation>(svc.tenancy.partners_by_ids(ctx, ids))
            }),
        }
    }
}

loadable! {
    Tenant => tenancy.tenant,
    Membership => tenancy.membership,
    User => tenancy.user,
    Invitation => tenancy.invitation,
    PartnerOrganisation => tenancy.partner,
}
