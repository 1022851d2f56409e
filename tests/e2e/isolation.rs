//! The isolation suite. Every root query and mutation of the schema, found by parsing
//! the SDL (so fields added later are probed without editing this file), is called
//! by every kind of actor with tenant B's ids. A probe leaks when its response holds
//! anything of B the actor may not see, or when B's rows change. The suite prints
//! how many probes ran and how many leaked, and fails on any leak, on any probe the
//! server rejected as an invalid document (a probe that tests nothing), and on any
//! root field left unprobed.

use crate::support::*;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

// ---------------------------------------------------------------------------
// A small model of the schema, from the SDL.

#[derive(Clone, Debug)]
struct InputValue {
    name: String,
    ty: async_graphql::parser::types::Type,
}

#[derive(Clone, Debug)]
struct Field {
    name: String,
    args: Vec<InputValue>,
    ty: async_graphql::parser::types::Type,
}

#[derive(Clone, Debug)]
enum Kind {
    Scalar,
    Enum(Vec<String>),
    Object(Vec<Field>),
    Interface,
    Union(Vec<String>),
    Input(Vec<InputValue>),
}

struct Schema {
    types: HashMap<String, Kind>,
    implementors: HashMap<String, Vec<String>>,
}

fn named(ty: &async_graphql::parser::types::Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

fn is_list(ty: &async_graphql::parser::types::Type) -> bool {
    matches!(ty.base, BaseType::List(_))
}

impl Schema {
    fn parse(sdl: &str) -> Self {
        let doc = async_graphql::parser::parse_schema(sdl).expect("the SDL parses");
        let mut types = HashMap::new();
        let mut implementors: HashMap<String, Vec<String>> = HashMap::new();
        let iv = |v: &async_graphql::parser::types::InputValueDefinition| InputValue {
            name: v.name.node.to_string(),
            ty: v.ty.node.clone(),
        };
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let name = t.node.name.node.to_string();
            let fields = |fs: &Vec<
                async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>,
            >| {
                fs.iter()
                    .map(|f| Field {
                        name: f.node.name.node.to_string(),
                        args: f.node.arguments.iter().map(|a| iv(&a.node)).collect(),
                        ty: f.node.ty.node.clone(),
                    })
                    .collect::<Vec<_>>()
            };
            let kind = match &t.node.kind {
                TypeKind::Scalar => Kind::Scalar,
                TypeKind::Enum(e) => Kind::Enum(
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::Object(o) => {
                    for i in &o.implements {
                        implementors
                            .entry(i.node.to_string())
                            .or_default()
                            .push(name.clone());
                    }
                    Kind::Object(fields(&o.fields))
                }
                TypeKind::Interface(_) => Kind::Interface,
                TypeKind::Union(u) => {
                    Kind::Union(u.members.iter().map(|m| m.node.to_string()).collect())
                }
                TypeKind::InputObject(i) => {
                    Kind::Input(i.fields.iter().map(|f| iv(&f.node)).collect())
                }
            };
            types.insert(name, kind);
        }
        for s in ["String", "Int", "Float", "Boolean", "ID"] {
            types.entry(s.into()).or_insert(Kind::Scalar);
        }
        Self {
            types,
            implementors,
        }
    }

    fn root(&self, name: &str) -> Vec<Field> {
        match self.types.get(name) {
            Some(Kind::Object(f)) => f.clone(),
            _ => Vec::new(),
        }
    }

    /// A selection set reaching every field, to `depth` levels, without revisiting a
    /// type already on the path (that keeps it within the server's limits).
    fn selection(&self, type_name: &str, depth: usize, path: &mut Vec<String>) -> String {
        match self.types.get(type_name) {
            None | Some(Kind::Scalar) | Some(Kind::Enum(_)) | Some(Kind::Input(_)) => String::new(),
            Some(Kind::Object(fields)) => {
                path.push(type_name.to_owned());
                let mut s = String::from("{ __typename");
                for f in fields {
                    if f.args.iter().any(|a| !a.ty.nullable) {
                        continue;
                    }
                    let inner = named(&f.ty);
                    match self.types.get(inner) {
                        Some(Kind::Scalar) | Some(Kind::Enum(_)) => {
                            s.push(' ');
                            s.push_str(&f.name);
                        }
                        _ if depth == 0 || path.iter().any(|p| p == inner) => {}
                        _ => {
                            let sub = self.selection(inner, depth - 1, path);
                            if !sub.is_empty() {
                                s.push_str(&format!(" {} {}", f.name, sub));
                            }
                        }
                    }
                }
                path.pop();
                s.push_str(" }");
                s
            }
            Some(Kind::Interface) | Some(Kind::Union(_)) => {
                let impls = match self.types.get(type_name) {
                    Some(Kind::Union(m)) => m.clone(),
                    _ => self
                        .implementors
                        .get(type_name)
                        .cloned()
                        .unwrap_or_default(),
                };
                let mut s = String::from("{ __typename");
                for i in impls {
                    let sub = self.selection(&i, depth, path);
                    if !sub.is_empty() {
                        s.push_str(&format!(" ... on {i} {sub}"));
                    }
                }
                s.push_str(" }");
                s
            }
        }
    }

    /// The names of every ID field reachable in a value of this type.
    fn id_fields(
        &self,
        name: &str,
        ty: &async_graphql::parser::types::Type,
        out: &mut Vec<String>,
    ) {
        let n = named(ty);
        if n == "ID" {
            out.push(name.to_owned());
        } else if let Some(Kind::Input(fs)) = self.types.get(n) {
            for f in fs {
                self.id_fields(&f.name, &f.ty, out);
            }
        }
    }

    /// Whether a value of this type carries an ID somewhere (directly or in an input).
    fn carries_id(&self, ty: &async_graphql::parser::types::Type) -> bool {
        let n = named(ty);
        n == "ID"
            || matches!(self.types.get(n), Some(Kind::Input(fs)) if fs.iter().any(|f| self.carries_id(&f.ty)))
    }

    /// A plausible value for `ty`. ID fields whose name fits the target's type get the
    /// target (B's id); the others get the prober's own ids of the fitting type, so
    /// that the target is the only thing wrong with the request.
    fn value(
        &self,
        field: &str,
        ty: &async_graphql::parser::types::Type,
        id: &str,
        own: &HashMap<String, String>,
        n: usize,
    ) -> Option<Value> {
        if is_list(ty) {
            let BaseType::List(inner) = &ty.base else {
                unreachable!()
            };
            return self.value(field, inner, id, own, n).map(|v| json!([v]));
        }
        let t = named(ty);
        Some(match (t, self.types.get(t)) {
            ("ID", _) => json!(pick_id(field, id, own)),
            ("String", _) => {
                let f = field.to_lowercase();
                if f.contains("email") {
                    json!(format!("probe-{n}@probe.test.example"))
                } else if f.contains("slug") {
                    json!(format!("probe-{n}-{}", testkit::suffix()))
                } else if f == "after" || f == "before" {
                    return None;
                } else {
                    json!(format!("Sonde d'isolation {n}"))
                }
            }
            ("Int", _) => json!(5),
            ("Float", _) => json!(1.5),
            ("Boolean", _) => json!(true),
            ("DateTime", _) => json!(chrono::Utc::now().to_rfc3339()),
            ("Date" | "NaiveDate", _) => json!(kernel::time::today().to_string()),
            ("NaiveTime", _) => json!("09:30:00"),
            (_, Some(Kind::Enum(vs))) => json!(vs.first()?),
            (_, Some(Kind::Input(fs))) => {
                let mut o = serde_json::Map::new();
                for f in fs {
                    if let Some(v) = self.value(&f.name, &f.ty, id, own, n) {
                        o.insert(f.name.clone(), v);
                    }
                }
                Value::Object(o)
            }
            (other, _) => panic!(
                "the isolation suite cannot make a value of type {other}: teach Schema::value"
            ),
        })
    }
}

/// Field names that do not spell their type.
const ALIASES: &[(&str, &str)] = &[
    ("mediator", "membership"),
    ("facilitator", "membership"),
    ("namedattendee", "beneficiary"),
    ("partner", "partnerorganisation"),
    ("fundingpartner", "partnerorganisation"),
    ("parentsite", "site"),
    ("closure", "siteclosure"),
    ("campaign", "surveycampaign"),
    ("prescriber", "hrorganisation"),
    ("referent", "hrorganisation"),
    ("employerpartner", "partnerorganisation"),
];

/// Whether an ID field called `field` takes ids of GraphQL type `ty`. A bare `id`
/// or `ids` takes any.
fn fits(field: &str, ty: &str) -> bool {
    let f = field.to_lowercase();
    let f = f
        .strip_suffix("ids")
        .or_else(|| f.strip_suffix("id"))
        .unwrap_or(&f)
        .to_owned();
    let t = ty.to_lowercase();
    f.is_empty()
        || f == t
        || ALIASES.iter().any(|(a, b)| *a == f && *b == t)
        || (f.len() > 3 && t.ends_with(&f))
}

fn type_of(gid: &str) -> String {
    kernel::gid::decode(gid).map(|(t, _)| t).unwrap_or_default()
}

fn pick_id(field: &str, target: &str, own: &HashMap<String, String>) -> String {
    if fits(field, &type_of(target)) {
        return target.to_owned();
    }
    own.iter()
        .find(|(t, _)| fits(field, t))
        .map(|(_, g)| g.clone())
        .unwrap_or_else(|| target.to_owned())
}

/// Fields selected, as the server counts them (fragments inline here).
fn field_count(selection: &str) -> usize {
    let mut n = 0;
    let mut after_on = false;
    for t in selection.split_whitespace() {
        match t {
            "{" | "}" | "..." => {}
            "on" => after_on = true,
            _ if after_on => after_on = false,
            _ => n += 1,
        }
    }
    n
}

// ---------------------------------------------------------------------------
// Actors, secrets, fingerprints.

/// Tables whose rows of another association the union may read. Row-level security
/// decides; this list is the reviewed expectation it is checked against.
const UNION_MAY_READ: &[&str] = &[
    "tenants",
    "sites",
    "site_opening_hours",
    "site_closures",
    "site_labels",
    // Aggregates only: the network's statistics, by day and by month.
    "visit_daily",
    "request_daily",
    "workshop_daily",
    "activity_monthly",
    // Agreements (local ones carry their association), which sites they cover, and
    // the monthly aggregates coded to them.
    "agreements",
    "agreement_revisions",
    "agreement_sites",
    "agreement_activity_monthly",
    // Franchise compliance: the union's admin and auditors read every association's
    // contract and audits (they run them). Row-level security keeps the auditors'
    // internal notes from the association, and everything but the audits' grades and
    // scores from the union's analyst (UNION_ANALYST_MAY_READ, checked as such).
    "compliance_contracts",
    "compliance_signatories",
    "compliance_amendments",
    "compliance_audits",
    "compliance_answers",
    "compliance_observations",
    "compliance_scores",
    "compliance_findings",
    "compliance_replies",
    "compliance_reports",
    "compliance_notes",
    "compliance_actions",
    "compliance_sanctions",
    "compliance_documents",
    "compliance_history",
    // The access log (ids and codes, never personal data), its heads and retention
    // checkpoints: row-level security lets the union's admins and auditors read every
    // chain; the application lets an admin read an association's only on a written
    // reason, appended to the union's chain first, and refuses auditors
    // (tests/e2e/access_log.rs).
    "access_log",
    "access_log_heads",
    "access_log_checkpoints",
];

/// Tables of another association the union's analyst may read (row-level security,
/// as an analyst sees it, is checked against it): aggregates only. Of franchise
/// compliance, the audits (grade and score, no text about the association): never a
/// contract, answer, document, observation, score row, finding, reply, report, note,
/// action, sanction or history entry (migration 0016's restrictive policies).
const UNION_ANALYST_MAY_READ: &[&str] = &[
    "tenants",
    "sites",
    "site_opening_hours",
    "site_closures",
    "site_labels",
    "visit_daily",
    "request_daily",
    "workshop_daily",
    "activity_monthly",
    "agreements",
    "agreement_revisions",
    "agreement_sites",
    "agreement_activity_monthly",
    "compliance_audits",
];

/// Tables of another association the union may write: its admin and auditors record
/// contracts, open campaigns (audits for the associations drawn), run audits and
/// decide sanctions, which show on the sites' labels (a `pimms_suspended` label).
const UNION_MAY_WRITE: &[&str] = &[
    "compliance_contracts",
    "compliance_signatories",
    "compliance_amendments",
    "compliance_audits",
    "compliance_observations",
    "compliance_scores",
    "compliance_findings",
    "compliance_reports",
    "compliance_notes",
    "compliance_actions",
    "compliance_sanctions",
    "compliance_documents",
    "compliance_history",
    "site_labels",
    // The events of those changes (an audit's phase: `compliance.*` types only; see
    // `fingerprint`), written in the same transaction.
    "event_outbox",
];

/// Partner tables (rows carrying a partner_id) the union reads: the agreements and
/// what hangs off them, contacts, API clients. Not outreach: that stays between the
/// partner and the association.
const UNION_MAY_READ_OF_PARTNERS: &[&str] = &[
    "agreements",
    "agreement_revisions",
    "agreement_sites",
    "agreement_targets",
    "agreement_payments",
    "agreement_activity_monthly",
    "partner_contacts",
    "partner_api_clients",
    "partner_users",
    "partner_invitations",
];

/// The only mutations a partner may run: outreach submission; its own webhook
/// endpoints and their deliveries (the partner's integration, scoped to it by
/// row-level security); and a person's own reminder choice.
const PARTNER_MUTATIONS: &[&str] = &[
    "submitOutreachCases",
    "uploadOutreachCasesCsv",
    "createWebhookEndpoint",
    "updateWebhookEndpoint",
    "rotateWebhookEndpointSecret",
    "replayWebhookDelivery",
    "setReminders",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Staff,
    /// The union's admin and auditors.
    Union,
    /// The union's analyst: aggregates only (UNION_ANALYST_MAY_READ), writes nothing.
    Analyst,
    Partner,
    Anonymous,
    /// A person with several identities who chose none: sees nothing of anyone, and
    /// every field but those in NEEDS_NO_ACTOR asks for the choice.
    Undecided,
}

/// Optional arguments the probes above leave out, probed by a test of their own: the
/// journal's theme and partner filters (`the_journals_filters_show_nothing_more`).
/// Filled like any other, they would make every probe of `visits` an empty answer (a
/// made-up theme) or a VALIDATION (the target's id as a partner's), and so test
/// nothing of the site filter.
const PROBED_APART: &[(&str, &str)] = &[("visits", "theme"), ("visits", "partnerId")];

/// Root fields that answer a person who has not chosen what they act as: `viewer`
/// (to learn the choices) and the network's public catalogues.
const NEEDS_NO_ACTOR: &[&str] = &["viewer", "requestThemes", "workshopThemes"];

struct Actor {
    label: String,
    token: Option<String>,
    /// The person behind `token`, when it is a person's: each probe signs them in
    /// afresh (their tokens live ten minutes, and the suite runs longer than that).
    person: Option<testkit::TestUser>,
    /// X-Passerelle-Tenant and X-Passerelle-Act-As, as sent.
    headers: Vec<(&'static str, String)>,
    class: Class,
}

fn in_tenant(slug: &str) -> Vec<(&'static str, String)> {
    vec![("x-passerelle-tenant", slug.to_owned())]
}

fn act_as(kind: &str) -> Vec<(&'static str, String)> {
    vec![("x-passerelle-act-as", kind.to_owned())]
}

/// One row the probers must not see: the strings that would give it away, and the
/// classes of actor it is hidden from.
struct Row {
    table: String,
    needles: Vec<String>,
    hidden_from: Vec<Class>,
}

struct Secrets {
    rows: Vec<Row>,
    /// Tables of B the union may read (by RLS, checked against UNION_MAY_READ).
    union_tables: BTreeSet<String>,
    /// Tables of B the union's analyst may read (by RLS, checked against
    /// UNION_ANALYST_MAY_READ).
    analyst_tables: BTreeSet<String>,
    /// Global ids of B's objects: the probes' inputs.
    ids: Vec<String>,
}

impl Secrets {
    fn leaked<'a>(&'a self, body: &str, class: Class) -> Vec<&'a str> {
        self.rows
            .iter()
            .filter(|r| class == Class::Undecided || r.hidden_from.contains(&class))
            .flat_map(|r| r.needles.iter())
            .filter(|n| body.contains(n.as_str()))
            .map(String::as_str)
            .collect()
    }
}

