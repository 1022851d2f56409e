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
