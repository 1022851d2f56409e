//! The statement helpers the generators share. Rows are read by column name: every
//! statement whose result is read names its columns.

use crate::Error;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

pub(crate) fn stmt(q: &str, v: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, q, v)
}

pub(crate) async fn exec(tx: &db::Scoped, q: &str, v: Vec<Value>) -> Result<(), Error> {
    tx.execute_raw(stmt(q, v)).await?;
    Ok(())
}

/// Runs a statement, returns the number of rows it wrote.
pub(crate) async fn affected(tx: &db::Scoped, q: &str, v: Vec<Value>) -> Result<u64, Error> {
    Ok(tx.execute_raw(stmt(q, v)).await?.rows_affected())
}

pub(crate) async fn query(
    tx: &db::Scoped,
    q: &str,
    v: Vec<Value>,
) -> Result<Vec<QueryResult>, Error> {
    Ok(tx.query_all_raw(stmt(q, v)).await?)
}

/// The count (or sum of counts) a statement returns in its column `n`; 0 when it
/// returns no row or null.
pub(crate) async fn total(tx: &db::Scoped, q: &str, v: Vec<Value>) -> Result<u64, Error> {
    match query(tx, q, v).await?.first() {
        Some(r) => Ok(r.try_get::<Option<i64>>("", "n")?.unwrap_or(0).max(0) as u64),
        None => Ok(0),
    }
}
