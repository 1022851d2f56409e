use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use std::fmt;

/// What went wrong below the domain. Constraint violations carry the constraint's
/// name: domain crates map names to VALIDATION or CONFLICT, which is both race-free
/// (no check-then-insert) and leak-free (the name says nothing of other tenants' rows).
///
/// `Display` says the class of failure and the SQLSTATE, never PostgreSQL's message
/// (it may quote values: "invalid input syntax for type uuid: \"...\""), so any log
/// line printing a `DbError` gives operators the cause without personal data.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("constraint {0} violated")]
    Constraint(String),
    /// Row-level security (or a grant) refused the statement (SQLSTATE 42501). The
    /// services check first; this is what a race with a concurrent change looks like.
    #[error("refused by row-level security")]
    Denied(#[source] DbErr),
    /// The connection broke, could not be opened, or none came free in time.
    #[error("database unavailable ({})", Diagnosis::of_err(.0))]
    Unavailable(#[source] DbErr),
    /// A statement, lock or idle-in-transaction timeout fired, or the statement was
    /// cancelled: the transaction is rolled back.
    #[error("database timeout ({})", Diagnosis::of_err(.0))]
    Timeout(#[source] DbErr),
    /// Refused before waiting: too many requests already wait for a connection.
    #[error("database pool saturated (class=pool_saturated)")]
    Saturated,
    #[error("database error ({})", Diagnosis::of_err(.0))]
    Other(#[source] DbErr),
}

/// The class of a database failure, as operators read it in the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// The connection broke or could not be opened (I/O, SQLSTATE class 08, 57P0x).
    ConnectionLost,
    StatementTimeout,
    LockTimeout,
    IdleInTransactionTimeout,
    /// Cancelled by request (ours, when the HTTP request was given up).
    Cancelled,
    /// No pooled connection came free within the acquire timeout.
    PoolTimeout,
    /// Shed: the queue for connections was past its bound.
    PoolSaturated,
    /// Serialization failure or deadlock (40001, 40P01).
    Serialization,
    Constraint,
    Denied,
    /// Out of connections, memory or disk on the server (class 53).
    Resources,
    Other,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::ConnectionLost => "connection_lost",
            FailureClass::StatementTimeout => "statement_timeout",
            FailureClass::LockTimeout => "lock_timeout",
            FailureClass::IdleInTransactionTimeout => "idle_in_transaction_timeout",
            FailureClass::Cancelled => "cancelled",
            FailureClass::PoolTimeout => "pool_timeout",
            FailureClass::PoolSaturated => "pool_saturated",
            FailureClass::Serialization => "serialization",
            FailureClass::Constraint => "constraint",
            FailureClass::Denied => "denied",
            FailureClass::Resources => "insufficient_resources",
            FailureClass::Other => "other",
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What may be logged of a database failure: its class, SQLSTATE and constraint
/// name. Never the message, detail or hint, which may hold values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    pub class: FailureClass,
    pub sqlstate: Option<String>,
    pub constraint: Option<String>,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "class={}", self.class)?;
        if let Some(s) = &self.sqlstate {
            write!(f, " sqlstate={s}")?;
        }
        if let Some(c) = &self.constraint {
            write!(f, " constraint={c}")?;
        }
        Ok(())
    }
}

fn sqlx_of(e: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

fn class_of_sqlstate(code: &str, message: &str) -> FailureClass {
    match code {
        // statement_timeout and cancel requests share 57014; only the message tells.
        "57014" if message.contains("statement timeout") => FailureClass::StatementTimeout,
        "57014" => FailureClass::Cancelled,
        "55P03" => FailureClass::LockTimeout,
        "25P03" => FailureClass::IdleInTransactionTimeout,
        "40001" | "40P01" => FailureClass::Serialization,
        "42501" => FailureClass::Denied,
        c if c.starts_with("08") || c.starts_with("57P") => FailureClass::ConnectionLost,
        c if c.starts_with("23") => FailureClass::Constraint,
        c if c.starts_with("53") => FailureClass::Resources,
        _ => FailureClass::Other,
    }
}

impl Diagnosis {
    pub fn of_err(e: &DbErr) -> Self {
        use sea_orm::sqlx::Error as S;
        let mut d = Diagnosis {
            class: FailureClass::Other,
            sqlstate: None,
            constraint: None,
        };
        if let DbErr::ConnectionAcquire(a) = e {
            d.class = match a {
                ConnAcquireErr::Timeout => FailureClass::PoolTimeout,
                _ => FailureClass::ConnectionLost,
            };
            return d;
        }
        d.class = match sqlx_of(e) {
            Some(S::Database(db)) => {
                d.sqlstate = db.code().map(|c| c.into_owned());
                d.constraint = db.constraint().map(str::to_owned);
                class_of_sqlstate(d.sqlstate.as_deref().unwrap_or(""), db.message())
            }
            Some(S::PoolTimedOut) => FailureClass::PoolTimeout,
            Some(S::Io(_) | S::Tls(_) | S::Protocol(_) | S::PoolClosed | S::WorkerCrashed) => {
                FailureClass::ConnectionLost
            }
            _ if matches!(e, DbErr::Conn(_)) => FailureClass::ConnectionLost,
            _ => FailureClass::Other,
        };
        d
    }

    /// The diagnosis of the first database error in `e`'s chain of causes: what
    /// the gateway logs for INTERNAL and UNAVAILABLE answers.
    pub fn find(e: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(d) = err.downcast_ref::<DbError>() {
                return Some(d.diagnosis());
            }
            if let Some(d) = err.downcast_ref::<DbErr>() {
                return Some(Diagnosis::of_err(d));
            }
            cur = err.source();
        }
        None
    }
}

