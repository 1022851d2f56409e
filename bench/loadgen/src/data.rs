//! What the load generator samples from the database (as the superuser, before the
//! run): associations with their accounts and sites, recorded visits, partners, the
//! months, and the expected sums the validation compares responses against.

use chrono::{Datelike, Months, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult, Statement};
use std::collections::HashMap;
use uuid::Uuid;

/// Which accounts to act as: the bench dataset's (`bench-*`, bench/WORKLOADS.md) or
/// the demo network's (`passerelle seed --demo`), for an early check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accounts {
    Bench,
    Demo,
}

/// One person the load generator acts as, with what the peer's headers need.
#[derive(Clone, Debug)]
pub struct Actor {
    pub email: String,
    pub user_id: Uuid,
    pub tenant: Option<(Uuid, String)>,
    pub tenant_role: Option<String>,
    pub membership_id: Option<Uuid>,
    pub union_role: Option<String>,
    pub partner: Option<Uuid>,
}

#[derive(Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub director: Actor,
    pub mediator: Actor,
    /// Open sites (W1 records visits there).
    pub sites: Vec<Uuid>,
}

#[derive(Debug)]
pub struct Visit {
    pub tenant: usize,
    pub id: Uuid,
    pub requests: usize,
}

/// A beneficiary (W5) with the number of consents it holds.
#[derive(Debug)]
pub struct Beneficiary {
    pub tenant: usize,
    pub id: Uuid,
    pub consents: usize,
}

#[derive(Debug)]
pub struct Data {
    pub tenants: Vec<Tenant>,
    /// Recorded visits sampled uniformly, hence weighted by association size.
    pub visits: Vec<Visit>,
    /// Beneficiaries not anonymised, sampled uniformly (so weighted by association
    /// size, as the bench dataset follows a share of each one's visits).
    pub beneficiaries: Vec<Beneficiary>,
    pub partners: Vec<Actor>,
    pub analyst: Actor,
    pub edf: Uuid,
    /// First days of the last 12 whole months, oldest first.
    pub months: Vec<NaiveDate>,
    /// visit_daily sums per (tenant, first day of month), for the 12 months.
    pub month_visits: HashMap<(Uuid, NaiveDate), i64>,
    /// visit_daily sum over the network for the 12 months.
    pub network_visits: i64,
}

pub fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Result<Vec<QueryResult>, String> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .map_err(|e| format!("{e}: {sql}"))
}

fn get<T: sea_orm::TryGetable>(r: &QueryResult, i: usize) -> Result<T, String> {
    r.try_get_by_index(i).map_err(err)
}

/// The account filter for each kind of actor.
struct Filters {
    tenants: &'static str,
    director: &'static str,
    mediator: &'static str,
    partner: &'static str,
    analyst: &'static str,
}

fn filters(accounts: Accounts) -> Filters {
    match accounts {
        Accounts::Bench => Filters {
            tenants: "t.slug like 'bench-%'",
            director: "u.email = 'bench-director@' || t.slug || '.bench.example'",
            mediator: "u.email = 'bench-mediator@' || t.slug || '.bench.example'",
            partner: "u.email like 'bench@%.bench.example'",
            analyst: "u.email = 'bench-analyst@union.bench.example'",
        },
        Accounts::Demo => Filters {
            tenants: "t.slug not like 'bench-%'",
            director: "u.email not like 'bench%'",
            mediator: "u.email not like 'bench%'",
            partner: "u.email not like 'bench%'",
            analyst: "u.email not like 'bench%'",
        },
    }
}

