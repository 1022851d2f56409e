use db::DbError;
use kernel::Error;

/// Maps the constraints this domain owns to client errors; anything else is a bug
/// of ours and stays INTERNAL.
pub(crate) fn map(e: DbError) -> Error {
    match &e {
        DbError::Constraint(c) => match c.as_str() {
            "tenants_slug_key" => Error::conflict("slug: an association already uses this slug"),
            "tenants_slug_format" => Error::validation(
                "slug",
                "lowercase letters, digits and single hyphens, at most 63 characters",
            ),
            "tenants_name_length" => Error::validation("name", "between 2 and 200 characters"),
            "memberships_keep_one_director" => {
                Error::conflict("an association must keep at least one active director")
            }
            "memberships_tenant_user_key" => {
                Error::conflict("already a member of this association")
            }
            "invitations_pending_email_key" => {
                Error::conflict("an invitation is already pending for this email")
            }
            "union_invitations_email_key" => {
                Error::conflict("an invitation is already pending for this email")
            }
            "invitations_email_format"
            | "union_invitations_email_format"
            | "users_email_format" => Error::validation("email", "not a valid email address"),
            "partner_organisations_name_key" => Error::conflict("this partner already exists"),
            _ => Error::from(e),
        },
        _ => Error::from(e),
    }
}

pub(crate) fn orm(e: sea_orm::DbErr) -> Error {
    if matches!(
        e,
        sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)
    ) {
        return Error::NotFound;
    }
    map(DbError::from(e))
}
