//! The workloads of bench/WORKLOADS.md: one GraphQL request each, with random
//! variables, and the check its response must pass.

use crate::data::{Actor, Data, month_end};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDate, SecondsFormat, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Workload {
    W0,
    W1,
    W2,
    W2c,
    W3,
    W4,
    W5,
    Mix,
}

impl Workload {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "W0" => Self::W0,
            "W1" => Self::W1,
            "W2" => Self::W2,
            "W2C" => Self::W2c,
            "W3" => Self::W3,
            "W4" => Self::W4,
            "W5" => Self::W5,
            "MIX" => Self::Mix,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::W0 => "W0",
            Self::W1 => "W1",
            Self::W2 => "W2",
            Self::W2c => "W2c",
            Self::W3 => "W3",
            Self::W4 => "W4",
            Self::W5 => "W5",
            Self::Mix => "MIX",
        }
    }

    /// The document key: W2c sends W2's document.
    fn document(self) -> &'static str {
        match self {
            Self::W2c => "W2",
            w => w.name(),
        }
    }

    /// MIX: 70 % W3, 15 % W0, 10 % W2, 4 % W1, 1 % W4.
    fn pick(self, rng: &mut impl Rng) -> Self {
        if self != Self::Mix {
            return self;
        }
        match rng.random_range(0..100) {
            0..70 => Self::W3,
            70..85 => Self::W0,
            85..95 => Self::W2,
            95..99 => Self::W1,
            _ => Self::W4,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum System {
    Passerelle,
    Postgraphile,
}

pub const PASSERELLE_DOCS: [(&str, &str); 6] = [
    (
        "W0",
        "query W0($id: ID!) { node(id: $id) { ... on Visit { id occurredAt channel durationMinutes site { name } requests { theme kind outcome } } } }",
    ),
    (
        "W1",
        "mutation W1($i: RecordVisitInput!) { recordVisit(input: $i) { visit { id } replayed } }",
    ),
    (
        "W2",
        "query W2($i: DashboardInput!) { dashboard(input: $i) { rows { period key label counts { people requests } } } }",
    ),
    (
        "W3",
        "query W3($after: String) { codedActivity(first: 20, after: $after) { edges { cursor node { month theme requests site { name } } } pageInfo { hasNextPage endCursor } } }",
    ),
    (
        "W4",
        "query W4($i: DashboardInput!) { networkDashboard(input: $i) { rows { period key label counts { people requests } } } }",
    ),
    (
        "W5",
        "query W5($id: ID!) { node(id: $id) { ... on Beneficiary { id pseudonym ageBand sex neighbourhood createdAt consents { id purpose recipient givenOn channel expiresOn withdrawnOn active } } } }",
    ),
];

fn gid(t: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{t}:{id}"))
}

/// What a response must show.
#[derive(Debug)]
pub enum Check {
    W0 {
        id: Uuid,
        requests: usize,
    },
    W1 {
        id: Uuid,
    },
    Dashboard {
        from: NaiveDate,
        to: NaiveDate,
        visits: i64,
        periods: Option<usize>,
    },
    W3 {
        partner: usize,
    },
    W5 {
        id: Uuid,
        consents: usize,
    },
}

pub struct Prepared<'a> {
    pub workload: Workload,
    pub actor: &'a Actor,
    pub body: Value,
    pub check: Check,
}

pub struct Ops {
    pub system: System,
    pub data: Data,
    docs: HashMap<String, String>,
    /// W2c: the small set of (association, month) pairs it repeats.
    cached_pairs: Vec<(usize, usize)>,
    /// W3: cursors seen per partner, to ask for a later page.
    cursors: Vec<Mutex<Vec<String>>>,
}

const CURSORS_KEPT: usize = 256;

impl Ops {
    pub fn new(system: System, data: Data, docs: HashMap<String, String>, seed: u64) -> Self {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let cached_pairs = (0..8)
            .map(|_| {
                (
                    rng.random_range(0..data.tenants.len()),
                    rng.random_range(0..data.months.len().max(1)),
                )
            })
            .collect();
        let cursors = data
            .partners
            .iter()
            .map(|_| Mutex::new(Vec::new()))
            .collect();
        Self {
            system,
            data,
            docs,
            cached_pairs,
            cursors,
        }
    }

    /// Whether the workload can run on this data (W3 needs partners, W0 visits).
    pub fn ready(&self, w: Workload) -> Result<(), String> {
        let need = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
        match w {
            Workload::W0 => need(!self.data.visits.is_empty(), "no recorded visit to read"),
            Workload::W3 => need(!self.data.partners.is_empty(), "no partner account"),
            // PostGraphile exposes no beneficiary (bench/WORKLOADS.md): W5 measures
            // Passerelle's read of personal data with and without the access log.
            Workload::W5 if self.system == System::Postgraphile => {
                Err("W5 runs against Passerelle only: the peer has no equivalent".to_owned())
            }
            Workload::W5 => need(
                !self.data.beneficiaries.is_empty(),
                "no beneficiary to read: the dataset was seeded before beneficiaries were added \
                 (`passerelle seed --bench` again adds them; bench/run does it)",
            ),
            Workload::Mix => {
                need(!self.data.visits.is_empty(), "no recorded visit to read")?;
                need(!self.data.partners.is_empty(), "no partner account")
            }
            _ => need(!self.data.months.is_empty(), "no month"),
        }?;
        for key in ["W0", "W1", "W2", "W3", "W4", "W5"] {
            let used = (w == Workload::Mix && key != "W5") || w.document() == key;
            if used && !self.docs.contains_key(key) {
                return Err(format!("no {key} document"));
            }
        }
        Ok(())
    }

    /// Every account this workload may act as.
    pub fn actors(&self, w: Workload) -> Vec<&Actor> {
        let mut out: Vec<&Actor> = Vec::new();
        let all = w == Workload::Mix;
        if all
            || matches!(
                w,
                Workload::W0 | Workload::W2 | Workload::W2c | Workload::W5
            )
        {
            out.extend(self.data.tenants.iter().map(|t| &t.director));
        }
        if all || w == Workload::W1 {
            out.extend(self.data.tenants.iter().map(|t| &t.mediator));
        }
        if all || w == Workload::W3 {
            out.extend(self.data.partners.iter());
        }
        if all || w == Workload::W4 {
            out.push(&self.data.analyst);
        }
        out
    }

    fn body(&self, w: Workload, variables: Value) -> Value {
        let key = w.document();
        json!({
            "query": self.docs.get(key).map(String::as_str).unwrap_or_default(),
            "operationName": Value::Null,
            "variables": variables,
        })
    }

    pub fn prepare(&self, workload: Workload, rng: &mut impl Rng) -> Result<Prepared<'_>, String> {
        let w = workload.pick(rng);
        let d = &self.data;
        let pg = self.system == System::Postgraphile;
        let (actor, vars, check) = match w {
            Workload::W0 => {
                let v = d.visits.choose(rng).ok_or("no visit")?;
                let t = &d.tenants[v.tenant];
                let vars = if pg {
                    json!({ "tenantId": t.id, "id": v.id })
                } else {
                    json!({ "id": gid("Visit", v.id) })
                };
                (
                    &t.director,
                    vars,
                    Check::W0 {
                        id: v.id,
                        requests: v.requests,
                    },
                )
            }
            Workload::W1 => {
                let t = d.tenants.choose(rng).ok_or("no association")?;
                let site = *t.sites.choose(rng).ok_or("no site")?;
                let at = Utc::now() - Duration::seconds(rng.random_range(60..600));
                let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
                let id = Uuid::now_v7();
                let key = Uuid::now_v7().to_string();
                let vars = if pg {
                    json!({
                        "tenantId": t.id, "visitId": id, "siteId": site,
                        "mediatorId": t.mediator.membership_id, "userId": t.mediator.user_id,
                        "occurredAt": at, "clientKey": key, "partnerId": d.edf,
                        "request1Id": Uuid::now_v7(), "request2Id": Uuid::now_v7(),
                    })
                } else {
                    json!({ "i": {
                        "clientKey": key,
                        "visit": {
                            "siteId": gid("Site", site), "occurredAt": at, "channel": "ON_SITE",
                            "durationMinutes": 20,
                            "requests": [
                                { "theme": "energy", "kind": "PARTNER",
                                  "partnerId": gid("PartnerOrganisation", d.edf), "outcome": "MEDIATED" },
                                { "theme": "housing", "kind": "GENERAL", "outcome": "INFORMED" },
                            ],
                        },
                    }})
                };
                (&t.mediator, vars, Check::W1 { id })
            }
            Workload::W2 | Workload::W2c => {
                let (ti, mi) = if w == Workload::W2c {
                    *self.cached_pairs.choose(rng).ok_or("no pair")?
                } else {
                    (
                        rng.random_range(0..d.tenants.len()),
                        rng.random_range(0..d.months.len()),
                    )
                };
                let t = &d.tenants[ti];
                let from = d.months[mi];
                let to = month_end(from);
                let visits = d.month_visits.get(&(t.id, from)).copied().unwrap_or(0);
                let vars = if pg {
                    json!({ "tenantId": t.id, "from": from, "to": to })
                } else {
                    json!({ "i": { "from": from, "to": to, "granularity": "DAY", "dimension": "SITE", "emptyRows": false } })
                };
                (
                    &t.director,
                    vars,
                    Check::Dashboard {
                        from,
                        to,
                        visits,
                        periods: None,
                    },
                )
            }
            Workload::W3 => {
                let p = rng.random_range(0..d.partners.len());
                // A fifth of the requests read the first page, the others a page seen before.
                let after = if rng.random_bool(0.2) {
                    None
                } else {
                    let seen = self.cursors[p].lock().map_err(|_| "cursor lock poisoned")?;
                    seen.choose(rng).cloned()
                };
                (
                    &d.partners[p],
                    json!({ "after": after }),
                    Check::W3 { partner: p },
                )
            }
            Workload::W5 => {
                let b = d.beneficiaries.choose(rng).ok_or("no beneficiary")?;
                let t = &d.tenants[b.tenant];
                (
                    &t.director,
                    json!({ "id": gid("Beneficiary", b.id) }),
                    Check::W5 {
                        id: b.id,
                        consents: b.consents,
                    },
                )
            }
            Workload::W4 | Workload::Mix => {
                let (Some(&from), Some(&last)) = (d.months.first(), d.months.last()) else {
                    return Err("no months".to_owned());
                };
                let to = month_end(last);
                let vars = if pg {
                    json!({ "from": from, "to": to })
                } else {
                    json!({ "i": { "from": from, "to": to, "granularity": "MONTH", "dimension": "REGION" } })
                };
                let periods = (!pg).then_some(d.months.len());
                (
                    &d.analyst,
                    vars,
                    Check::Dashboard {
                        from,
                        to,
                        visits: d.network_visits,
                        periods,
                    },
                )
            }
        };
        Ok(Prepared {
            workload: w,
            actor,
            body: self.body(w, vars),
            check,
        })
    }

    /// `Err(reason)` when the response is not what WORKLOADS.md calls valid.
    pub fn validate(&self, check: &Check, resp: &Value) -> Result<(), String> {
        if let Some(errors) = resp.get("errors").filter(|e| !e.is_null()) {
            return Err(format!("GraphQL errors: {}", truncate(&errors.to_string())));
        }
        let data = resp
            .get("data")
            .filter(|d| d.is_object())
            .ok_or("no data")?;
        match self.system {
            System::Passerelle => self.validate_passerelle(check, data),
            System::Postgraphile => self.validate_peer(check, data),
        }
    }

    fn validate_passerelle(&self, check: &Check, data: &Value) -> Result<(), String> {
        match check {
            Check::W0 { id, requests } => {
                let node = data
                    .get("node")
                    .filter(|n| n.is_object())
                    .ok_or("node is null")?;
                if node.get("id").and_then(Value::as_str) != Some(gid("Visit", *id).as_str()) {
                    return Err("another visit came back".to_owned());
                }
                let n = node.get("requests").and_then(Value::as_array).map(Vec::len);
                if n != Some(*requests) {
                    return Err(format!("{n:?} requests, expected {requests}"));
                }
                if node.pointer("/site/name").and_then(Value::as_str).is_none() {
                    return Err("no site name".to_owned());
                }
                Ok(())
            }
            Check::W1 { .. } => {
                let p = data.get("recordVisit").ok_or("no recordVisit")?;
                if p.pointer("/visit/id").and_then(Value::as_str).is_none() {
                    return Err("no visit id".to_owned());
                }
                if p.get("replayed").and_then(Value::as_bool) != Some(false) {
                    return Err("replayed a fresh client key".to_owned());
                }
                Ok(())
            }
            Check::Dashboard {
                from,
                to,
                visits,
                periods,
            } => {
                let rows = data
                    .get("dashboard")
                    .or_else(|| data.get("networkDashboard"))
                    .and_then(|d| d.get("rows"))
                    .and_then(Value::as_array)
                    .ok_or("no rows")?;
                let (from, to) = (from.to_string(), to.to_string());
                let mut sum = 0;
                let mut seen = BTreeSet::new();
                for r in rows {
                    let period = r.get("period").and_then(Value::as_str).unwrap_or_default();
                    if period < from.as_str() || period > to.as_str() {
                        continue;
                    }
                    seen.insert(period.to_owned());
                    sum += r
                        .pointer("/counts/people")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                }
                if sum != *visits {
                    return Err(format!("{sum} visits, visit_daily says {visits}"));
                }
                if let Some(p) = periods
                    && seen.len() != *p
                {
                    return Err(format!("{} periods, expected {p}", seen.len()));
                }
                Ok(())
            }
            Check::W5 { id, consents } => {
                let node = data
                    .get("node")
                    .filter(|n| n.is_object())
                    .ok_or("node is null")?;
                if node.get("id").and_then(Value::as_str) != Some(gid("Beneficiary", *id).as_str())
                {
                    return Err("another beneficiary came back".to_owned());
                }
                if node.get("pseudonym").and_then(Value::as_str).is_none() {
                    return Err("no pseudonym".to_owned());
                }
                let list = node
                    .get("consents")
                    .and_then(Value::as_array)
                    .ok_or("no consents")?;
                if list.len() != *consents {
                    return Err(format!("{} consents, expected {consents}", list.len()));
                }
                if !list
                    .iter()
                    .all(|c| c.get("recipient").and_then(Value::as_str).is_some())
                {
                    return Err("a consent without its recipient".to_owned());
                }
                Ok(())
            }
            Check::W3 { partner } => {
                let c = data.get("codedActivity").ok_or("no codedActivity")?;
                let edges = c.get("edges").and_then(Value::as_array).ok_or("no edges")?;
                let nodes: Vec<&Value> = edges.iter().filter_map(|e| e.get("node")).collect();
                self.check_page(*partner, c.get("pageInfo"), &nodes)
            }
        }
    }

    /// The peer's documents are its own: checks look for the values, not the paths.
    fn validate_peer(&self, check: &Check, data: &Value) -> Result<(), String> {
        match check {
            Check::W0 { id, requests } => {
                if !contains_str(data, &id.to_string()) {
                    return Err("the visit did not come back".to_owned());
                }
                let n = longest_list(data);
                if n != *requests {
                    return Err(format!("{n} requests, expected {requests}"));
                }
                Ok(())
            }
            Check::W1 { id } => {
                if contains_str(data, &id.to_string()) {
                    Ok(())
                } else {
                    Err("the visit id did not come back".to_owned())
                }
            }
            Check::Dashboard { visits, .. } => {
                let sum = sum_key(data, "visits");
                if sum == *visits {
                    Ok(())
                } else {
                    Err(format!("{sum} visits, visit_daily says {visits}"))
                }
            }
            Check::W5 { .. } => Err("W5 has no peer document".to_owned()),
            Check::W3 { partner } => {
                let conn = find_key_parent(data, "pageInfo").ok_or("no connection")?;
                let nodes: Vec<&Value> =
                    if let Some(n) = conn.get("nodes").and_then(Value::as_array) {
                        n.iter().collect()
                    } else {
                        conn.get("edges")
                            .and_then(Value::as_array)
                            .ok_or("no nodes")?
                            .iter()
                            .filter_map(|e| e.get("node"))
                            .collect()
                    };
                self.check_page(*partner, conn.get("pageInfo"), &nodes)
            }
        }
    }

    fn check_page(
        &self,
        partner: usize,
        info: Option<&Value>,
        nodes: &[&Value],
    ) -> Result<(), String> {
        let info = info.ok_or("no pageInfo")?;
        let more = info
            .get("hasNextPage")
            .and_then(Value::as_bool)
            .ok_or("no hasNextPage")?;
        if more && nodes.len() != 20 {
            return Err(format!(
                "{} rows on a page that is not the last",
                nodes.len()
            ));
        }
        if nodes.len() > 20 {
            return Err(format!("{} rows on a page of 20", nodes.len()));
        }
        if !nodes.iter().all(|n| has_name(n)) {
            return Err("a row without its site's name".to_owned());
        }
        if more && let Some(c) = info.get("endCursor").and_then(Value::as_str) {
            let mut seen = self.cursors[partner]
                .lock()
                .map_err(|_| "cursor lock poisoned")?;
            if seen.len() < CURSORS_KEPT {
                seen.push(c.to_owned());
            } else {
                let i = rand::rng().random_range(0..CURSORS_KEPT);
                seen[i] = c.to_owned();
            }
        }
        Ok(())
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

fn contains_str(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|x| contains_str(x, s)),
        Value::Object(o) => o.values().any(|x| contains_str(x, s)),
        _ => false,
    }
}

