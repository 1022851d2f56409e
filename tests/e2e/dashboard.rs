//! The dashboard against the raw journal: after a random sequence of recordings,
//! amendments and voids, every total and split equals what the journal says; the
//! cache answers the second time and is invalidated by a write; the union sees
//! aggregates only; the dashboard's queries read the rollups, as the application
//! role sees them.

use crate::journal::{RECORD, site_of, visit, with_partner};
use crate::support::*;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DASH: &str = "query($i: DashboardInput!) { dashboard(input: $i) { cached totals { people requests mediationActs workshops attendees } rows { period key label counts { people requests mediationActs } } csv } }";

fn rows(d: &Value) -> BTreeMap<(String, String), (i64, i64)> {
    d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["period"].as_str().unwrap().to_owned(),
                    r["key"].as_str().unwrap().to_owned(),
                ),
                (
                    r["counts"]["people"].as_i64().unwrap_or(-1),
                    r["counts"]["requests"].as_i64().unwrap(),
                ),
            )
        })
        .filter(|(_, (p, r))| *p != 0 || *r != 0)
        .collect()
}

async fn raw(app: &TestApp, sql: String) -> BTreeMap<(String, String), (i64, i64)> {
    use sea_orm::ConnectionTrait;
    let admin = app.db.admin().await;
    let out = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql,
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let d: chrono::NaiveDate = r.try_get_by_index(0).unwrap();
            (
                (d.to_string(), r.try_get_by_index::<String>(1).unwrap()),
                (
                    r.try_get_by_index::<i64>(2).unwrap(),
                    r.try_get_by_index::<i64>(3).unwrap(),
                ),
            )
        })
        .collect();
    let _ = admin.close().await;
    out
}