pub async fn load(database_url: &str, accounts: Accounts, sample: usize) -> Result<Data, String> {
    let db = Database::connect(database_url)
        .await
        .map_err(|e| format!("cannot connect to {database_url}: {e}"))?;
    let f = filters(accounts);

    // Associations with one active director and one active mediator each.
    let member = |role: &str, filter: &str| {
        format!(
            "(select array[u.email, u.id::text, m.id::text] from memberships m join users u on u.id = m.user_id \
             where m.tenant_id = t.id and m.role = '{role}' and m.status = 'active' and {filter} \
             order by u.email limit 1)"
        )
    };
    let sql = format!(
        "select t.id, t.slug, {d}, {m} from tenants t where t.status = 'active' and {tf} order by t.slug",
        d = member("director", f.director),
        m = member("mediator", f.mediator),
        tf = f.tenants,
    );
    let mut tenants = Vec::new();
    let mut index = HashMap::new();
    for r in rows(&db, &sql).await? {
        let id: Uuid = get(&r, 0)?;
        let slug: String = get(&r, 1)?;
        let director: Option<Vec<String>> = get(&r, 2)?;
        let mediator: Option<Vec<String>> = get(&r, 3)?;
        let (Some(d), Some(m)) = (director, mediator) else {
            eprintln!("loadgen: skipping {slug}: no active director or mediator account");
            continue;
        };
        let actor = |v: &[String], role: &str| -> Result<Actor, String> {
            let [email, user, membership] = v else {
                return Err(format!("{slug}: unexpected membership row"));
            };
            Ok(Actor {
                email: email.clone(),
                user_id: Uuid::parse_str(user).map_err(err)?,
                tenant: Some((id, slug.clone())),
                tenant_role: Some(role.to_owned()),
                membership_id: Some(Uuid::parse_str(membership).map_err(err)?),
                union_role: None,
                partner: None,
            })
        };
        let director = actor(&d, "director")?;
        let mediator = actor(&m, "mediator")?;
        index.insert(id, tenants.len());
        tenants.push(Tenant {
            id,
            slug,
            director,
            mediator,
            sites: Vec::new(),
        });
    }
    if tenants.is_empty() {
        return Err(format!(
            "no association with accounts found ({accounts:?} accounts): was the database seeded{}?",
            if accounts == Accounts::Bench {
                " with `passerelle seed --bench`"
            } else {
                " with `passerelle seed --demo`"
            }
        ));
    }

    let sql = "select tenant_id, id from sites where opened_on <= current_date \
               and (closed_on is null or closed_on > current_date) order by tenant_id, id";
    for r in rows(&db, sql).await? {
        let t: Uuid = get(&r, 0)?;
        if let Some(&i) = index.get(&t) {
            tenants[i].sites.push(get(&r, 1)?);
        }
    }
    tenants.retain(|t| {
        if t.sites.is_empty() {
            eprintln!("loadgen: skipping {}: no open site", t.slug);
        }
        !t.sites.is_empty()
    });
    index = tenants.iter().enumerate().map(|(i, t)| (t.id, i)).collect();

    // Recorded visits, uniformly (so weighted by association size): a block sample
    // sized for about `sample` rows, whatever the table's size.
    let reltuples: f64 = rows(
        &db,
        "select greatest(reltuples, 0)::float8 from pg_class where oid = 'visits'::regclass",
    )
    .await?
    .first()
    .map(|r| get::<f64>(r, 0))
    .transpose()?
    .unwrap_or(0.0);
    let pct = if reltuples <= 0.0 {
        100.0
    } else {
        (sample as f64 * 300.0 / reltuples).clamp(0.01, 100.0)
    };
    let sql = format!(
        "select v.tenant_id, v.id, (select count(*) from visit_requests r where r.tenant_id = v.tenant_id and r.visit_id = v.id) \
         from (select tenant_id, id from visits tablesample bernoulli ({pct}) where status = 'recorded' limit {lim}) v",
        lim = sample * 3
    );
    let mut visits = Vec::new();
    for r in rows(&db, &sql).await? {
        let t: Uuid = get(&r, 0)?;
        if let Some(&i) = index.get(&t) {
            let n: i64 = get(&r, 2)?;
            visits.push(Visit {
                tenant: i,
                id: get(&r, 1)?,
                requests: usize::try_from(n).map_err(err)?,
            });
        }
    }
    visits.truncate(sample);

    // The table is small (a fraction of the visits): a random order over all of it.
    let sql = format!(
        "select b.tenant_id, b.id, (select count(*) from consents c where c.tenant_id = b.tenant_id \
           and c.beneficiary_id = b.id) \
         from beneficiaries b where b.anonymised_at is null order by random() limit {sample}"
    );
    let mut beneficiaries = Vec::new();
    for r in rows(&db, &sql).await? {
        let t: Uuid = get(&r, 0)?;
        if let Some(&i) = index.get(&t) {
            let n: i64 = get(&r, 2)?;
            beneficiaries.push(Beneficiary {
                tenant: i,
                id: get(&r, 1)?,
                consents: usize::try_from(n).map_err(err)?,
            });
        }
    }

    let sql = format!(
        "select u.email, u.id, pu.partner_id from partner_users pu join users u on u.id = pu.user_id \
         where {} order by u.email",
        f.partner
    );
    let mut partners: Vec<Actor> = Vec::new();
    for r in rows(&db, &sql).await? {
        let partner: Uuid = get(&r, 2)?;
        // One account per partner.
        if partners.iter().any(|p| p.partner == Some(partner)) {
            continue;
        }
        partners.push(Actor {
            email: get(&r, 0)?,
            user_id: get(&r, 1)?,
            tenant: None,
            tenant_role: None,
            membership_id: None,
            union_role: None,
            partner: Some(partner),
        });
    }

    let sql = format!(
        "select u.email, u.id from union_staff s join users u on u.id = s.user_id where s.role = 'analyst' and {} \
         order by u.email limit 1",
        f.analyst
    );
    let analyst = match rows(&db, &sql).await?.first() {
        Some(r) => Actor {
            email: get(r, 0)?,
            user_id: get(r, 1)?,
            tenant: None,
            tenant_role: None,
            membership_id: None,
            union_role: Some("analyst".to_owned()),
            partner: None,
        },
        None => return Err("no union analyst account found".to_owned()),
    };

    let edf: Uuid = match rows(
        &db,
        "select id from partner_organisations where name = 'EDF'",
    )
    .await?
    .first()
    {
        Some(r) => get(r, 0)?,
        None => return Err("partner EDF not found".to_owned()),
    };

    let today = Utc::now().date_naive();
    let this_month = today.with_day(1).unwrap_or(today);
    let months: Vec<NaiveDate> = (1..=12)
        .rev()
        .filter_map(|k| this_month.checked_sub_months(Months::new(k)))
        .collect();
    let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
        return Err("no months".to_owned());
    };
    let sql = format!(
        "select tenant_id, date_trunc('month', day)::date, sum(visits)::bigint from visit_daily \
         where day between '{first}' and '{end}' group by 1, 2",
        end = month_end(last)
    );
    let mut month_visits = HashMap::new();
    let mut network_visits = 0;
    for r in rows(&db, &sql).await? {
        let n: i64 = get(&r, 2)?;
        network_visits += n;
        month_visits.insert((get(&r, 0)?, get(&r, 1)?), n);
    }
    db.close().await.map_err(err)?;
    Ok(Data {
        tenants,
        visits,
        beneficiaries,
        partners,
        analyst,
        edf,
        months,
        month_visits,
        network_visits,
    })
}
