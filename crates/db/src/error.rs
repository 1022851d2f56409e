use sea_orm::{DbErr, RuntimeErr};

/// What went wrong below the domain. Constraint violations carry the constraint's
/// name: domain crates map names to VALIDATION or CONFLICT, which is both race-free
/// (no check-then-insert) and leak-free (the name says nothing of other tenants' rows).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("constraint {0} violated")]
    Constraint(String),
    /// Row-level security (or a grant) refused the statement (SQLSTATE 42501). The
    /// services check first; this is what a race with a concurrent change looks like.
    #[error("refused by row-level security")]
    Denied(#[source] DbErr),
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    #[error("database error")]
    Other(#[source] DbErr),
}

impl From<DbErr> for DbError {
    fn from(e: DbErr) -> Self {
        if let Some(c) = constraint_of(&e) {
            return DbError::Constraint(c);
        }
        if sqlstate_of(&e).as_deref() == Some("42501") {
            return DbError::Denied(e);
        }
        match e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => DbError::Unavailable(e),
            other => DbError::Other(other),
        }
    }
}

/// Whether row-level security (or a grant) refused the statement.
pub fn is_denied(e: &DbErr) -> bool {
    sqlstate_of(e).as_deref() == Some("42501")
}

fn sqlstate_of(e: &DbErr) -> Option<String> {
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = e
        && let sea_orm::sqlx::Error::Database(d) = e.as_ref()
    {
        return d.code().map(|c| c.into_owned());
    }
    None
}

/// The violated constraint's name, when the error is a constraint violation
/// (unique, foreign key, check, exclusion, or a trigger raising with CONSTRAINT).
pub fn constraint_of(e: &DbErr) -> Option<String> {
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = e
        && let sea_orm::sqlx::Error::Database(d) = e.as_ref()
    {
        return d.constraint().map(str::to_owned);
    }
    None
}

impl From<DbError> for kernel::Error {
    /// Only for errors a domain did not map itself: an unmapped constraint is a bug
    /// in our code, not the caller's, so it is INTERNAL (and logged), never echoed.
    fn from(e: DbError) -> Self {
        match e {
            DbError::Denied(cause) => {
                tracing::warn!(error = %cause, "write refused by row-level security");
                kernel::Error::Forbidden("refused: the object changed or is not yours")
            }
            other => kernel::Error::internal(other),
        }
    }
}