async fn rows_json(conn: &DatabaseConnection, sql: String) -> Vec<serde_json::Map<String, Value>> {
    conn.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        format!("select row_to_json(t)::text from ({sql}) t"),
    ))
    .await
    .expect("rows")
    .iter()
    .filter_map(|r| r.try_get_by_index::<String>(0).ok())
    .filter_map(|j| serde_json::from_str::<Value>(&j).ok())
    .filter_map(|v| v.as_object().cloned())
    .collect()
}

fn texts(row: &serde_json::Map<String, Value>) -> Vec<String> {
    row.iter()
        .filter(|(k, _)| k.as_str() != "tenant_id")
        .filter_map(|(_, v)| v.as_str().map(str::to_owned))
        .collect()
}

/// Everything of B, read as the superuser, minus what A shares with it (enum values,
/// common words): ids, global ids, and distinctive text.
#[allow(clippy::too_many_arguments)]
async fn collect_secrets(
    admin: &DatabaseConnection,
    app_url: &str,
    a: uuid::Uuid,
    b: uuid::Uuid,
    pa: uuid::Uuid,
    pb: uuid::Uuid,
    tables: &[String],
    partner_tables: &[String],
) -> Secrets {
    let people = |t: uuid::Uuid| format!("select user_id from memberships where tenant_id = '{t}'");
    let partner_people =
        |p: uuid::Uuid| format!("select user_id from partner_users where partner_id = '{p}'");
    let mut sources: Vec<(String, String, String)> = tables
        .iter()
        .map(|t| {
            (
                t.clone(),
                format!("select * from {t} where tenant_id = '{b}'"),
                format!("select * from {t} where tenant_id = '{a}'"),
            )
        })
        .collect();
    sources.push((
        "tenants".into(),
        format!("select * from tenants where id = '{b}'"),
        format!("select * from tenants where id = '{a}'"),
    ));
    sources.push((
        "users".into(),
        format!("select * from users where id in ({})", people(b)),
        format!("select * from users where id in ({})", people(a)),
    ));
    // B's partner: everything it owns, and its people.
    let first_partner_source = sources.len();
    for t in partner_tables {
        sources.push((
            t.clone(),
            format!("select * from {t} where partner_id = '{pb}'"),
            format!("select * from {t} where partner_id = '{pa}'"),
        ));
    }
    sources.push((
        "users".into(),
        format!("select * from users where id in ({})", partner_people(pb)),
        format!("select * from users where id in ({})", partner_people(pa)),
    ));
    let gid_type: HashMap<&str, &str> = graphql::GLOBAL_ID_TYPES.iter().copied().collect();
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    let mut from_partner: Vec<bool> = Vec::new();
    for (i, (table, b_sql, a_sql)) in sources.into_iter().enumerate() {
        let partner_source = i >= first_partner_source;
        let hidden_from = {
            let mut h = vec![Class::Staff, Class::Partner, Class::Anonymous];
            let union_reads = if partner_source {
                UNION_MAY_READ_OF_PARTNERS.contains(&table.as_str()) && table != "users"
            } else {
                false
            };
            if !union_reads {
                h.push(Class::Union);
                h.push(Class::Analyst);
            }
            h
        };
        let shared: BTreeSet<String> = rows_json(admin, a_sql)
            .await
            .iter()
            .flat_map(texts)
            .collect();
        for row in rows_json(admin, b_sql).await {
            let mut needles: Vec<String> = texts(&row)
                .into_iter()
                .filter(|t| {
                    t.len() >= 6 && !shared.contains(t) && uuid::Uuid::parse_str(t).is_err()
                })
                .collect();
            if let Some(id) = row
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
            {
                needles.push(id.to_string());
                if let Some(t) = gid_type.get(table.as_str()) {
                    let g = gid(t, id);
                    needles.push(g.clone());
                    ids.push(g);
                }
            }
            rows.push(Row {
                table: table.clone(),
                needles,
                hidden_from: hidden_from.clone(),
            });
            from_partner.push(partner_source);
        }
    }
    // What row-level security lets a union auditor, and the union's analyst, read of B.
    let app = sea_orm::Database::connect(app_url.to_owned())
        .await
        .expect("app connection");
    let readable = |role: &'static str| {
        let app = &app;
        async move {
            let mut out = BTreeSet::new();
            for t in tables.iter().map(String::as_str).chain(["tenants"]) {
                let col = if t == "tenants" { "id" } else { "tenant_id" };
                use sea_orm::TransactionTrait;
                let tx = app.begin().await.unwrap();
                tx.execute_unprepared(&format!(
                    "select set_config('app.union_role', '{role}', true), set_config('app.user_id', '{}', true), set_config('app.actor_kind', 'user', true)",
                    uuid::Uuid::now_v7()
                ))
                .await
                .unwrap();
                let n: i64 = tx
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("select count(*) from {t} where {col} = '{b}'"),
                    ))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get_by_index(0)
                    .unwrap();
                tx.rollback().await.unwrap();
                if n > 0 {
                    out.insert(t.to_owned());
                }
            }
            out
        }
    };
    let union_tables = readable("auditor").await;
    let analyst_tables = readable("analyst").await;
    let _ = app.close().await;
    // Tenant rows of B the union reads by design are not hidden from it.
    for (r, partner_source) in rows.iter_mut().zip(from_partner) {
        if !partner_source && union_tables.contains(&r.table) {
            r.hidden_from.retain(|c| *c != Class::Union);
        }
        if !partner_source && analyst_tables.contains(&r.table) {
            r.hidden_from.retain(|c| *c != Class::Analyst);
        }
    }
    Secrets {
        rows,
        union_tables,
        analyst_tables,
        ids,
    }
}