impl DbError {
    pub fn diagnosis(&self) -> Diagnosis {
        match self {
            DbError::Constraint(c) => Diagnosis {
                class: FailureClass::Constraint,
                sqlstate: None,
                constraint: Some(c.clone()),
            },
            DbError::Saturated => Diagnosis {
                class: FailureClass::PoolSaturated,
                sqlstate: None,
                constraint: None,
            },
            DbError::Denied(e)
            | DbError::Unavailable(e)
            | DbError::Timeout(e)
            | DbError::Other(e) => Diagnosis::of_err(e),
        }
    }

    pub fn class(&self) -> FailureClass {
        self.diagnosis().class
    }
}

impl From<DbErr> for DbError {
    fn from(e: DbErr) -> Self {
        if let Some(c) = constraint_of(&e) {
            return DbError::Constraint(c);
        }
        match Diagnosis::of_err(&e).class {
            FailureClass::Denied => DbError::Denied(e),
            FailureClass::ConnectionLost | FailureClass::PoolTimeout | FailureClass::Resources => {
                DbError::Unavailable(e)
            }
            FailureClass::StatementTimeout
            | FailureClass::LockTimeout
            | FailureClass::IdleInTransactionTimeout
            | FailureClass::Cancelled => DbError::Timeout(e),
            _ => DbError::Other(e),
        }
    }
}

/// Whether row-level security (or a grant) refused the statement.
pub fn is_denied(e: &DbErr) -> bool {
    Diagnosis::of_err(e).class == FailureClass::Denied
}

/// The violated constraint's name, when the error is a constraint violation
/// (unique, foreign key, check, exclusion, or a trigger raising with CONSTRAINT).
pub fn constraint_of(e: &DbErr) -> Option<String> {
    if let Some(sea_orm::sqlx::Error::Database(d)) = sqlx_of(e)
        && !matches!(e, DbErr::Conn(_))
    {
        return d.constraint().map(str::to_owned);
    }
    None
}

/// What a person is told when the database cannot serve the request now.
pub const REASON_SATURATED: &str =
    "Le service est momentanément surchargé : réessayez dans quelques secondes.";
pub const REASON_UNREACHABLE: &str =
    "La base de données est momentanément injoignable : réessayez dans quelques secondes.";
pub const REASON_TIMEOUT: &str = "La base de données n'a pas répondu à temps (opération trop longue ou données verrouillées) : réessayez dans quelques secondes.";

impl From<DbError> for kernel::Error {
    /// Only for errors a domain did not map itself: an unmapped constraint is a bug
    /// in our code, not the caller's, so it is INTERNAL (and logged), never echoed.
    /// Timeouts, lost connections and a saturated pool are UNAVAILABLE: the request
    /// was fine and may be retried.
    fn from(e: DbError) -> Self {
        match e {
            DbError::Denied(cause) => {
                tracing::warn!(
                    diagnosis = %Diagnosis::of_err(&cause),
                    "write refused by row-level security"
                );
                kernel::Error::Forbidden("refused: the object changed or is not yours")
            }
            DbError::Saturated => kernel::Error::unavailable(REASON_SATURATED, e),
            DbError::Unavailable(ref cause) => {
                let reason = if Diagnosis::of_err(cause).class == FailureClass::PoolTimeout {
                    REASON_SATURATED
                } else {
                    REASON_UNREACHABLE
                };
                kernel::Error::unavailable(reason, e)
            }
            DbError::Timeout(_) => kernel::Error::unavailable(REASON_TIMEOUT, e),
            other => kernel::Error::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified() {
        assert_eq!(
            class_of_sqlstate("57014", "canceling statement due to statement timeout"),
            FailureClass::StatementTimeout
        );
        assert_eq!(
            class_of_sqlstate("57014", "canceling statement due to user request"),
            FailureClass::Cancelled
        );
        assert_eq!(class_of_sqlstate("55P03", ""), FailureClass::LockTimeout);
        assert_eq!(class_of_sqlstate("57P01", ""), FailureClass::ConnectionLost);
        assert_eq!(class_of_sqlstate("08006", ""), FailureClass::ConnectionLost);
        assert_eq!(class_of_sqlstate("40P01", ""), FailureClass::Serialization);
        assert_eq!(class_of_sqlstate("23505", ""), FailureClass::Constraint);
        assert_eq!(class_of_sqlstate("XX000", ""), FailureClass::Other);
    }

    #[test]
    fn a_pool_timeout_is_unavailable_not_internal() {
        let e = DbError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(e.class(), FailureClass::PoolTimeout);
        let k = kernel::Error::from(e);
        assert_eq!(k.code(), kernel::ErrorCode::Unavailable);
        assert_eq!(k.to_string(), REASON_SATURATED);
        assert!(Diagnosis::find(&k).is_some_and(|d| d.class == FailureClass::PoolTimeout));
    }
}