#[tokio::test]
async fn dashboard_totals_equal_the_journal_after_random_corrections() {
    let app = spawn_app().await;
    let (t, _, p) = with_partner(&app).await;
    let sites: Vec<String> = {
        let r = app
            .as_user(
                &t.director,
                None,
                "{ sites { edges { node { id } } } }",
                json!({}),
            )
            .await;
        r.data()["sites"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
    let themes = [
        "energy",
        "water",
        "housing",
        "employment",
        "digital",
        "budget",
    ];
    let mut live: Vec<String> = Vec::new();
    let (mut recorded, mut amended, mut voided) = (0, 0, 0);
    for _ in 0..45 {
        let roll: f64 = rng.random();
        if roll < 0.6 || live.is_empty() {
            let site = &sites[rng.random_range(0..sites.len())];
            let mut v = visit(site, &p, rng.random_range(10..(60 * 24 * 50)));
            v["channel"] = json!(["ON_SITE", "PHONE", "HOME", "REMOTE"][rng.random_range(0..4)]);
            v["requests"][1]["theme"] = json!(themes[rng.random_range(0..themes.len())]);
            if rng.random_bool(0.3) {
                v["requests"].as_array_mut().unwrap().pop();
            }
            let r = app
                .as_user(
                    &t.mediator,
                    None,
                    RECORD,
                    json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": v}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            live.push(
                r.data()["recordVisit"]["visit"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            recorded += 1;
        } else if roll < 0.85 {
            let id = live[rng.random_range(0..live.len())].clone();
            let site = &sites[rng.random_range(0..sites.len())];
            let mut v = visit(site, &p, rng.random_range(10..(60 * 24 * 50)));
            v["requests"][0]["outcome"] = json!("INFORMED");
            v["requests"][1]["theme"] = json!(themes[rng.random_range(0..themes.len())]);
            let r = app
                .as_user(
                    &t.coordinator,
                    None,
                    "mutation($i: AmendVisitInput!) { amendVisit(input: $i) { visit { id } } }",
                    json!({"i": {"visitId": id, "visit": v}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            amended += 1;
        } else {
            let id = live.swap_remove(rng.random_range(0..live.len()));
            let r = app
                .as_user(
                    &t.mediator,
                    None,
                    "mutation($i: VoidVisitInput!) { voidVisit(input: $i) { visit { id } } }",
                    json!({"i": {"visitId": id, "reason": "Saisie en double"}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            voided += 1;
        }
    }
    assert!(
        recorded > 10 && amended > 3 && voided > 3,
        "{recorded} {amended} {voided}"
    );
    let today = kernel::time::today();
    let from = today - chrono::Days::new(60);
    let paris = "(v.occurred_at at time zone 'Europe/Paris')::date";
    let recorded_visits = format!(
        "visits v where v.tenant_id = '{}' and v.status = 'recorded' and {paris} between '{from}' and '{today}'",
        t.id
    );

    // By day and site: people and requests.
    let r = app.as_user(&t.viewer, None, DASH, json!({"i": {"from": from.to_string(), "to": today.to_string(), "granularity": "DAY", "dimension": "SITE"}})).await;
    assert!(r.ok(), "{:?}", r.body);
    let expected = raw(&app, format!(
        "select {paris}, v.site_id::text, count(*), sum((select count(*) from visit_requests q where q.tenant_id = v.tenant_id and q.visit_id = v.id))::bigint \
         from {recorded_visits} group by 1, 2")).await;
    assert_eq!(rows(&r.data()["dashboard"]), expected, "by day and site");

    // By month and theme: requests and mediation acts.
    let r = app.as_user(&t.viewer, None, DASH, json!({"i": {"from": from.to_string(), "to": today.to_string(), "granularity": "MONTH", "dimension": "THEME"}})).await;
    let got: BTreeMap<(String, String), (i64, i64)> = r.data()["dashboard"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                (
                    x["period"].as_str().unwrap().to_owned(),
                    x["key"].as_str().unwrap().to_owned(),
                ),
                (
                    x["counts"]["requests"].as_i64().unwrap(),
                    x["counts"]["mediationActs"].as_i64().unwrap(),
                ),
            )
        })
        .filter(|(_, (a, _))| *a != 0)
        .collect();
    let expected = raw(&app, format!(
        "select date_trunc('month', {paris})::date, q.theme, count(*), count(*) filter (where q.mediation_act) \
         from visits v join visit_requests q on q.tenant_id = v.tenant_id and q.visit_id = v.id \
         where v.tenant_id = '{tid}' and v.status = 'recorded' and {paris} between '{from}' and '{today}' group by 1, 2", tid = t.id)).await;
    // Months are whole: the first month may start before `from`; compare what the range covers.
    let got: BTreeMap<_, _> = got
        .into_iter()
        .filter(|((p, _), _)| expected.keys().any(|(ep, _)| ep == p))
        .collect();
    assert_eq!(got, expected, "by month and theme");

    // Each site's month (what a dashboard by month and region or association reads)
    // is the daily rollups folded, row for row, after every recording, amendment and
    // void above.
    let fold = "select tenant_id, site_id, date_trunc('month', day)::date as month, \
          sum(v)::bigint, sum(mi)::bigint, sum(dc)::bigint, sum(oh)::bigint, \
          sum(r)::bigint, sum(a)::bigint, sum(w)::bigint, sum(att)::bigint from ( \
        select tenant_id, site_id, day, visits as v, minutes as mi, during_closure as dc, outside_hours as oh, \
               0 as r, 0 as a, 0 as w, 0 as att from visit_daily \
        union all select tenant_id, site_id, day, 0, 0, 0, 0, requests, mediation_acts, 0, 0 from request_daily \
        union all select tenant_id, site_id, day, 0, 0, 0, 0, 0, 0, workshops, attendees from workshop_daily) x \
      group by 1, 2, 3";
    let held = "select tenant_id, site_id, month, visits::bigint, minutes, during_closure::bigint, \
          outside_hours::bigint, requests::bigint, mediation_acts::bigint, workshops::bigint, attendees::bigint \
        from activity_monthly";
    let differ = app
        .count(&format!(
            "select count(*) from (({fold} except {held}) union all ({held} except {fold})) x"
        ))
        .await;
    assert_eq!(
        differ, 0,
        "activity_monthly is the daily rollups folded by month"
    );
    let held_rows = app
        .count(&format!(
            "select count(*) from activity_monthly where tenant_id = '{}' and requests > 0",
            t.id
        ))
        .await;
    assert!(held_rows > 0, "activity_monthly holds the activity");

    // Totals.
    let r = app
        .as_user(
            &t.viewer,
            None,
            DASH,
            json!({"i": {"from": from.to_string(), "to": today.to_string()}}),
        )
        .await;
    let totals = &r.data()["dashboard"]["totals"];
    let n = app
        .count(&format!("select count(*) from {recorded_visits}"))
        .await;
    assert_eq!(totals["people"].as_i64().unwrap(), n);

    // Cached the second time, invalidated by a write.
    let again = app
        .as_user(
            &t.viewer,
            None,
            DASH,
            json!({"i": {"from": from.to_string(), "to": today.to_string()}}),
        )
        .await;
    assert_eq!(again.data()["dashboard"]["cached"], true);
    assert_eq!(again.data()["dashboard"]["totals"], *totals);
    let r = app.as_user(&t.mediator, None, RECORD, json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": visit(&sites[0], &p, 30)}})).await;
    assert!(r.ok());
    let after = app
        .as_user(
            &t.viewer,
            None,
            DASH,
            json!({"i": {"from": from.to_string(), "to": today.to_string()}}),
        )
        .await;
    assert_eq!(after.data()["dashboard"]["cached"], false);
    assert_eq!(
        after.data()["dashboard"]["totals"]["people"]
            .as_i64()
            .unwrap(),
        n + 1
    );

    // CSV of the same view.
    let csv = after.data()["dashboard"]["csv"].as_str().unwrap();
    assert!(csv.starts_with("\u{feff}période;clé;libellé;personnes reçues"));
    assert_eq!(
        csv.lines().count(),
        after.data()["dashboard"]["rows"].as_array().unwrap().len() + 1
    );

    // The union: aggregates of this association, no journal.
    let analyst = app.union_user("analyst").await;
    let q = "query($i: DashboardInput!) { networkDashboard(input: $i) { totals { people } rows { key label } } }";
    let r = app.as_user(&analyst, None, q, json!({"i": {"from": from.to_string(), "to": today.to_string(), "dimension": "TENANT", "tenantId": t.gid()}})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["networkDashboard"]["totals"]["people"]
            .as_i64()
            .unwrap(),
        n + 1
    );
    assert_eq!(
        r.data()["networkDashboard"]["rows"][0]["label"],
        t.name.as_str()
    );
    // The union's view is cached and, unlike an association's, not made stale by a
    // write: it lives NETWORK_TTL_SECS (national figures to within five minutes).
    let q2 =
        "query($i: DashboardInput!) { networkDashboard(input: $i) { cached totals { people } } }";
    let vars = json!({"i": {"from": from.to_string(), "to": today.to_string(), "dimension": "TENANT", "tenantId": t.gid()}});
    let r = app.as_user(&analyst, None, q2, vars.clone()).await;
    assert_eq!(r.data()["networkDashboard"]["cached"], true, "{:?}", r.body);
    let r = app.as_user(&t.mediator, None, RECORD, json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": visit(&sites[0], &p, 30)}})).await;
    assert!(r.ok());
    let r = app.as_user(&analyst, None, q2, vars).await;
    assert_eq!(r.data()["networkDashboard"]["cached"], true);
    assert_eq!(
        r.data()["networkDashboard"]["totals"]["people"]
            .as_i64()
            .unwrap(),
        n + 1
    );
    let mut conn = redis::Client::open("redis://127.0.0.1:6379")
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("passerelle:*:network:dash:*{}", t.id))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        let ttl: i64 = redis::cmd("TTL")
            .arg(&k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            ttl > 0 && ttl <= mediation::dashboard::NETWORK_TTL_SECS as i64,
            "{k}: {ttl}"
        );
    }
    // The association's own view was made stale by the same write.
    let own = app
        .as_user(
            &t.viewer,
            None,
            DASH,
            json!({"i": {"from": from.to_string(), "to": today.to_string()}}),
        )
        .await;
    assert_eq!(own.data()["dashboard"]["cached"], false);
    assert_eq!(
        own.data()["dashboard"]["totals"]["people"]
            .as_i64()
            .unwrap(),
        n + 2
    );

    // By region: the association's sites are in Lyon (department 69).
    let r = app.as_user(&analyst, None, q, json!({"i": {"from": from.to_string(), "to": today.to_string(), "dimension": "REGION", "tenantId": t.gid()}})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["networkDashboard"]["rows"][0]["key"],
        "84",
        "{:?}",
        r.body
    );
    assert_eq!(
        r.data()["networkDashboard"]["rows"][0]["label"],
        "Auvergne-Rhône-Alpes"
    );
    assert_eq!(
        r.data()["networkDashboard"]["totals"]["people"]
            .as_i64()
            .unwrap(),
        n + 2
    );
    assert_eq!(
        app.as_user(
            &analyst,
            None,
            "{ visits { edges { node { id } } } }",
            json!({})
        )
        .await
        .code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.as_user(
            &t.director,
            None,
            q,
            json!({"i": {"from": from.to_string(), "to": today.to_string()}})
        )
        .await
        .code(),
        Some("FORBIDDEN")
    );
}

#[tokio::test]
async fn bad_dashboard_requests_are_validation_errors() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let other = app.tenant().await;
    testkit::fixtures::populate(app.db, &other).await;
    let foreign = site_of(&app, &other).await;
    for (input, field) in [
        (json!({"from": "2026-05-01", "to": "2026-04-01"}), "to"),
        (
            json!({"from": "2024-01-01", "to": "2026-01-01", "granularity": "DAY"}),
            "granularity",
        ),
        (
            json!({"from": "2026-01-01", "to": "2026-02-01", "siteId": foreign}),
            "siteId",
        ),
        (
            json!({"from": "2026-01-01", "to": "2026-02-01", "dimension": "TENANT"}),
            "dimension",
        ),
    ] {
        let r = app
            .as_user(&t.viewer, None, DASH, json!({"i": input}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["field"], field);
    }
}

#[tokio::test]
async fn dashboard_plans_read_the_rollups_under_the_application_role() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let db = app.db.app().await;
    let ctx = kernel::Ctx::member(
        kernel::UserId(t.viewer.id),
        kernel::TenantScope {
            tenant_id: kernel::TenantId(t.id),
            role: kernel::TenantRole::Viewer,
        },
        kernel::RequestId::new(),
    );
    let today = kernel::time::today();
    for dimension in [
        mediation::dashboard::Dimension::None,
        mediation::dashboard::Dimension::Site,
        mediation::dashboard::Dimension::Theme,
    ] {
        let q = mediation::dashboard::DashboardQuery {
            from: today - chrono::Days::new(365),
            to: today,
            granularity: mediation::dashboard::Granularity::Month,
            dimension,
            site_id: None,
            tenant_id: None,
        };
        for (source, sql, values) in mediation::dashboard::statements(Some(t.id), &q, q.from, q.to)
        {
            let tx = db.scoped(&ctx).await.unwrap();
            let plan: Vec<String> = tx
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    format!("explain {sql}"),
                    values,
                ))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect();
            let plan = plan.join("\n");
            assert!(
                plan.contains(&format!("{source}_daily")),
                "{source}: {plan}"
            );
            assert!(
                !plan.contains(" on visits")
                    && !plan.contains("visit_requests")
                    && !plan.contains(" on workshops "),
                "raw journal scanned: {plan}"
            );
        }
    }
    db.close().await;
}