/// The length of the longest list anywhere (a visit's requests).
fn longest_list(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.iter().map(longest_list).fold(a.len(), usize::max),
        Value::Object(o) => o.values().map(longest_list).max().unwrap_or(0),
        _ => 0,
    }
}

fn sum_key(v: &Value, key: &str) -> i64 {
    match v {
        Value::Array(a) => a.iter().map(|x| sum_key(x, key)).sum(),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| {
                if k == key {
                    x.as_i64()
                        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                        .unwrap_or_else(|| sum_key(x, key))
                } else {
                    sum_key(x, key)
                }
            })
            .sum(),
        _ => 0,
    }
}

fn find_key_parent<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) if o.contains_key(key) => Some(v),
        Value::Object(o) => o.values().find_map(|x| find_key_parent(x, key)),
        Value::Array(a) => a.iter().find_map(|x| find_key_parent(x, key)),
        _ => None,
    }
}

/// Some nested object carries a non-empty `name` (the site's).
fn has_name(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.iter().any(|(k, x)| {
            (k == "name" && x.as_str().is_some_and(|s| !s.is_empty())) || has_name(x)
        }),
        Value::Array(a) => a.iter().any(has_name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_checks() {
        let v = json!({"a": {"id": "x", "b": {"nodes": [1, 2, 3]}, "rows": [{"visits": "4"}, {"visits": 5}]}});
        assert!(contains_str(&v, "x"));
        assert_eq!(longest_list(&v), 3);
        assert_eq!(sum_key(&v, "visits"), 9);
        assert!(find_key_parent(&json!({"x": {"pageInfo": 1}}), "pageInfo").is_some());
        assert!(has_name(&json!({"site": {"name": "Vaise"}})));
    }
}
