//! Fresh tenants and people for each test, written through the application role
//! under a system scope (the same path the seed uses), registered under the test
//! issuer so that tokens from `Issuer` sign them in.

use crate::{TestDb, suffix};
use kernel::Ctx;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub subject: String,
    /// Membership id in the tenant it was created for, if any.
    pub membership_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct TestTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub director: TestUser,
    pub coordinator: TestUser,
    pub mediator: TestUser,
    pub viewer: TestUser,
}

async fn exec(db: &db::Db, q: &str, v: Vec<sea_orm::Value>) {
    let tx = db
        .scoped(&Ctx::system("test fixture"))
        .await
        .expect("scope");
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, q, v))
        .await
        .expect("fixture statement");
    tx.commit().await.expect("commit");
}

/// A person with a sign-in identity at `issuer`.
pub async fn user(db: &db::Db, issuer: &str, email: &str) -> TestUser {
    let id = Uuid::now_v7();
    let subject = format!("sub-{}", Uuid::now_v7());
    exec(
        db,
        "insert into users (id, email, display_name) values ($1, $2, $3)",
        vec![
            id.into(),
            email.into(),
            format!("Personne {}", &email[..email.find('@').unwrap_or(0)]).into(),
        ],
    )
    .await;
    exec(
        db,
        "insert into user_identities (id, user_id, issuer, subject) values ($1, $2, $3, $4)",
        vec![
            Uuid::now_v7().into(),
            id.into(),
            issuer.into(),
            subject.clone().into(),
        ],
    )
    .await;
    TestUser {
        id,
        email: email.to_owned(),
        subject,
        membership_id: None,
    }
}

pub async fn union_user(db: &db::Db, issuer: &str, role: &str) -> TestUser {
    let u = user(
        db,
        issuer,
        &format!("{role}-{}@union.test.example", suffix()),
    )
    .await;
    exec(
        db,
        "insert into union_staff (user_id, role) values ($1, $2)",
        vec![u.id.into(), role.into()],
    )
    .await;
    u
}

pub async fn add_member(db: &db::Db, tenant: Uuid, u: &mut TestUser, role: &str) {
    let id = Uuid::now_v7();
    exec(
        db,
        "insert into memberships (tenant_id, id, user_id, role) values ($1, $2, $3, $4)",
        vec![tenant.into(), id.into(), u.id.into(), role.into()],
    )
    .await;
    u.membership_id = Some(id);
}

impl TestTenant {
    pub async fn create(tdb: &TestDb, issuer: &str) -> Self {
        let db = tdb.app().await;
        let s = suffix();
        let slug = format!("test-{s}");
        let name = format!("PIMMS Test {s}");
        let id = Uuid::now_v7();
        exec(
            &db,
            "insert into tenants (id, slug, name) values ($1, $2, $3)",
            vec![id.into(), slug.clone().into(), name.clone().into()],
        )
        .await;
        let mut people = Vec::new();
        for role in ["director", "coordinator", "mediator", "viewer"] {
            let mut u = user(&db, issuer, &format!("{role}-{s}@{slug}.test.example")).await;
            add_member(&db, id, &mut u, role).await;
            people.push(u);
        }
        db.close().await;
        let mut it = people.into_iter();
        let mut next = || it.next().expect("four people");
        Self {
            id,
            slug,
            name,
            director: next(),
            coordinator: next(),
            mediator: next(),
            viewer: next(),
        }
    }

    pub fn gid(&self) -> String {
        kernel::gid::encode("Tenant", self.id)
    }
}
