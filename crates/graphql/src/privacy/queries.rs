use super::types::AccessLogEntry;
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::opt_arg;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

fn query(
    tenant_id: Option<&ID>,
    reason: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<privacy::LogQuery> {
    Ok(privacy::LogQuery {
        tenant_id: opt_arg("tenantId", tenant_id, "Tenant")?,
        reason,
        from,
        to,
    })
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// The access log, newest first: the director reads their association's; a
    /// union admin reads the union's, or an association's (`tenantId`) on a written
    /// `reason`, which is itself logged on the union's before the read. Entries at
    /// or after `from` and before `to`.
    #[allow(clippy::too_many_arguments)]
    async fn access_log(
        &self,
        c: &Context<'_>,
        tenant_id: Option<ID>,
        reason: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AccessLogEntry>> {
        ctx(c)?;
        let q = query(tenant_id.as_ref(), reason, from, to)?;
        paged(c, first, after, |s, ctx, p| async move {
            s.privacy.page(ctx, &q, p).await
        })
        .await
    }

    /// The same entries over a period, oldest first, as CSV (semicolons, UTF-8 with
    /// BOM), for a spreadsheet; at most 100,000 entries.
    async fn access_log_csv(
        &self,
        c: &Context<'_>,
        tenant_id: Option<ID>,
        reason: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<String> {
        let ctx = ctx(c)?;
        let q = query(tenant_id.as_ref(), reason, from, to)?;
        services(c)?.privacy.csv(ctx, &q).await.gql()
    }
}