/// What of A (the probers' own association) its partner must not see: everything
/// but the coverage and aggregates of its own agreements, its own campaigns, the
/// covered sites and the association's name; and of its own cases, the contact data.
async fn hidden_from_own_partner(
    admin: &DatabaseConnection,
    a: uuid::Uuid,
    b: uuid::Uuid,
    pa: uuid::Uuid,
    tables: &[String],
    partner_tables: &[String],
) -> Vec<Row> {
    let mut out = Vec::new();
    for t in tables {
        // Rows of its own (its agreements and what hangs off them, its campaigns and
        // cases: the cases' contact data is checked below) and the sites it covers.
        let cond = if partner_tables.contains(t) {
            format!(" and partner_id <> '{pa}'")
        } else if t == "memberships" {
            // A partner's person who sits on A's board reads their own membership.
            format!(
                " and user_id not in (select user_id from partner_users where partner_id = '{pa}')"
            )
        } else if t == "sites" {
            format!(
                " and id not in (select site_id from agreement_sites where partner_id = '{pa}')"
            )
        } else {
            String::new()
        };
        // Texts B has too, or that the partner's own rows carry (two partners' local
        // agreements with A may bear the same title): they give nothing away.
        let own = if partner_tables.contains(t) {
            format!(" or (tenant_id = '{a}' and partner_id = '{pa}')")
        } else {
            String::new()
        };
        let shared: BTreeSet<String> = rows_json(
            admin,
            format!("select * from {t} where tenant_id = '{b}'{own}"),
        )
        .await
        .iter()
        .flat_map(texts)
        .collect();
        for row in rows_json(
            admin,
            format!("select * from {t} where tenant_id = '{a}'{cond}"),
        )
        .await
        {
            let needles: Vec<String> = texts(&row)
                .into_iter()
                .filter(|t| {
                    t.len() >= 6 && !shared.contains(t) && uuid::Uuid::parse_str(t).is_err()
                })
                .collect();
            out.push(Row {
                table: t.clone(),
                needles,
                hidden_from: vec![Class::Partner],
            });
        }
    }
    // Its own cases: the partner handed the contact data over; it never gets it back.
    for row in rows_json(
        admin,
        format!(
            "select full_name, phone, email, address from outreach_cases              where tenant_id = '{a}' and partner_id = '{pa}'"
        ),
    )
    .await
    {
        out.push(Row {
            table: "outreach_cases".into(),
            needles: texts(&row).into_iter().filter(|t| t.len() >= 6).collect(),
            hidden_from: vec![Class::Partner],
        });
    }
    // A's people (staff emails and names).
    for row in rows_json(
        admin,
        format!(
            "select email, display_name from users where id in \
             (select user_id from memberships where tenant_id = '{a}') \
             and id not in (select user_id from partner_users where partner_id = '{pa}')"
        ),
    )
    .await
    {
        out.push(Row {
            table: "users".into(),
            needles: texts(&row).into_iter().filter(|t| t.len() >= 6).collect(),
            hidden_from: vec![Class::Partner],
        });
    }
    out
}

