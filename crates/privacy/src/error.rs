//! The crate's own failures, and what a client sees of them.

use kernel::Error;

/// What a person is told when the access log cannot be written: the read or the
/// answer is refused, and a retry may succeed.
pub const REASON_LOG_UNAVAILABLE: &str = "Le journal des accès ne peut pas être écrit pour le moment : l'opération n'a pas abouti ou n'a pas été confirmée, réessayez dans quelques secondes.";

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The log's own connections failed (connect, append).
    #[error("access log writer: {0}")]
    Writer(#[source] db::DbError),
    /// The database answered the append with something other than its count.
    #[error("access log append: {0} entries written, {1} expected")]
    Short(i64, usize),
}

impl From<PrivacyError> for Error {
    /// Whatever failed, the caller is told the log is unavailable: the request was
    /// fine, and the log's failure must never pass for the caller's mistake.
    fn from(e: PrivacyError) -> Self {
        Error::unavailable(REASON_LOG_UNAVAILABLE, e)
    }
}

/// A sqlx error classified like the rest of the database's (db::DbError).
pub(crate) fn sqlx_err(e: sea_orm::sqlx::Error) -> PrivacyError {
    let unavailable = matches!(
        e,
        sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
    );
    let e = sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e));
    PrivacyError::Writer(if unavailable {
        db::DbError::Unavailable(sea_orm::DbErr::Conn(e))
    } else {
        db::DbError::from(sea_orm::DbErr::Query(e))
    })
}
