//! A partner's listing of the activity coded to its agreements, page by page: one row
//! per agreement, site, month and theme of partner requests, with the site's name,
//! small counts hidden. What a partner's back office pulls through the API; keyset
//! paging in the primary key's order (behind the partner's index), one statement.

use super::ActivityKind;
use super::repo::{Reader, map_err};
use super::report::Shown;
use crate::Partners;
use crate::entity::agreement_activity_monthly::{self as monthly, Column as M};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use kernel::{Ctx, Error, PartnerScope};
use sea_orm::sea_query::{Expr, ExprTrait, JoinType};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

/// A row of the partner's coded requests with its site's name.
#[derive(FromQueryResult)]
struct NamedRow {
    #[sea_orm(nested)]
    m: monthly::Model,
    site_name: String,
}

/// Where a page ends: the key of its last row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodedCursor {
    pub agreement_id: Uuid,
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub month: NaiveDate,
    pub theme: String,
}

impl CodedCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "coded|{}|{}|{}|{}|{}",
            self.agreement_id, self.tenant_id, self.site_id, self.month, self.theme
        ))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let mut it = raw.splitn(6, '|');
        if it.next()? != "coded" {
            return None;
        }
        Some(Self {
            agreement_id: Uuid::parse_str(it.next()?).ok()?,
            tenant_id: Uuid::parse_str(it.next()?).ok()?,
            site_id: Uuid::parse_str(it.next()?).ok()?,
            month: it.next()?.parse().ok()?,
            theme: it.next()?.to_owned(),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CodedRow {
    pub cursor: CodedCursor,
    pub site_name: String,
    pub requests: Shown,
    pub mediation_acts: Shown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CodedPage {
    pub rows: Vec<CodedRow>,
    pub has_next_page: bool,
}

impl Partners {
    /// The caller's partner's coded requests, `first` rows after `after`, optionally
    /// for months between `from` and `to`. Partners only (activity:read).
    pub async fn coded_activity(
        &self,
        ctx: &Ctx,
        first: Option<i32>,
        after: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<CodedPage, Error> {
        let Reader::Partner(partner) = Reader::of(ctx, PartnerScope::ActivityRead)? else {
            return Err(Error::Forbidden(
                "a partner's listing: the union and associations read agreementActivity",
            ));
        };
        // The network's page bounds (1 to 100, 20 by default), cursors of our own.
        let first = kernel::PageRequest::new(first, None)?.first;
        let after = match after {
            None => None,
            Some(c) => Some(
                CodedCursor::decode(c)
                    .ok_or_else(|| Error::validation("after", "not a cursor from this list"))?,
            ),
        };
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(Error::validation("to", "before from"));
        }
        // Two shapes rather than one with an OR, so that the row comparison is an index
        // bound and a deep page costs what the first does.
        let key = [
            M::AgreementId,
            M::TenantId,
            M::SiteId,
            M::Month,
            M::Activity,
            M::Theme,
        ];
        let mut select = monthly::Entity::find()
            .expr_as(Expr::col(("s", "name")), "site_name")
            .filter(M::PartnerId.eq(partner.0))
            .filter(M::Activity.eq(ActivityKind::Request))
            .apply_if(from, |q, f| q.filter(M::Month.gte(f)))
            .apply_if(to, |q, t| q.filter(M::Month.lte(t)))
            .apply_if(after, |q, c| {
                q.filter(
                    Expr::tuple(key.map(|k| Expr::col((monthly::Entity, k)))).gt(Expr::tuple([
                        Expr::val(c.agreement_id),
                        Expr::val(c.tenant_id),
                        Expr::val(c.site_id),
                        Expr::val(c.month),
                        Expr::val(ActivityKind::Request),
                        Expr::val(c.theme),
                    ])),
                )
            });
        for k in key {
            select = select.order_by_asc(k);
        }
        QueryTrait::query(&mut select).join_as(
            JoinType::InnerJoin,
            "sites",
            "s",
            Expr::col(("s", "tenant_id"))
                .equals((monthly::Entity, M::TenantId))
                .and(Expr::col(("s", "id")).equals((monthly::Entity, M::SiteId))),
        );
        let tx = self.db.scoped(ctx).await?;
        let rows = select
            .limit(first + 1)
            .into_model::<NamedRow>()
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let mut out: Vec<CodedRow> = rows
            .into_iter()
            .map(|NamedRow { m, site_name }| CodedRow {
                cursor: CodedCursor {
                    agreement_id: m.agreement_id,
                    tenant_id: m.tenant_id,
                    site_id: m.site_id,
                    month: m.month,
                    theme: m.theme,
                },
                site_name,
                requests: Shown::new(m.count.into(), true),
                mediation_acts: Shown::new(m.mediation_acts.into(), true),
            })
            .collect();
        let has_next_page = out.len() as u64 > first;
        out.truncate(first as usize);
        Ok(CodedPage {
            rows: out,
            has_next_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = CodedCursor {
            agreement_id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            site_id: Uuid::now_v7(),
            month: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
            theme: "energy".into(),
        };
        assert_eq!(CodedCursor::decode(&c.encode()), Some(c));
        assert_eq!(CodedCursor::decode("nonsense"), None);
    }
}