/// What A's partners (`pa`, the probers' own, and `pc`, another working with A) keep
/// from A's staff: their contacts, invitations, API clients, national agreements'
/// money and people. Hidden from every staff member, one who is also `pa`'s person
/// included (acting as the association). And everything of `pc`, which `pa` must
/// never see, though both work with A (its local agreement and funding with A).
async fn partners_apart(
    admin: &DatabaseConnection,
    a: uuid::Uuid,
    pa: uuid::Uuid,
    pc: uuid::Uuid,
    partner_tables: &[String],
) -> Vec<Row> {
    let mut out = Vec::new();
    let members = format!("select user_id from memberships where tenant_id = '{a}'");
    for p in [pa, pc] {
        for (table, sql) in [
            (
                "partner_contacts",
                format!("select full_name, email from partner_contacts where partner_id = '{p}'"),
            ),
            (
                "partner_invitations",
                format!("select email from partner_invitations where partner_id = '{p}'"),
            ),
            (
                "partner_api_clients",
                format!("select client_id, id from partner_api_clients where partner_id = '{p}'"),
            ),
            (
                "agreement_payments",
                format!(
                    "select label from agreement_payments where partner_id = '{p}' \
                and agreement_id in (select id from agreements where tenant_id is null)"
                ),
            ),
            (
                "users",
                format!(
                    "select email, display_name from users where id in \
                (select user_id from partner_users where partner_id = '{p}') and id not in ({members})"
                ),
            ),
        ] {
            for row in rows_json(admin, sql).await {
                let mut needles: Vec<String> =
                    texts(&row).into_iter().filter(|t| t.len() >= 6).collect();
                if let Some(id) = row
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                {
                    needles.push(gid("PartnerApiClient", id));
                }
                out.push(Row {
                    table: table.into(),
                    needles,
                    hidden_from: vec![Class::Staff],
                });
            }
        }
    }
    let gid_type: HashMap<&str, &str> = graphql::GLOBAL_ID_TYPES.iter().copied().collect();
    let mut sources: Vec<(String, String, String)> = partner_tables
        .iter()
        .map(|t| {
            (
                t.clone(),
                format!("select * from {t} where partner_id = '{pc}'"),
                format!("select * from {t} where partner_id = '{pa}'"),
            )
        })
        .collect();
    let people = |p: uuid::Uuid| {
        format!(
            "select email, display_name from users where id in \
             (select user_id from partner_users where partner_id = '{p}') and id not in ({members})"
        )
    };
    sources.push(("users".into(), people(pc), people(pa)));
    for (table, theirs, ours) in sources {
        let shared: BTreeSet<String> = rows_json(admin, ours)
            .await
            .iter()
            .flat_map(texts)
            .collect();
        for row in rows_json(admin, theirs).await {
            let mut needles: Vec<String> = texts(&row)
                .into_iter()
                .filter(|t| {
                    t.len() >= 6 && !shared.contains(t) && uuid::Uuid::parse_str(t).is_err()
                })
                .collect();
            if let Some(id) = row
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
            {
                needles.push(id.to_string());
                if let Some(t) = gid_type.get(table.as_str()) {
                    needles.push(gid(t, id));
                }
            }
            out.push(Row {
                table: table.clone(),
                needles,
                hidden_from: vec![Class::Partner],
            });
        }
    }
    out
}

/// Webhooks: the first partner's (A's own, the prober) and the third's (another
/// working with A) endpoints and deliveries are theirs alone, hidden from A's staff
/// and from the union; and no endpoint's signing secret is ever read back through the
/// API, by anyone, its own partner included (it is shown once, at creation).
async fn webhooks_apart(admin: &DatabaseConnection, partners: [uuid::Uuid; 3]) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, p) in partners.into_iter().enumerate() {
        for row in rows_json(
            admin,
            format!("select secret from webhook_endpoints where partner_id = '{p}'"),
        )
        .await
        {
            out.push(Row {
                table: "webhook_endpoints".into(),
                needles: texts(&row),
                hidden_from: vec![Class::Staff, Class::Union, Class::Partner, Class::Anonymous],
            });
        }
        if i == 1 {
            // B's partner's: hidden from everyone already (collect_secrets).
            continue;
        }
        for (table, gid_type, sql) in [
            (
                "webhook_endpoints",
                "WebhookEndpoint",
                format!("select id, url from webhook_endpoints where partner_id = '{p}'"),
            ),
            (
                "webhook_deliveries",
                "WebhookDelivery",
                format!("select id, last_error from webhook_deliveries where partner_id = '{p}'"),
            ),
        ] {
            for row in rows_json(admin, sql).await {
                let mut needles: Vec<String> = texts(&row)
                    .into_iter()
                    .filter(|t| t.len() >= 6 && uuid::Uuid::parse_str(t).is_err())
                    .collect();
                if let Some(id) = row
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                {
                    needles.push(id.to_string());
                    needles.push(gid(gid_type, id));
                }
                out.push(Row {
                    table: table.into(),
                    needles,
                    hidden_from: vec![Class::Staff, Class::Union],
                });
            }
        }
    }
    out
}

