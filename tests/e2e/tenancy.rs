//! Associations and members through the API: roles, the last-director rule,
//! deactivation, suspension, and bad input that changes nothing.

use crate::support::*;
use serde_json::json;

const CREATE_TENANT: &str = "mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { id slug name status } invitation { email role status } } }";
const MEMBERS: &str = "{ viewer { activeTenant { members(first: 50, includeDeactivated: true) { edges { node { id role status user { email } } } } } } }";
const CHANGE_ROLE: &str =
    "mutation($i: ChangeMemberRoleInput!) { changeMemberRole(input: $i) { membership { role } } }";
const DEACTIVATE: &str =
    "mutation($i: MembershipInput!) { deactivateMember(input: $i) { membership { status } } }";
const REACTIVATE: &str =
    "mutation($i: MembershipInput!) { reactivateMember(input: $i) { membership { status } } }";

fn gid(t: &str, id: uuid::Uuid) -> String {
    kernel::gid::encode(t, id)
}

#[tokio::test]
async fn union_admin_creates_suspends_and_reactivates_associations() {
    let app = spawn_app().await;
    let admin = app.union_user("admin").await;
    let slug = format!("pimms-{}", testkit::suffix());
    let r = app
        .as_user(&admin, None, CREATE_TENANT, json!({"i": {"slug": slug, "name": "PIMMS Essai", "firstDirectorEmail": "Dir@Essai.example"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let t = &r.data()["createTenant"];
    assert_eq!(t["tenant"]["status"], "ACTIVE");
    assert_eq!(t["invitation"]["email"], "dir@essai.example");
    assert_eq!(t["invitation"]["role"], "DIRECTOR");
    let id = t["tenant"]["id"].as_str().unwrap().to_owned();

    // Same slug again: CONFLICT, nothing added.
    let n = app.count("select count(*) from tenants").await;
    let r = app
        .as_user(
            &admin,
            None,
            CREATE_TENANT,
            json!({"i": {"slug": slug, "name": "Autre", "firstDirectorEmail": "x@y.example"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(app.count("select count(*) from tenants").await, n);

    // Bad input: VALIDATION naming the field, nothing added.
    for (input, field) in [
        (
            json!({"slug": "Pas Bon", "name": "PIMMS", "firstDirectorEmail": "a@b.example"}),
            "slug",
        ),
        (
            json!({"slug": "ok-slug-x", "name": " ", "firstDirectorEmail": "a@b.example"}),
            "name",
        ),
        (
            json!({"slug": "ok-slug-y", "name": "PIMMS", "firstDirectorEmail": "pas-un-email"}),
            "firstDirectorEmail",
        ),
    ] {
        let r = app
            .as_user(&admin, None, CREATE_TENANT, json!({"i": input}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["field"], field);
    }
    assert_eq!(app.count("select count(*) from tenants").await, n);

    let r = app
        .as_user(&admin, None, "mutation($i: SuspendTenantInput!) { suspendTenant(input: $i) { tenant { status suspendedReason } } }",
            json!({"i": {"tenantId": id, "reason": "Contrat de franchise non renouvelé"}}))
        .await;
    assert_eq!(
        r.data()["suspendTenant"]["tenant"]["status"],
        "SUSPENDED",
        "{:?}",
        r.body
    );
    let r = app
        .as_user(&admin, None, "mutation($i: ReactivateTenantInput!) { reactivateTenant(input: $i) { tenant { status } } }",
            json!({"i": {"tenantId": id}}))
        .await;
    assert_eq!(r.data()["reactivateTenant"]["tenant"]["status"], "ACTIVE");
    // Audited.
    assert!(
        app.count("select count(*) from union_audit_log where action like 'tenant.%'")
            .await
            >= 3
    );
}

#[tokio::test]
async fn roles_without_the_right_are_forbidden() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let auditor = app.union_user("auditor").await;
    let r = app
        .as_user(
            &auditor,
            None,
            CREATE_TENANT,
            json!({"i": {"slug": "x-y", "name": "PIMMS", "firstDirectorEmail": "a@b.example"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(
            &t.director,
            None,
            CREATE_TENANT,
            json!({"i": {"slug": "x-z", "name": "PIMMS", "firstDirectorEmail": "a@b.example"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    for u in [&t.coordinator, &t.mediator, &t.viewer] {
        let r = app
            .as_user(u, None, "mutation { inviteMember(input: {email: \"n@x.example\", role: MEDIATOR}) { invitation { id } } }", json!({}))
            .await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
        let r = app
            .as_user(u, None, DEACTIVATE, json!({"i": {"membershipId": gid("Membership", t.director.membership_id.unwrap())}}))
            .await;
        assert_eq!(r.code(), Some("FORBIDDEN"));
    }
    // Mediators and viewers do not read invitations; coordinators do.
    let q = "{ viewer { activeTenant { invitations { edges { node { email } } } } } }";
    assert_eq!(
        app.as_user(&t.mediator, None, q, json!({})).await.code(),
        Some("FORBIDDEN")
    );
    assert!(app.as_user(&t.coordinator, None, q, json!({})).await.ok());
    // The tenant list is the union's.
    let r = app
        .as_user(
            &t.director,
            None,
            "{ tenants { edges { node { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    assert_eq!(
        app.count(&format!(
            "select count(*) from invitations where tenant_id = '{}'",
            t.id
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn an_association_keeps_one_active_director() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let me = gid("Membership", t.director.membership_id.unwrap());
    let r = app
        .as_user(
            &t.director,
            None,
            CHANGE_ROLE,
            json!({"i": {"membershipId": me, "role": "MEDIATOR"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    let r = app
        .as_user(
            &t.director,
            None,
            DEACTIVATE,
            json!({"i": {"membershipId": me}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));
    assert_eq!(
        app.count(&format!("select count(*) from memberships where tenant_id = '{}' and role = 'director' and status = 'active'", t.id)).await,
        1
    );
    // Promote the coordinator, then the first director may step down.
    let coord = gid("Membership", t.coordinator.membership_id.unwrap());
    let r = app
        .as_user(
            &t.director,
            None,
            CHANGE_ROLE,
            json!({"i": {"membershipId": coord, "role": "DIRECTOR"}}),
        )
        .await;
    assert_eq!(
        r.data()["changeMemberRole"]["membership"]["role"],
        "DIRECTOR",
        "{:?}",
        r.body
    );
    let r = app
        .as_user(
            &t.director,
            None,
            CHANGE_ROLE,
            json!({"i": {"membershipId": me, "role": "COORDINATOR"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
}

#[tokio::test]
async fn concurrent_demotions_cannot_remove_every_director() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let coord = gid("Membership", t.coordinator.membership_id.unwrap());
    let r = app
        .as_user(
            &t.director,
            None,
            CHANGE_ROLE,
            json!({"i": {"membershipId": coord, "role": "DIRECTOR"}}),
        )
        .await;
    assert!(r.ok());
    // Two directors each demote the other at the same time: one must fail.
    let a = app.as_user(
        &t.director,
        None,
        CHANGE_ROLE,
        json!({"i": {"membershipId": coord, "role": "MEDIATOR"}}),
    );
    let me = gid("Membership", t.director.membership_id.unwrap());
    let b = app.as_user(
        &t.coordinator,
        None,
        CHANGE_ROLE,
        json!({"i": {"membershipId": me, "role": "MEDIATOR"}}),
    );
    let (a, b) = tokio::join!(a, b);
    let oks = [a.ok(), b.ok()].iter().filter(|x| **x).count();
    assert!(oks <= 1, "{:?} {:?}", a.body, b.body);
    assert_eq!(
        app.count(&format!("select count(*) from memberships where tenant_id = '{}' and role = 'director' and status = 'active'", t.id)).await,
        1
    );
}

#[tokio::test]
async fn deactivated_members_lose_access_and_come_back() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let m = gid("Membership", t.mediator.membership_id.unwrap());
    let r = app
        .as_user(
            &t.director,
            None,
            DEACTIVATE,
            json!({"i": {"membershipId": m}}),
        )
        .await;
    assert_eq!(
        r.data()["deactivateMember"]["membership"]["status"],
        "DEACTIVATED",
        "{:?}",
        r.body
    );
    // Kept, not deleted; listed with includeDeactivated.
    let r = app.as_user(&t.director, None, MEMBERS, json!({})).await;
    let edges = r.data()["viewer"]["activeTenant"]["members"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 4);
    // The deactivated mediator can no longer work in the association.
    let r = app
        .as_user(
            &t.mediator,
            Some(&t.slug),
            "{ viewer { activeRole } }",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .as_user(
            &t.mediator,
            None,
            "{ viewer { activeRole memberships { status } } }",
            json!({}),
        )
        .await;
    assert!(r.data()["viewer"]["activeRole"].is_null());
    assert_eq!(
        r.data()["viewer"]["memberships"][0]["status"],
        "DEACTIVATED"
    );
    let r = app
        .as_user(
            &t.director,
            None,
            REACTIVATE,
            json!({"i": {"membershipId": m}}),
        )
        .await;
    assert_eq!(
        r.data()["reactivateMember"]["membership"]["status"],
        "ACTIVE"
    );
    let r = app
        .as_user(
            &t.mediator,
            Some(&t.slug),
            "{ viewer { activeRole } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["viewer"]["activeRole"], "MEDIATOR");
}

#[tokio::test]
async fn invitations_conflict_and_revoke() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let inv =
        "mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id status } } }";
    let r = app
        .as_user(
            &t.director,
            None,
            inv,
            json!({"i": {"email": "n@x.example", "role": "VIEWER"}}),
        )
        .await;
    let id = r.data()["inviteMember"]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .as_user(
            &t.director,
            None,
            inv,
            json!({"i": {"email": "N@X.example", "role": "MEDIATOR"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));
    let r = app
        .as_user(
            &t.director,
            None,
            inv,
            json!({"i": {"email": t.mediator.email, "role": "MEDIATOR"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "already a member");
    let r = app
        .as_user(
            &t.director,
            None,
            inv,
            json!({"i": {"email": "n@x.example", "role": "BOSS"}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "unknown enum value");
    let r = app
        .as_user(&t.director, None, "mutation($i: RevokeInvitationInput!) { revokeInvitation(input: $i) { invitation { status } } }", json!({"i": {"invitationId": id}}))
        .await;
    assert_eq!(
        r.data()["revokeInvitation"]["invitation"]["status"],
        "REVOKED"
    );
    // Wrong id kinds and garbage are VALIDATION; a well-formed unknown id is NOT_FOUND.
    let r = app
        .as_user(
            &t.director,
            None,
            DEACTIVATE,
            json!({"i": {"membershipId": id}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    let r = app
        .as_user(
            &t.director,
            None,
            DEACTIVATE,
            json!({"i": {"membershipId": "garbage"}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    let r = app
        .as_user(
            &t.director,
            None,
            DEACTIVATE,
            json!({"i": {"membershipId": gid("Membership", uuid::Uuid::now_v7())}}),
        )
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    assert_eq!(
        app.count(&format!(
            "select count(*) from tenant_audit_log where tenant_id = '{}'",
            t.id
        ))
        .await,
        2
    );
}

#[tokio::test]
async fn pagination_is_keyset_and_capped() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let q = "query($a: String) { viewer { activeTenant { members(first: 3, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } }";
    let r = app.as_user(&t.viewer, None, q, json!({})).await;
    let m = &r.data()["viewer"]["activeTenant"]["members"];
    assert_eq!(m["edges"].as_array().unwrap().len(), 3);
    assert_eq!(m["pageInfo"]["hasNextPage"], true);
    let r = app
        .as_user(&t.viewer, None, q, json!({"a": m["pageInfo"]["endCursor"]}))
        .await;
    let m2 = &r.data()["viewer"]["activeTenant"]["members"];
    assert_eq!(m2["edges"].as_array().unwrap().len(), 1);
    assert_eq!(m2["pageInfo"]["hasNextPage"], false);
    let r = app
        .as_user(
            &t.viewer,
            None,
            "{ viewer { activeTenant { members(first: 101) { edges { cursor } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "first");
    let r = app
        .as_user(&t.viewer, None, q, json!({"a": "not-a-cursor"}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
}

#[tokio::test]
async fn node_and_nodes_resolve_own_objects() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let ids = vec![
        t.gid(),
        gid("Membership", t.mediator.membership_id.unwrap()),
        gid("User", t.viewer.id),
        "junk".into(),
    ];
    let r = app
        .as_user(
            &t.director,
            None,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }",
            json!({"ids": ids}),
        )
        .await;
    let n = r.data()["nodes"].as_array().unwrap();
    assert_eq!(n[0]["__typename"], "Tenant");
    assert_eq!(n[1]["__typename"], "Membership");
    assert_eq!(n[2]["__typename"], "User");
    assert!(n[3].is_null());
    assert_eq!(n[0]["id"], t.gid().as_str());
}

// ---------------------------------------------------------------------------
// What a person acts as: one identity per request (X-Passerelle-Act-As,
// X-Passerelle-Tenant), never several added up, never one picked silently.

const WHO: &str = "{ viewer { actingAs activeTenant { id } activeRole unionRole partner { id } \
    choices { kind actAs tenantSlug role unionRole active tenant { id } partner { id } } } }";
const AGREEMENT_IDS: &str = "{ agreements(first: 50) { edges { node { id } } } }";
const CONTACTS: &str =
    "{ partnerOrganisations(first: 100) { edges { node { id contacts { fullName email } } } } }";
const CODED: &str = "{ codedActivity(first: 10) { edges { node { month theme } } } }";

/// `query` as `u` with these headers.
async fn acting(
    app: &TestApp,
    u: &testkit::TestUser,
    headers: &[(&str, &str)],
    query: &str,
) -> testkit::gql::Reply {
    app.gql
        .raw_with(Some(&app.token(u)), headers, json!({ "query": query }))
        .await
}

fn ids(r: &testkit::gql::Reply, root: &str) -> Vec<String> {
    r.data()[root]["edges"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_partner_on_an_association_board_chooses_what_it_acts_as() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    // Two partners work with A: the person's own (P) and another (Q), each with a
    // local agreement funded with A.
    let p = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let q = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let db = app.db.app().await;
    let dual = testkit::fixtures::partner_member(&db, &app.issuer.url, p.id, a.id, "viewer").await;
    db.close().await;
    let p_local = gid("Agreement", p.local_agreement);
    let p_national = gid("Agreement", p.national_agreement);
    let q_local = gid("Agreement", q.local_agreement);

    // No choice: viewer answers with the choices; anything else asks to choose.
    let r = acting(&app, &dual, &[], WHO).await;
    assert!(r.ok(), "{:?}", r.body);
    let v = &r.data()["viewer"];
    assert!(v["actingAs"].is_null() && v["activeTenant"].is_null() && v["partner"].is_null());
    let choices = v["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2, "{v}");
    assert_eq!(choices[0]["kind"], "ASSOCIATION");
    assert_eq!(choices[0]["actAs"], "association");
    assert_eq!(choices[0]["tenantSlug"], a.slug.as_str());
    assert_eq!(choices[0]["role"], "VIEWER");
    assert_eq!(choices[0]["tenant"]["id"], a.gid());
    assert_eq!(choices[1]["kind"], "PARTNER");
    assert_eq!(
        choices[1]["partner"]["id"],
        gid("PartnerOrganisation", p.id)
    );
    assert!(choices.iter().all(|c| c["active"] == false));
    for q in [AGREEMENT_IDS, CODED, CONTACTS] {
        let r = acting(&app, &dual, &[], q).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.code(), Some("ACTOR_CHOICE_REQUIRED"), "{q}: {:?}", r.body);
        assert!(r.data().is_null(), "nothing answered: {:?}", r.body);
        let c = &r.body["errors"][0]["extensions"]["choices"];
        assert_eq!(c[0]["kind"], "ASSOCIATION");
        assert_eq!(c[0]["tenantSlug"], a.slug.as_str());
        assert_eq!(c[0]["role"], "VIEWER");
        assert_eq!(c[0]["headers"]["X-Passerelle-Tenant"], a.slug.as_str());
        assert_eq!(c[1]["kind"], "PARTNER");
        assert_eq!(c[1]["partnerId"], gid("PartnerOrganisation", p.id));
        assert_eq!(c[1]["headers"]["X-Passerelle-Act-As"], "partner");
    }

    // As the partner: its own agreements only, its partner listing, no association.
    let as_partner = [("x-passerelle-act-as", "partner")];
    let r = acting(&app, &dual, &as_partner, WHO).await;
    let v = &r.data()["viewer"];
    assert_eq!(v["actingAs"], "PARTNER");
    assert_eq!(v["partner"]["id"], gid("PartnerOrganisation", p.id));
    assert!(v["activeTenant"].is_null() && v["activeRole"].is_null());
    assert_eq!(v["choices"][1]["active"], true);
    assert_eq!(v["choices"][0]["active"], false);
    let r = acting(&app, &dual, &as_partner, AGREEMENT_IDS).await;
    assert!(r.ok(), "{:?}", r.body);
    let seen = ids(&r, "agreements");
    assert!(
        seen.contains(&p_local) && seen.contains(&p_national),
        "{seen:?}"
    );
    assert!(
        !seen.contains(&q_local),
        "the partner sees another partner's local agreement with the association"
    );
    let r = acting(&app, &dual, &as_partner, CODED).await;
    assert!(r.ok(), "the partner listing answers: {:?}", r.body);
    let r = acting(
        &app,
        &dual,
        &as_partner,
        "{ sites(first: 10) { edges { node { id } } } }",
    )
    .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);

    // As the association (tenant header, with or without act-as): its agreements,
    // other partners' included, and nothing only the partner sees.
    for headers in [
        vec![("x-passerelle-tenant", a.slug.as_str())],
        vec![
            ("x-passerelle-act-as", "association"),
            ("x-passerelle-tenant", a.slug.as_str()),
        ],
        vec![("x-passerelle-act-as", "Association")],
    ] {
        let r = acting(&app, &dual, &headers, WHO).await;
        let v = &r.data()["viewer"];
        assert_eq!(v["actingAs"], "ASSOCIATION", "{headers:?}");
        assert_eq!(v["activeTenant"]["id"], a.gid());
        assert_eq!(v["activeRole"], "VIEWER");
        assert!(v["partner"].is_null(), "{headers:?}: {v}");
        let r = acting(&app, &dual, &headers, AGREEMENT_IDS).await;
        assert!(r.ok(), "{:?}", r.body);
        let seen = ids(&r, "agreements");
        assert!(
            seen.contains(&q_local) && seen.contains(&p_local),
            "{seen:?}"
        );
        let r = acting(&app, &dual, &headers, CODED).await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{headers:?}: {:?}", r.body);
        let r = acting(&app, &dual, &headers, CONTACTS).await;
        assert!(
            r.data()["partnerOrganisations"]["edges"].is_array(),
            "{:?}",
            r.body
        );
        assert!(
            !r.body.to_string().contains("@partner.test.example"),
            "the association reads the partner's contacts: {}",
            r.body
        );
    }
    // The partner itself reads its contacts (the check above can fail).
    let r = acting(&app, &dual, &as_partner, CONTACTS).await;
    assert!(
        r.body.to_string().contains("@partner.test.example"),
        "{}",
        r.body
    );

    // Choices that cannot be honoured change nothing and run nothing.
    let r = acting(&app, &dual, &[("x-passerelle-act-as", "union")], WHO).await;
    assert_eq!((r.status, r.code()), (403, Some("FORBIDDEN")));
    let r = acting(&app, &dual, &[("x-passerelle-act-as", "boss")], WHO).await;
    assert_eq!((r.status, r.code()), (400, Some("VALIDATION")));
    assert_eq!(
        r.body["errors"][0]["extensions"]["field"],
        "X-Passerelle-Act-As"
    );
    let r = acting(
        &app,
        &dual,
        &[
            ("x-passerelle-act-as", "partner"),
            ("x-passerelle-tenant", a.slug.as_str()),
        ],
        WHO,
    )
    .await;
    assert_eq!((r.status, r.code()), (400, Some("VALIDATION")));
    assert_eq!(
        r.body["errors"][0]["extensions"]["field"],
        "X-Passerelle-Tenant"
    );

    // One identity: no header needed, as before.
    let r = acting(&app, &p.user, &[], AGREEMENT_IDS).await;
    assert!(r.ok(), "{:?}", r.body);
    assert!(!ids(&r, "agreements").contains(&q_local));
    let r = acting(&app, &p.user, &[], WHO).await;
    assert_eq!(r.data()["viewer"]["actingAs"], "PARTNER");
    assert_eq!(r.data()["viewer"]["choices"][0]["active"], true);
    let r = acting(&app, &a.viewer, &[], WHO).await;
    assert_eq!(r.data()["viewer"]["actingAs"], "ASSOCIATION");
    assert_eq!(r.data()["viewer"]["activeRole"], "VIEWER");
}

#[tokio::test]
async fn union_staff_who_are_members_choose_too() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    testkit::fixtures::populate(app.db, &b).await;
    let mut u = app.union_user("auditor").await;
    let db = app.db.app().await;
    testkit::fixtures::add_member(&db, a.id, &mut u, "coordinator").await;
    db.close().await;
    const TENANTS: &str = "{ tenants(first: 100) { edges { node { id } } } }";
    const SITES: &str = "{ sites(first: 50) { edges { node { id name } } } }";

    let r = acting(&app, &u, &[], WHO).await;
    let v = &r.data()["viewer"];
    assert!(v["actingAs"].is_null(), "{v}");
    let kinds: Vec<_> = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].clone(), c["role"].clone(), c["unionRole"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("ASSOCIATION"), json!("COORDINATOR"), json!(null)),
            (json!("UNION"), json!(null), json!("AUDITOR"))
        ]
    );
    for q in [TENANTS, SITES] {
        let r = acting(&app, &u, &[], q).await;
        assert_eq!(r.code(), Some("ACTOR_CHOICE_REQUIRED"), "{:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["choices"][1]["unionRole"],
            "AUDITOR"
        );
    }

    // As the union: the network, and no association's inside.
    let as_union = [("x-passerelle-act-as", "union")];
    // The network holds every association the run's other tests created: page
    // through it (oldest first) until B.
    let mut after = String::new();
    let mut seen = false;
    for _ in 0..100 {
        let q = format!(
            "{{ tenants(first: 100{after}) {{ edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let r = acting(&app, &u, &as_union, &q).await;
        assert!(r.ok(), "{:?}", r.body);
        if ids(&r, "tenants").contains(&b.gid()) {
            seen = true;
            break;
        }
        let info = &r.data()["tenants"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = format!(", after: {}", info["endCursor"]);
    }
    assert!(seen, "B is in the union's list of associations");
    let r = acting(&app, &u, &as_union, SITES).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = acting(&app, &u, &as_union, WHO).await;
    assert_eq!(r.data()["viewer"]["unionRole"], "AUDITOR");
    assert!(r.data()["viewer"]["activeTenant"].is_null());

    // As A's coordinator: A's sites, and nothing the union reads.
    let as_a = [("x-passerelle-tenant", a.slug.as_str())];
    let r = acting(&app, &u, &as_a, SITES).await;
    assert!(r.ok(), "{:?}", r.body);
    let body = r.body.to_string();
    assert!(body.contains(&format!("Site principal {}", a.slug)));
    assert!(
        !body.contains(&b.slug),
        "B's sites through the union role: {body}"
    );
    let r = acting(&app, &u, &as_a, TENANTS).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = acting(
        &app,
        &u,
        &as_a,
        "{ networkSites(first: 50) { edges { node { id } } } }",
    )
    .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = acting(&app, &u, &as_a, WHO).await;
    assert!(r.data()["viewer"]["unionRole"].is_null());
    assert_eq!(r.data()["viewer"]["activeRole"], "COORDINATOR");

    // Union staff with no membership: no header needed, as before.
    let solo = app.union_user("analyst").await;
    let r = acting(&app, &solo, &[], TENANTS).await;
    assert!(r.ok(), "{:?}", r.body);
}

/// The principal cache holds what a person is, whatever they act as: each request's
/// choice is applied after it, so cached requests acting differently never share an
/// answer.
#[tokio::test]
async fn the_principal_cache_keeps_each_choice_apart() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_PRINCIPAL_CACHE_SECS".into(), "300".into());
    })
    .await;
    let a = app.tenant().await;
    testkit::fixtures::populate(app.db, &a).await;
    let p = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let q = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &a).await;
    let db = app.db.app().await;
    let dual = testkit::fixtures::partner_member(&db, &app.issuer.url, p.id, a.id, "viewer").await;
    db.close().await;
    let q_local = gid("Agreement", q.local_agreement);
    let as_partner = [("x-passerelle-act-as", "partner")];
    let as_a = [("x-passerelle-tenant", a.slug.as_str())];
    // Until the cache is seen in use (its listener takes a moment to start): a
    // notified change empties it, a request fills it, then a change made behind its
    // back (triggers off, so no notification) must not be seen.
    let mut cached = false;
    for _ in 0..50 {
        use sea_orm::ConnectionTrait;
        let su = app.db.admin().await;
        let set = |replica: bool, role: &str| {
            format!(
                "set session_replication_role = {}; \
                 update memberships set role = '{role}' where user_id = '{}'; \
                 set session_replication_role = origin",
                if replica { "replica" } else { "origin" },
                dual.id
            )
        };
        su.execute_unprepared(&set(false, "viewer")).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(acting(&app, &dual, &as_a, WHO).await.ok());
        su.execute_unprepared(&set(true, "director")).await.unwrap();
        let _ = su.close().await;
        let r = acting(&app, &dual, &as_a, WHO).await;
        if r.data()["viewer"]["activeRole"] == "VIEWER" {
            cached = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(cached, "the principal cache never served a request");
    for _ in 0..2 {
        let r = acting(&app, &dual, &as_partner, WHO).await;
        assert_eq!(r.data()["viewer"]["actingAs"], "PARTNER", "{:?}", r.body);
        assert!(r.data()["viewer"]["activeTenant"].is_null());
        let r = acting(&app, &dual, &as_partner, AGREEMENT_IDS).await;
        assert!(!ids(&r, "agreements").contains(&q_local), "{:?}", r.body);
        let r = acting(&app, &dual, &as_a, AGREEMENT_IDS).await;
        assert!(ids(&r, "agreements").contains(&q_local), "{:?}", r.body);
        let r = acting(&app, &dual, &as_a, WHO).await;
        assert_eq!(r.data()["viewer"]["actingAs"], "ASSOCIATION");
        assert!(r.data()["viewer"]["partner"].is_null());
        let r = acting(&app, &dual, &[], AGREEMENT_IDS).await;
        assert_eq!(r.code(), Some("ACTOR_CHOICE_REQUIRED"), "{:?}", r.body);
    }
}

const INVITE_DIRECTOR: &str = "mutation($i: InviteDirectorInput!) { inviteDirector(input: $i) { invitation { id email role status tenant { id } } } }";

#[tokio::test]
async fn a_union_admin_invites_a_director_into_an_existing_association() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let admin = app.union_user("admin").await;
    let email = format!("nouvelle-direction-{}@essai.example", testkit::suffix());
    let invitations = format!(
        "select count(*) from invitations where tenant_id = '{}'",
        t.id
    );
    let before = app.count(&invitations).await;

    // Bad input: VALIDATION on the field, nothing created.
    for (input, field) in [
        (
            json!({"tenantId": t.gid(), "email": "pas-un-email"}),
            "email",
        ),
        (json!({"tenantId": "garbage", "email": email}), "tenantId"),
    ] {
        let r = app
            .as_user(&admin, None, INVITE_DIRECTOR, json!({"i": input}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["field"], field);
    }
    let r = app
        .as_user(
            &admin,
            None,
            INVITE_DIRECTOR,
            json!({"i": {"tenantId": gid("Tenant", uuid::Uuid::now_v7()), "email": email}}),
        )
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);
    assert_eq!(app.count(&invitations).await, before);

    // Invited, like any invitation: audited in both trails, its e-mail's event written.
    let r = app
        .as_user(
            &admin,
            None,
            INVITE_DIRECTOR,
            json!({"i": {"tenantId": t.gid(), "email": email.to_uppercase()}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let inv = &r.data()["inviteDirector"]["invitation"];
    assert_eq!(inv["email"], email.as_str());
    assert_eq!(inv["role"], "DIRECTOR");
    assert_eq!(inv["status"], "PENDING");
    assert_eq!(inv["tenant"]["id"], t.gid().as_str());
    let id = kernel::gid::decode(inv["id"].as_str().unwrap()).unwrap().1;
    for (sql, n) in [
        (
            format!(
                "select count(*) from tenant_audit_log where tenant_id = '{}' and action = 'invitation.created' and subject_id = '{id}'",
                t.id
            ),
            1,
        ),
        (
            format!(
                "select count(*) from union_audit_log where target_tenant_id = '{}' and action = 'director.invited' and actor_user_id = '{}'",
                t.id, admin.id
            ),
            1,
        ),
        (
            format!(
                "select count(*) from event_outbox where event_type = 'invitation.created' and tenant_id = '{}' and subject_id = '{id}'",
                t.id
            ),
            1,
        ),
    ] {
        assert_eq!(app.count(&sql).await, n, "{sql}");
    }
    // The admin sees it pending on the association; so does its director.
    let r = app
        .as_user(&admin, None, "query($id: ID!) { node(id: $id) { ... on Tenant { directorInvitations { edges { node { email } } } } } }",
            json!({"id": t.gid()}))
        .await;
    assert_eq!(
        r.data()["node"]["directorInvitations"]["edges"][0]["node"]["email"],
        email.as_str(),
        "{:?}",
        r.body
    );
    let r = app
        .as_user(
            &t.director,
            None,
            "{ viewer { activeTenant { invitations { edges { node { email role } } } } } }",
            json!({}),
        )
        .await;
    assert!(
        r.data()["viewer"]["activeTenant"]["invitations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["email"] == email.as_str() && e["node"]["role"] == "DIRECTOR"),
        "{:?}",
        r.body
    );
    // Pending already: CONFLICT.
    let r = app
        .as_user(
            &admin,
            None,
            INVITE_DIRECTOR,
            json!({"i": {"tenantId": t.gid(), "email": email}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);

    // A suspended association: CONFLICT on tenantId, nothing created.
    let r = app
        .as_user(
            &admin,
            None,
            "mutation($i: SuspendTenantInput!) { suspendTenant(input: $i) { tenant { status } } }",
            json!({"i": {"tenantId": t.gid(), "reason": "Directeur parti, contrat à revoir"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let n = app.count(&invitations).await;
    let r = app
        .as_user(
            &admin,
            None,
            INVITE_DIRECTOR,
            json!({"i": {"tenantId": t.gid(), "email": format!("autre-{email}")}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "tenantId");
    assert_eq!(app.count(&invitations).await, n);
    let r = app
        .as_user(&admin, None, "mutation($i: ReactivateTenantInput!) { reactivateTenant(input: $i) { tenant { status } } }",
            json!({"i": {"tenantId": t.gid()}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);

    // The invitee's first sign-in makes them a director of the association.
    let tok = app
        .issuer
        .token(&format!("new-director-{}", testkit::suffix()), &email);
    let r = app
        .gql
        .run(
            &tok,
            None,
            "{ viewer { activeRole activeTenant { slug } } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["viewer"]["activeRole"], "DIRECTOR");
    assert_eq!(r.data()["viewer"]["activeTenant"]["slug"], t.slug.as_str());
}
