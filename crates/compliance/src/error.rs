//! The crate's own failures, and what a client sees of them.

use kernel::Error;

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    /// The evidence store (local directory or S3-compatible bucket) failed.
    #[error("evidence store: {0}")]
    Store(#[from] object_store::Error),
    /// The evidence store could not be configured.
    #[error("evidence store configuration: {0}")]
    StoreConfig(String),
}

impl From<ComplianceError> for Error {
    fn from(e: ComplianceError) -> Self {
        match e {
            // A file the database names but the store has lost is the platform's fault,
            // not the caller's; a store that does not answer may answer a moment later.
            ComplianceError::Store(object_store::Error::NotFound { .. }) => Error::internal(e),
            ComplianceError::Store(_) => Error::unavailable(
                "le stockage des pièces justificatives ne répond pas, réessayez dans un instant",
                e,
            ),
            ComplianceError::StoreConfig(_) => Error::internal(e),
        }
    }
}