/// A digest of every row that belongs to B: all tables with a tenant_id (found in the
/// catalog, so new tables are covered), B's people, their identities and roles.
async fn fingerprint(
    admin: &DatabaseConnection,
    b: uuid::Uuid,
    pb: uuid::Uuid,
    tables: &[String],
    partner_tables: &[String],
    class: Class,
) -> String {
    // The union admin may legitimately change an association's status, the sites an
    // agreement covers, and a partner's agreements, contacts and clients.
    // The analyst changes nothing of B.
    let union = class == Class::Union;
    let with_tenant_row = !union;
    let mut parts: Vec<String> = tables
        .iter()
        .filter(|t| !(union && t.as_str() == "agreement_sites"))
        .filter(|t| !(union && UNION_MAY_WRITE.contains(&t.as_str()) && t.as_str() != "event_outbox"))
        .map(|t| {
            // What a union admin's `inviteDirector` makes in B, the one change of an
            // association's own rows the union may make: a director invitation sent by
            // a union admin, its entry in B's trail (by the union) and its event. An
            // auditor's, or anyone else's, would still show.
            let admin_invitation = "role = 'director' and invited_by in \
                 (select user_id from union_staff where role = 'admin')";
            let by_union_admin = match (union, t.as_str()) {
                (true, "invitations") => format!(" and not ({admin_invitation})"),
                (true, "tenant_audit_log") => " and not (action = 'invitation.created' \
                     and actor_kind = 'union' and actor_user_id in \
                     (select user_id from union_staff where role = 'admin'))"
                    .to_owned(),
                (true, "event_outbox") => format!(
                    " and not (event_type = 'invitation.created' and subject_id in \
                     (select id from invitations where tenant_id = '{b}' and {admin_invitation}))"
                ),
                _ => String::new(),
            };
            if t == "event_outbox" {
                // Events written by the platform's periodic jobs (a de-duplication key:
                // a contract or subsidy to renew, announced by whichever test server's
                // housekeeping runs) are no probe's doing; the union's admin and
                // auditors cause compliance events with the changes they may make.
                let union_events = if union {
                    " and event_type not like 'compliance.%'"
                } else {
                    ""
                };
                // Without `dispatched_at`: the delivery worker dispatches an event
                // whenever it polls, during whichever probe runs then.
                format!(
                    "select (t.id, t.event_type, t.tenant_id, t.partner_id, t.subject_id, t.payload, \
                     t.occurred_at)::text as x from {t} t where tenant_id = '{b}' and dedupe_key is null\
                     {union_events}{by_union_admin}"
                )
            } else {
                format!("select t::text as x from {t} t where tenant_id = '{b}'{by_union_admin}")
            }
        })
        .collect();
    for t in partner_tables {
        if union && UNION_MAY_READ_OF_PARTNERS.contains(&t.as_str()) {
            continue;
        }
        parts.push(format!(
            "select t::text from {t} t where partner_id = '{pb}'"
        ));
    }
    parts.push(format!(
        "select p::text from partner_organisations p where id = '{pb}'"
    ));
    let people = format!("select user_id from memberships where tenant_id = '{b}'");
    parts.push(format!(
        "select u::text from users u where id in ({people})"
    ));
    parts.push(format!(
        "select i::text from user_identities i where user_id in ({people})"
    ));
    parts.push(format!(
        "select s::text from union_staff s where user_id in ({people})"
    ));
    parts.push(format!(
        "select p::text from partner_users p where user_id in ({people})"
    ));
    // Their reminder choices: only each person changes their own.
    parts.push(format!(
        "select n::text from notification_preferences n where user_id in ({people})"
    ));
    if with_tenant_row {
        parts.push(format!("select t::text from tenants t where id = '{b}'"));
    }
    let sql = format!(
        "select md5(coalesce(string_agg(x, '|' order by x), '')) from ({}) s",
        parts.join(" union all ")
    );
    admin
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("fingerprint")
        .expect("row")
        .try_get_by_index(0)
        .expect("md5")
}

fn gid(t: &str, id: uuid::Uuid) -> String {
    kernel::gid::encode(t, id)
}

