//! Sites through the API: create, permanences, hours, closures, labels, closing,
//! the union's network map, and bad input that records nothing.

use crate::support::*;
use serde_json::json;

const CREATE: &str = "mutation($i: CreateSiteInput!) { createSite(input: $i) { site { id name kind isOpen parentSite { name } hostPlace address { postcode city inseeCode } coordinates { latitude } qpvCode services { code label } } } }";

fn lyon_vaise() -> serde_json::Value {
    json!({
        "name": "PIMMS Lyon-Vaise", "street": "18 rue Marietton", "postcode": "69009", "city": "Lyon",
        "inseeCode": "69389", "coordinates": {"latitude": 45.7741, "longitude": 4.8047},
        "qpvCode": "QP069012", "openedOn": "1998-09-01", "services": ["partner_visits", "general_visits", "digital_help"]
    })
}

#[tokio::test]
async fn coordinators_open_sites_and_permanences() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let r = app
        .as_user(&t.coordinator, None, CREATE, json!({"i": lyon_vaise()}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let site = &r.data()["createSite"]["site"];
    assert_eq!(site["kind"], "SITE");
    assert_eq!(site["isOpen"], true);
    assert_eq!(
        site["services"][0]["label"],
        "Accueil partenaires (énergie, eau, transport, poste...)"
    );
    let site_id = site["id"].as_str().unwrap().to_owned();

    let perm = json!({"name": "Permanence Mairie du 9e", "kind": "PERMANENCE", "parentSiteId": site_id,
        "hostPlace": "Mairie du 9e arrondissement", "postcode": "69009", "city": "Lyon", "openedOn": "2015-01-05"});
    let r = app
        .as_user(&t.director, None, CREATE, json!({"i": perm}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["createSite"]["site"]["parentSite"]["name"],
        "PIMMS Lyon-Vaise"
    );
    let perm_id = r.data()["createSite"]["site"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let hours = "mutation($i: SetSiteOpeningHoursInput!) { setSiteOpeningHours(input: $i) { site { openingHours { weekday opens closes everyNWeeks weekOfMonth } } } }";
    let r = app
        .as_user(
            &t.coordinator,
            None,
            hours,
            json!({"i": {"siteId": perm_id, "slots": [
            {"weekday": 2, "opens": "09:00:00", "closes": "12:00:00", "weekOfMonth": 1},
            {"weekday": 4, "opens": "14:00:00", "closes": "17:00:00", "everyNWeeks": 2}]}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["setSiteOpeningHours"]["site"]["openingHours"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let closure = "mutation($i: AddSiteClosureInput!) { addSiteClosure(input: $i) { site { closures { id reason } } } }";
    let r = app
        .as_user(&t.coordinator, None, closure, json!({"i": {"siteId": site_id, "startsOn": "2026-12-24", "endsOn": "2027-01-02", "reason": "Fêtes de fin d'année"}}))
        .await;
    let closure_id = r.data()["addSiteClosure"]["site"]["closures"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .as_user(&t.coordinator, None, "mutation($i: RemoveSiteClosureInput!) { removeSiteClosure(input: $i) { site { closures { id } } } }", json!({"i": {"closureId": closure_id}}))
        .await;
    assert_eq!(
        r.data()["removeSiteClosure"]["site"]["closures"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let label = "mutation($i: AddSiteLabelInput!) { addSiteLabel(input: $i) { site { labels { kind label current } } } }";
    let r = app
        .as_user(
            &t.director,
            None,
            label,
            json!({"i": {"siteId": site_id, "kind": "FRANCE_SERVICES", "grantedOn": "2020-01-01"}}),
        )
        .await;
    assert_eq!(
        r.data()["addSiteLabel"]["site"]["labels"][0]["label"],
        "France Services"
    );
    assert_eq!(
        r.data()["addSiteLabel"]["site"]["labels"][0]["current"],
        true
    );

    // Closing a site for good, then listing.
    let r = app
        .as_user(
            &t.director,
            None,
            "mutation($i: UpdateSiteInput!) { updateSite(input: $i) { site { isOpen closedOn } } }",
            json!({"i": {"siteId": perm_id, "closedOn": "2020-01-01"}}),
        )
        .await;
    assert_eq!(
        r.data()["updateSite"]["site"]["isOpen"],
        false,
        "{:?}",
        r.body
    );
    let list = "query($c: Boolean) { sites(includeClosed: $c) { edges { node { name } } } }";
    let r = app
        .as_user(&t.mediator, None, list, json!({"c": false}))
        .await;
    assert_eq!(r.data()["sites"]["edges"].as_array().unwrap().len(), 1);
    let r = app.as_user(&t.viewer, None, list, json!({"c": true})).await;
    assert_eq!(r.data()["sites"]["edges"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_sites_record_nothing() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let other = app.tenant().await;
    let r = app
        .as_user(&other.director, None, CREATE, json!({"i": lyon_vaise()}))
        .await;
    let foreign = r.data()["createSite"]["site"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let count = format!("select count(*) from sites where tenant_id = '{}'", t.id);
    let mut cases = vec![
        (json!({"postcode": "690"}), "postcode"),
        (json!({"inseeCode": "XX"}), "inseeCode"),
        (json!({"qpvCode": "12"}), "qpvCode"),
        (
            json!({"coordinates": {"latitude": 123.0, "longitude": 4.0}}),
            "coordinates",
        ),
        (json!({"services": ["karaoke"]}), "services"),
        (json!({"name": "x"}), "name"),
        (
            json!({"kind": "PERMANENCE", "hostPlace": "Mairie"}),
            "parentSiteId",
        ),
        // Another association's site is as unknown as a missing one.
        (
            json!({"kind": "PERMANENCE", "hostPlace": "Mairie", "parentSiteId": foreign}),
            "parentSiteId",
        ),
    ];
    cases.push((
        json!({"kind": "PERMANENCE", "parentSiteId": "garbage", "hostPlace": "x"}),
        "parentSiteId",
    ));
    for (patch, field) in cases {
        let mut input = lyon_vaise();
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        let r = app
            .as_user(&t.director, None, CREATE, json!({"i": input}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{field}: {:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["field"], field,
            "{:?}",
            r.body
        );
    }
    assert_eq!(app.count(&count).await, 0);
    // Duplicate names conflict; mediators and viewers cannot manage sites.
    assert!(
        app.as_user(&t.director, None, CREATE, json!({"i": lyon_vaise()}))
            .await
            .ok()
    );
    assert_eq!(
        app.as_user(&t.director, None, CREATE, json!({"i": lyon_vaise()}))
            .await
            .code(),
        Some("CONFLICT")
    );
    for u in [&t.mediator, &t.viewer] {
        let mut i = lyon_vaise();
        i["name"] = json!("Autre site");
        assert_eq!(
            app.as_user(u, None, CREATE, json!({"i": i})).await.code(),
            Some("FORBIDDEN")
        );
    }
    assert_eq!(app.count(&count).await, 1);
    // Overlapping hours are refused whole.
    let sites = app
        .as_user(
            &t.director,
            None,
            "{ sites { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = sites.data()["sites"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .as_user(&t.director, None, "mutation($i: SetSiteOpeningHoursInput!) { setSiteOpeningHours(input: $i) { site { id } } }",
            json!({"i": {"siteId": id, "slots": [{"weekday": 1, "opens": "09:00:00", "closes": "12:00:00"}, {"weekday": 1, "opens": "11:00:00", "closes": "13:00:00"}]}}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "slots[1]");
    assert_eq!(
        app.count(&format!(
            "select count(*) from site_opening_hours where tenant_id = '{}'",
            t.id
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn the_union_reads_the_network_map() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let analyst = app.union_user("analyst").await;
    let q = "query($t: ID) { networkSites(tenantId: $t, first: 50) { edges { node { name kind tenant { slug } labels { kind } } } } }";
    let r = app.as_user(&analyst, None, q, json!({"t": t.gid()})).await;
    assert!(r.ok(), "{:?}", r.body);
    let edges = r.data()["networkSites"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["tenant"]["slug"], t.slug.as_str());
    // Staff cannot read the network map.
    assert_eq!(
        app.as_user(&t.director, None, q, json!({"t": t.gid()}))
            .await
            .code(),
        Some("FORBIDDEN")
    );
}
