//! A partner's listing of the activity coded to its agreements, page by page: one row
//! per agreement, site, month and theme of partner requests, with the site's name,
//! small counts hidden. What a partner's back office pulls through the API; keyset
//! paging in the primary key's order (behind the partner's index), one statement.

use super::repo::Reader;
use super::report::Shown;
use crate::Partners;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use kernel::{Ctx, Error, PartnerScope};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

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
        let keyset = if after.is_some() {
            "and (m.agreement_id, m.tenant_id, m.site_id, m.month, m.activity, m.theme) \
             > ($5, $6, $7, $8, 'request', $9) "
        } else {
            ""
        };
        let sql = format!(
            "select m.agreement_id, m.tenant_id, m.site_id, m.month, m.theme, m.count, m.mediation_acts, s.name \
             from agreement_activity_monthly m \
             join sites s on s.tenant_id = m.tenant_id and s.id = m.site_id \
             where m.partner_id = $1 and m.activity = 'request' \
               and ($2::date is null or m.month >= $2) and ($3::date is null or m.month <= $3) {keyset}\
             order by m.agreement_id, m.tenant_id, m.site_id, m.month, m.activity, m.theme \
             limit $4"
        );
        let mut values: Vec<sea_orm::Value> = vec![
            partner.0.into(),
            from.into(),
            to.into(),
            ((first + 1) as i64).into(),
        ];
        if let Some(c) = &after {
            values.extend([
                c.agreement_id.into(),
                c.tenant_id.into(),
                c.site_id.into(),
                c.month.into(),
                c.theme.clone().into(),
            ]);
        }
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await
            .map_err(|e| Error::from(db::DbError::from(e)))?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let get = |e: sea_orm::DbErr| Error::from(db::DbError::from(e));
            let count: i32 = r.try_get_by_index(5).map_err(get)?;
            let acts: i32 = r.try_get_by_index(6).map_err(get)?;
            out.push(CodedRow {
                cursor: CodedCursor {
                    agreement_id: r.try_get_by_index(0).map_err(get)?,
                    tenant_id: r.try_get_by_index(1).map_err(get)?,
                    site_id: r.try_get_by_index(2).map_err(get)?,
                    month: r.try_get_by_index(3).map_err(get)?,
                    theme: r.try_get_by_index(4).map_err(get)?,
                },
                site_name: r.try_get_by_index(7).map_err(get)?,
                requests: Shown::new(count.into(), true),
                mediation_acts: Shown::new(acts.into(), true),
            });
        }
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