#[tokio::test]
async fn no_probe_crosses_a_tenant_line() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    testkit::fixtures::populate(app.db, &b).await;
    // A's partner (the probing partner) works with A only; B's partner with B only.
    let pa = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let pb = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &b).await;
    // A reminder choice of B's director's, which no probe may change.
    {
        let admin = app.db.admin().await;
        admin
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "insert into notification_preferences (user_id, reminders) values ($1, false)",
                vec![b.director.id.into()],
            ))
            .await
            .expect("B's director's reminder choice");
        let _ = admin.close().await;
    }
    let schema = Schema::parse(&graphql::sdl());
    let admin_conn = app.db.admin().await;

    let tenant_tables: Vec<String> = admin_conn
        .query_all_raw(Statement::from_string(DbBackend::Postgres,
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped \
             where n.nspname = 'public' and c.relkind = 'r' order by 1"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let partner_tables: Vec<String> = admin_conn
        .query_all_raw(Statement::from_string(DbBackend::Postgres,
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             join pg_attribute a on a.attrelid = c.oid and a.attname = 'partner_id' and not a.attisdropped \
             where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'visit_requests' order by 1"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let mut secrets = collect_secrets(
        &admin_conn,
        &app.db.app_url,
        a.id,
        b.id,
        pa.id,
        pb.id,
        &tenant_tables,
        &partner_tables,
    )
    .await;
    // The prober's own ids, one per type, to fill the ID fields that are not the target.
    let mut own_ids: HashMap<String, String> = HashMap::new();
    for g in collect_secrets(
        &admin_conn,
        &app.db.app_url,
        b.id,
        a.id,
        pb.id,
        pa.id,
        &tenant_tables,
        &partner_tables,
    )
    .await
    .ids
    {
        own_ids.entry(type_of(&g)).or_insert(g);
    }
    // Made after the probers' own ids were taken, so that those stay A's and its
    // partner's: another partner working with A (a local agreement with A, funded),
    // a person of A's partner who sits on A's board, and a union admin who is one of
    // A's coordinators. Each person has two identities and acts as one per request.
    let pc = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let (board_partner, union_member) = {
        let db = app.db.app().await;
        let dual =
            testkit::fixtures::partner_member(&db, &app.issuer.url, pa.id, a.id, "viewer").await;
        let mut u = testkit::fixtures::union_user(&db, &app.issuer.url, "admin").await;
        testkit::fixtures::add_member(&db, a.id, &mut u, "coordinator").await;
        db.close().await;
        (dual, u)
    };
    secrets.rows.extend(
        hidden_from_own_partner(
            &admin_conn,
            a.id,
            b.id,
            pa.id,
            &tenant_tables,
            &partner_tables,
        )
        .await,
    );
    let unexpected: Vec<_> = secrets
        .union_tables
        .iter()
        .filter(|t| !UNION_MAY_READ.contains(&t.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "row-level security lets the union read {unexpected:?} of another association"
    );
    let unexpected: Vec<_> = secrets
        .analyst_tables
        .iter()
        .filter(|t| !UNION_ANALYST_MAY_READ.contains(&t.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "row-level security lets the union's analyst read {unexpected:?} of another association"
    );
    // The analyst's restriction is the database's too: B's compliance rows of every
    // table but the audits are there, and hidden from the analyst.
    for t in tenant_tables
        .iter()
        .filter(|t| t.starts_with("compliance_"))
    {
        let rows: Vec<&Row> = secrets.rows.iter().filter(|r| &r.table == t).collect();
        assert!(!rows.is_empty(), "B has a row of {t} (testkit::fixtures)");
        let analyst_reads = t == "compliance_audits";
        assert_eq!(
            rows.iter()
                .all(|r| !r.hidden_from.contains(&Class::Analyst)),
            analyst_reads,
            "{t}: the analyst reads the audits' grades and scores only"
        );
    }
    // Every table of B with rows must be reachable by id through the API, or hold
    // no id (schedules, audit entries): then its rows are probed through their parent.
    let mapped: BTreeSet<&str> = graphql::GLOBAL_ID_TYPES.iter().map(|(t, _)| *t).collect();
    for t in &tenant_tables {
        let has_rows = secrets.rows.iter().any(|r| &r.table == t);
        let internal = graphql::NO_GLOBAL_ID.contains(&t.as_str());
        assert!(
            !has_rows || mapped.contains(t.as_str()) || internal,
            "table {t} is in neither graphql::GLOBAL_ID_TYPES nor graphql::NO_GLOBAL_ID"
        );
    }
    assert!(
        secrets.ids.len() >= 12,
        "B has objects of every kind: {}",
        secrets.ids.len()
    );

    // The detector must see B's data when it is there (positive control).
    let own = app
        .as_user(&b.director, None, "{ viewer { activeTenant { id name members { edges { node { id user { email displayName } } } } } } sites { edges { node { id name closures { reason } } } } }", json!({}))
        .await;
    assert!(
        secrets.leaked(&own.body.to_string(), Class::Staff).len() >= 12,
        "the detector sees B's own data: {}",
        own.body
    );

    // ... and B's partner's data when it is there.
    let own = app
        .as_user(&pb.user, None, "{ agreements { edges { node { id reference title } } } outreachCampaigns { edges { node { id title } } } }", json!({}))
        .await;
    assert!(
        secrets.leaked(&own.body.to_string(), Class::Partner).len() >= 4,
        "the detector sees B's partner's own data: {}",
        own.body
    );

    // Actors on the other side of the line.
    let mut actors = Vec::new();
    for (label, u) in [
        ("A director", &a.director),
        ("A coordinator", &a.coordinator),
        ("A mediator", &a.mediator),
        ("A viewer", &a.viewer),
    ] {
        actors.push(Actor {
            label: label.into(),
            token: Some(app.token(u)),
            person: Some(u.clone()),
            headers: in_tenant(&a.slug),
            class: Class::Staff,
        });
    }
    for role in ["admin", "auditor", "analyst"] {
        let u = app.union_user(role).await;
        actors.push(Actor {
            label: format!("union {role}"),
            token: Some(app.token(&u)),
            person: Some(u.clone()),
            headers: Vec::new(),
            class: if role == "analyst" {
                Class::Analyst
            } else {
                Class::Union
            },
        });
    }
    actors.push(Actor {
        label: "A's partner: a person".into(),
        token: Some(app.token(&pa.user)),
        person: Some(pa.user.clone()),
        headers: Vec::new(),
        class: Class::Partner,
    });
    // Two identities each, one chosen per request (and one who chose none).
    for (label, u, headers, class) in [
        (
            "A's partner's person on A's board, acting as the partner",
            &board_partner,
            act_as("partner"),
            Class::Partner,
        ),
        (
            "A's partner's person on A's board, acting as A",
            &board_partner,
            in_tenant(&a.slug),
            Class::Staff,
        ),
        (
            "A's partner's person on A's board, without a choice",
            &board_partner,
            Vec::new(),
            Class::Undecided,
        ),
        (
            "union admin and A's coordinator, acting as the union",
            &union_member,
            act_as("union"),
            Class::Union,
        ),
        (
            "union admin and A's coordinator, acting as A",
            &union_member,
            in_tenant(&a.slug),
            Class::Staff,
        ),
    ] {
        actors.push(Actor {
            label: label.into(),
            token: Some(app.token(u)),
            person: Some(u.clone()),
            headers,
            class,
        });
    }
    // A's partner's machine, with every scope, through the client-credentials grant.
    {
        let admin = app.union_user("admin").await;
        let (_, client_id, secret) = crate::partners::register(
            &app,
            &admin,
            pa.id,
            &[
                "AGREEMENTS_READ",
                "ACTIVITY_READ",
                "OUTREACH_READ",
                "OUTREACH_WRITE",
            ],
        )
        .await;
        let t = crate::partners::token(&app, &client_id, &secret, None).await;
        assert_eq!(t.status, 200, "{:?}", t.body);
        actors.push(Actor {
            label: "A's partner: an API client".into(),
            token: Some(t.token().to_owned()),
            person: None,
            headers: Vec::new(),
            class: Class::Partner,
        });
    }
    actors.push(Actor {
        label: "anonymous".into(),
        token: None,
        person: None,
        headers: Vec::new(),
        class: Class::Anonymous,
    });
    // Partners apart, now that A's partner has its API client.
    let apart = partners_apart(&admin_conn, a.id, pa.id, pc.id, &partner_tables).await;
    // The detector sees a partner's own data, and another partner's, when they are
    // there (positive controls).
    let own = app
        .as_user(&pa.user, None, "{ viewer { partner { contacts { fullName email } } } partnerApiClients { edges { node { id clientId } } } }", json!({}))
        .await;
    let staff_view = Secrets {
        rows: apart
            .iter()
            .filter(|r| r.hidden_from.contains(&Class::Staff))
            .map(|r| Row {
                table: r.table.clone(),
                needles: r.needles.clone(),
                hidden_from: r.hidden_from.clone(),
            })
            .collect(),
        union_tables: BTreeSet::new(),
        analyst_tables: BTreeSet::new(),
        ids: Vec::new(),
    };
    assert!(
        staff_view.leaked(&own.body.to_string(), Class::Staff).len() >= 3,
        "the detector sees what a partner keeps from the association: {}",
        own.body
    );
    let theirs = app
        .as_user(
            &a.director,
            None,
            "{ agreements(first: 50) { edges { node { id reference title } } } }",
            json!({}),
        )
        .await;
    assert!(
        apart
            .iter()
            .filter(|r| r.hidden_from.contains(&Class::Partner))
            .flat_map(|r| r.needles.iter())
            .filter(|n| theirs.body.to_string().contains(n.as_str()))
            .count()
            >= 2,
        "the detector sees another partner's agreement with A: {}",
        theirs.body
    );
    secrets.rows.extend(apart);
    secrets
        .rows
        .extend(webhooks_apart(&admin_conn, [pa.id, pb.id, pc.id]).await);
    // The detector sees a partner's own endpoints and deliveries (positive control).
    let own = app
        .as_user(
            &pb.user,
            None,
            "{ webhookEndpoints(first: 5) { edges { node { id url } } } }",
            json!({}),
        )
        .await;
    let endpoint = own.body["data"]["webhookEndpoints"]["edges"][0]["node"]["id"].clone();
    let deliveries = app
        .as_user(
            &pb.user,
            None,
            "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 5) { edges { node { id lastError } } } }",
            json!({"e": endpoint}),
        )
        .await;
    assert!(
        secrets
            .leaked(&format!("{} {}", own.body, deliveries.body), Class::Partner)
            .len()
            >= 4,
        "the detector sees B's partner's endpoint and delivery: {} {}",
        own.body,
        deliveries.body
    );

    let mut probes = 0usize;
    let mut leaks: Vec<String> = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    let mut covered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut n = 0usize;

    for (op, root) in [("query", "Query"), ("mutation", "Mutation")] {
        for field in schema.root(root) {
            let id_args = field.args.iter().any(|a| schema.carries_id(&a.ty));
            let mut id_fields = Vec::new();
            for a in &field.args {
                schema.id_fields(&a.name, &a.ty, &mut id_fields);
            }
            // Targets: B's ids of a type some ID field takes (all of them for node).
            let mut inputs: Vec<&str> = secrets
                .ids
                .iter()
                .filter(|g| id_fields.iter().any(|f| fits(f, &type_of(g))))
                .map(String::as_str)
                .collect();
            if inputs.is_empty() {
                inputs = if id_args {
                    secrets.ids.iter().map(String::as_str).collect()
                } else {
                    vec!["-"]
                };
            }
            let mut depth = 3;
            let mut selection = schema.selection(named(&field.ty), depth, &mut Vec::new());
            while field_count(&selection) > 380 && depth > 0 {
                depth -= 1;
                selection = schema.selection(named(&field.ty), depth, &mut Vec::new());
            }
            let writes = op == "mutation";
            for actor in &actors {
                for id in &inputs {
                    n += 1;
                    let mut decls = Vec::new();
                    let mut args = Vec::new();
                    let mut vars = serde_json::Map::new();
                    for (i, arg) in field.args.iter().enumerate() {
                        if PROBED_APART.contains(&(field.name.as_str(), arg.name.as_str())) {
                            continue;
                        }
                        let Some(v) = schema.value(&arg.name, &arg.ty, id, &own_ids, n) else {
                            continue;
                        };
                        decls.push(format!("$v{i}: {}", arg.ty));
                        args.push(format!("{}: $v{i}", arg.name));
                        vars.insert(format!("v{i}"), v);
                    }
                    let decl = if decls.is_empty() {
                        String::new()
                    } else {
                        format!("({})", decls.join(", "))
                    };
                    let call = if args.is_empty() {
                        String::new()
                    } else {
                        format!("({})", args.join(", "))
                    };
                    let doc = format!("{op} Probe{decl} {{ {}{call} {selection} }}", field.name);
                    let before = if writes {
                        fingerprint(
                            &admin_conn,
                            b.id,
                            pb.id,
                            &tenant_tables,
                            &partner_tables,
                            actor.class,
                        )
                        .await
                    } else {
                        String::new()
                    };
                    let headers: Vec<(&str, &str)> = actor
                        .headers
                        .iter()
                        .map(|(k, v)| (*k, v.as_str()))
                        .collect();
                    let token = match &actor.person {
                        Some(u) => Some(app.token(u)),
                        None => actor.token.clone(),
                    };
                    let r = app
                        .gql
                        .raw_with(
                            token.as_deref(),
                            &headers,
                            json!({"query": doc, "variables": vars}),
                        )
                        .await;
                    let after = if writes {
                        fingerprint(
                            &admin_conn,
                            b.id,
                            pb.id,
                            &tenant_tables,
                            &partner_tables,
                            actor.class,
                        )
                        .await
                    } else {
                        String::new()
                    };
                    probes += 1;
                    covered
                        .entry(format!("{root}.{}", field.name))
                        .or_default()
                        .insert(actor.label.clone());
                    let body = r.body.to_string();
                    let found = secrets.leaked(&body, actor.class);
                    if !found.is_empty() || before != after {
                        leaks.push(format!(
                            "{} via {root}.{} with {id}: saw {found:?}, rows changed: {}",
                            actor.label,
                            field.name,
                            before != after
                        ));
                    }
                    // Without a choice, nothing answers but viewer and the catalogues: the
                    // answer asks for the choice (or refuses bad input before looking
                    // at the caller), and runs nothing.
                    if actor.class == Class::Undecided
                        && !NEEDS_NO_ACTOR.contains(&field.name.as_str())
                        && (!matches!(r.code(), Some("ACTOR_CHOICE_REQUIRED" | "VALIDATION"))
                            || !r.body["data"][&field.name].is_null())
                    {
                        leaks.push(format!(
                            "{} got {} without a choice ({})",
                            actor.label, field.name, r.body
                        ));
                    }
                    // A partner runs no mutation but outreach submission.
                    if writes
                        && actor.class == Class::Partner
                        && !PARTNER_MUTATIONS.contains(&field.name.as_str())
                        && (r.body["errors"].as_array().is_none_or(|e| e.is_empty())
                            || !r.body["data"][&field.name].is_null())
                    {
                        leaks.push(format!(
                            "{} ran mutation {} ({})",
                            actor.label, field.name, r.body
                        ));
                    }
                    if let Some(errs) = r.body["errors"].as_array() {
                        for e in errs {
                            if e.get("path").is_none() && r.status == 200 {
                                invalid
                                    .push(format!("{}: {} -> {}", actor.label, doc, e["message"]));
                            }
                        }
                    }
                }
            }
        }
    }

    // Naming B's association in the tenant header, as A's staff.
    for (header, u) in [
        (b.slug.clone(), &a.director),
        (b.gid(), &a.viewer),
        (b.id.to_string(), &a.mediator),
        (b.slug.clone(), &board_partner),
        (b.slug.clone(), &union_member),
    ] {
        let r = app
            .as_user(
                u,
                Some(&header),
                "{ viewer { activeTenant { id name } } }",
                json!({}),
            )
            .await;
        probes += 1;
        if r.status != 403 || !secrets.leaked(&r.body.to_string(), Class::Staff).is_empty() {
            leaks.push(format!(
                "tenant header {header}: status {} {}",
                r.status, r.body
            ));
        }
    }

    println!("isolation: {probes} probes, {} leaked", leaks.len());
    for l in &leaks {
        println!("  LEAK {l}");
    }
    assert!(
        invalid.is_empty(),
        "{} probes were invalid documents (they tested nothing):\n{}",
        invalid.len(),
        invalid.join("\n")
    );
    let roots = schema.root("Query").len() + schema.root("Mutation").len();
    assert_eq!(covered.len(), roots, "every root field is probed");
    for (f, who) in &covered {
        assert_eq!(who.len(), actors.len(), "{f} probed by every actor");
    }
    assert!(
        leaks.is_empty(),
        "{} of {probes} probes leaked",
        leaks.len()
    );
}

/// One prober of the two tests below: its label, its token (none: anonymous) and the
/// headers choosing what it acts as.
type Prober = (String, Option<String>, Vec<(&'static str, String)>);

/// The people the two tests below probe as: association A's four roles, the union's
/// roles given, A's partner's person, and an anonymous caller.
fn probers(
    app: &TestApp,
    a: &testkit::TestTenant,
    union: &[(&'static str, testkit::TestUser)],
    partner: &testkit::TestUser,
) -> Vec<Prober> {
    let mut out: Vec<Prober> = Vec::new();
    for (label, u) in [
        ("A director", &a.director),
        ("A coordinator", &a.coordinator),
        ("A mediator", &a.mediator),
        ("A viewer", &a.viewer),
    ] {
        out.push((label.into(), Some(app.token(u)), in_tenant(&a.slug)));
    }
    for (role, u) in union {
        out.push((format!("union {role}"), Some(app.token(u)), Vec::new()));
    }
    out.push((
        "A's partner: a person".into(),
        Some(app.token(partner)),
        Vec::new(),
    ));
    out.push(("anonymous".into(), None, Vec::new()));
    out
}

/// `inviteDirector` is the union admins': every other actor (an association's four
/// roles, inviting into their own association or another, the union's auditor and
/// analyst, a partner's person, an anonymous caller) is refused, and nothing is
/// created: no invitation, no audit entry, no event.
#[tokio::test]
async fn only_a_union_admin_invites_a_director() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    let pa = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let union = vec![
        ("auditor", app.union_user("auditor").await),
        ("analyst", app.union_user("analyst").await),
    ];
    let both = format!("('{}', '{}')", a.id, b.id);
    let queries = [
        format!("select count(*) from invitations where tenant_id in {both}"),
        format!("select count(*) from tenant_audit_log where tenant_id in {both}"),
        format!("select count(*) from union_audit_log where target_tenant_id in {both}"),
        format!(
            "select count(*) from event_outbox where tenant_id in {both} and event_type = 'invitation.created'"
        ),
    ];
    let made = || async {
        let mut out = Vec::new();
        for q in &queries {
            out.push(app.count(q).await);
        }
        out
    };
    let doc = "mutation($i: InviteDirectorInput!) { inviteDirector(input: $i) { invitation { id email tenant { id name } } } }";
    let before = made().await;
    let mut refused = 0;
    for (label, token, headers) in probers(&app, &a, &union, &pa.user) {
        for target in [&a, &b] {
            let email = format!("direction-{}@probe.test.example", testkit::suffix());
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app
                .gql
                .raw_with(
                    token.as_deref(),
                    &h,
                    json!({"query": doc, "variables": {"i": {"tenantId": target.gid(), "email": email}}}),
                )
                .await;
            assert!(
                matches!(r.code(), Some("FORBIDDEN" | "UNAUTHENTICATED"))
                    && r.body["data"]["inviteDirector"].is_null(),
                "{label} into {}: {}",
                target.slug,
                r.body
            );
            assert_eq!(
                app.count(&format!(
                    "select count(*) from invitations where email = '{email}'"
                ))
                .await,
                0,
                "{label}: an invitation was created"
            );
            refused += 1;
        }
    }
    assert_eq!(made().await, before, "nothing created by a refused actor");
    // The union's admin may (positive control: the counts above do move).
    let admin = app.union_user("admin").await;
    let r = app
        .as_user(&admin, None, doc, json!({"i": {"tenantId": b.gid(), "email": format!("direction-{}@probe.test.example", testkit::suffix())}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let after = made().await;
    assert!(
        after.iter().zip(&before).all(|(x, y)| x == &(y + 1)),
        "{before:?} -> {after:?}"
    );
    println!("isolation (inviteDirector): {refused} refusals");
}

/// The journal's theme and partner filters (`visits(theme, partnerId)`), with the
/// other association's site, its partner, A's partner: A's writers get A's visits
/// only, and everyone else (A's board, the union's three roles, A's partner, an
/// anonymous caller) nothing but a refusal.
#[tokio::test]
async fn the_journals_filters_show_nothing_more() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    testkit::fixtures::populate(app.db, &b).await;
    let pa = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let pb = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &b).await;
    let (gpa, gpb) = (
        gid("PartnerOrganisation", pa.id),
        gid("PartnerOrganisation", pb.id),
    );
    // Both journals hold visits for both partners, under the same themes.
    let mut sites = HashMap::new();
    for t in [&a, &b] {
        let r = app
            .as_user(
                &t.director,
                None,
                "{ sites(first: 1) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        let site = r.data()["sites"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (theme, partner) in [("energy", &gpb), ("water", &gpa), ("energy", &gpa)] {
            let r = app
                .as_user(&t.mediator, None, crate::journal::RECORD, json!({"i": {
                    "clientKey": uuid::Uuid::now_v7().to_string(),
                    "visit": {
                        "siteId": site, "occurredAt": (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339(),
                        "channel": "ON_SITE", "durationMinutes": 15,
                        "requests": [
                            {"theme": theme, "kind": "PARTNER", "partnerId": partner, "outcome": "MEDIATED"},
                            {"theme": "housing", "kind": "GENERAL", "outcome": "ORIENTED", "referredTo": format!("Orientation {}", t.slug)}
                        ]
                    }
                }}))
                .await;
            assert!(r.ok(), "{:?}", r.body);
        }
        sites.insert(t.slug.clone(), site);
    }
    // B's visits, by id and global id, and B's text.
    let admin = app.db.admin().await;
    let mut needles: Vec<String> = rows_json(
        &admin,
        format!("select id from visits where tenant_id = '{}'", b.id),
    )
    .await
    .iter()
    .filter_map(|r| r["id"].as_str().map(str::to_owned))
    .flat_map(|id| {
        let g = gid("Visit", uuid::Uuid::parse_str(&id).unwrap());
        [id, g]
    })
    .collect();
    assert!(needles.len() >= 8, "B has visits: {needles:?}");
    let _ = admin.close().await;
    needles.extend([
        format!("Orientation {}", b.slug),
        format!("CCAS {}", b.slug),
        format!("Note confidentielle {}", b.slug),
    ]);
    let leaked = |body: &str| -> Vec<String> {
        needles
            .iter()
            .filter(|n| body.contains(n.as_str()))
            .cloned()
            .collect()
    };
    let doc = "query($siteId: ID, $theme: String, $partnerId: ID, $v: Boolean! = false) { \
        visits(first: 50, siteId: $siteId, theme: $theme, partnerId: $partnerId, includeVoided: $v) { \
          edges { node { id site { id name } requests { theme referredTo partner { id name } } notes { body } } } } }";
    let b_site = sites[&b.slug].clone();
    let probes: Vec<Value> = vec![
        json!({"theme": "energy"}),
        json!({"partnerId": gpb}),
        json!({"partnerId": gpa}),
        json!({"theme": "water", "partnerId": gpa, "v": true}),
        json!({"siteId": b_site, "theme": "energy"}),
        json!({"siteId": b_site, "partnerId": gpb}),
        json!({"siteId": b_site, "theme": "housing", "partnerId": gpa}),
    ];
    // The detector sees B's visits when they are there (positive control).
    let own = app
        .as_user(&b.mediator, None, doc, json!({"partnerId": gpb}))
        .await;
    assert!(leaked(&own.body.to_string()).len() >= 2, "{}", own.body);

    let union = vec![
        ("admin", app.union_user("admin").await),
        ("auditor", app.union_user("auditor").await),
        ("analyst", app.union_user("analyst").await),
    ];
    let writers = ["A director", "A coordinator", "A mediator"];
    let mut n = 0;
    let mut leaks = Vec::new();
    for (label, token, headers) in probers(&app, &a, &union, &pa.user) {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for vars in &probes {
            let r = app
                .gql
                .raw_with(
                    token.as_deref(),
                    &h,
                    json!({"query": doc, "variables": vars}),
                )
                .await;
            n += 1;
            let body = r.body.to_string();
            let found = leaked(&body);
            let answered = !r.body["data"]["visits"].is_null();
            if !found.is_empty() || answered != writers.contains(&label.as_str()) {
                leaks.push(format!(
                    "{label} with {vars}: saw {found:?}, answered {answered}: {body}"
                ));
            }
            // A's writers get A's own visits under A's partner's filter (so the probes do
            // reach a journal).
            if writers.contains(&label.as_str()) && vars == &json!({"partnerId": gpa}) {
                assert_eq!(
                    r.body["data"]["visits"]["edges"].as_array().map(Vec::len),
                    Some(2),
                    "{body}"
                );
            }
        }
    }
    println!(
        "isolation (journal filters): {n} probes, {} leaked",
        leaks.len()
    );
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}
