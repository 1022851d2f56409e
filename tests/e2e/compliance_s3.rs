//! Evidence files in S3-compatible storage, configured as production is: the
//! `passerelle serve` binary with `PASSERELLE_EVIDENCE_S3_BUCKET` and the `AWS_*`
//! settings pointing at a real S3 server running locally (moto, tests/s3). A director's
//! upload lands in the bucket under `<association>/<document>` byte for byte, with its
//! SHA-256; it is downloaded back through the gateway; another association gets 404;
//! a refused file stores nothing in the bucket. On a database of its own.

use crate::compliance::{day, nodes, ok};
use crate::support::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use testkit::{Gql, Issuer, TestDb};
use tokio::io::{AsyncBufReadExt, BufReader};

const BUCKET: &str = "passerelle-evidence-test";

/// The local S3 server (tests/s3/server.py): its port, until dropped.
struct S3 {
    port: u16,
    _child: tokio::process::Child,
}

impl S3 {
    async fn start() -> S3 {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("s3");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the S3 test server is not installed: run scripts/test (it installs tests/s3)"
        );
        let mut child = tokio::process::Command::new(python)
            .arg(root.join("server.py"))
            .arg(BUCKET)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the S3 server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("the S3 server printed its port");
                if let Ok(p) = line.trim().parse() {
                    break p;
                }
            }
        })
        .await
        .expect("the S3 server started within 60 s");
        S3 {
            port,
            _child: child,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A read straight from the bucket, as a named (not anonymous) caller: the test
    /// server checks no signature, only that there is a credential.
    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}/{BUCKET}{path}", self.endpoint()))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=passerelle-test/20260101/eu-west-3/s3/aws4_request, \
                 SignedHeaders=host, Signature=00",
            )
            .send()
            .await
            .unwrap()
    }

    /// An object straight from the bucket: its status and bytes.
    async fn object(&self, key: &str) -> (u16, Vec<u8>) {
        let r = self.get(&format!("/{key}")).await;
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }

    /// How many objects the bucket holds.
    async fn count(&self) -> usize {
        let body = self.get("?list-type=2").await.text().await.unwrap();
        body.matches("<Key>").count()
    }
}

fn passerelle_binary() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("PASSERELLE_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("passerelle");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (scripts/test)",
        bin.display()
    );
    bin
}

#[tokio::test]
async fn evidence_goes_to_and_comes_back_from_s3_compatible_storage() {
    let s3 = S3::start().await;
    let tdb: &'static TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let issuer = std::sync::Arc::new(Issuer::start().await);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The documented configuration: the bucket, and the standard AWS settings.
    let mut server = tokio::process::Command::new(passerelle_binary())
        .arg("serve")
        .env_clear()
        .envs(base_config(tdb, &issuer.url))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_EVIDENCE_S3_BUCKET", BUCKET)
        .env("AWS_ENDPOINT", s3.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_ACCESS_KEY_ID", "passerelle-test")
        .env("AWS_SECRET_ACCESS_KEY", "passerelle-test-secret")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start passerelle serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "passerelle serve did not come up");
    let app = TestApp {
        gql: Gql::new(&base),
        base: base.clone(),
        issuer,
        db: tdb,
    };
    let t = app.tenant().await;
    let other = app.tenant().await;
    let admin = app.union_user("admin").await;
    let auditor = app.union_user("auditor").await;

    // A published version, a campaign auditing t, the director's answer.
    let run = |u: &testkit::TestUser, q: &'static str, v: serde_json::Value| {
        let app = &app;
        let u = u.clone();
        async move { app.as_user(&u, None, q, v).await }
    };
    let r = run(&admin, "mutation($i: CreateCatalogueVersionInput!) { createCatalogueVersion(input: $i) { version { id version } } }",
        json!({"i": {"title": "Référentiel S3"}})).await;
    let v = ok(&r, "createCatalogueVersion")["version"].clone();
    let n = v["version"].as_i64().unwrap();
    let r = run(
        &admin,
        "mutation($i: AddPrincipleInput!) { addPrinciple(input: $i) { principle { id } } }",
        json!({"i": {"version": n, "code": "PREUVE", "label": "Preuves"}}),
    )
    .await;
    ok(&r, "addPrinciple");
    let r = run(&admin, "mutation($i: AddCriterionInput!) { addCriterion(input: $i) { criterion { id } } }",
        json!({"i": {"version": n, "principleCode": "PREUVE", "code": "PREUVE.1", "label": "Bilan d'activité", "measure": "EVIDENCE"}})).await;
    let crit = ok(&r, "addCriterion")["criterion"]["id"].clone();
    let r = run(&admin, "mutation($i: CatalogueVersionInput!) { publishCatalogueVersion(input: $i) { version { id } } }",
        json!({"i": {"version": n}})).await;
    ok(&r, "publishCatalogueVersion");
    let r = run(&auditor, "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { audits { edges { node { id } } } } } }",
        json!({"i": {"title": "Campagne S3", "catalogueVersionId": v["id"], "periodStartsOn": day(-60), "periodEndsOn": day(-1),
            "selfAssessmentDueOn": day(5), "visitsFrom": day(10), "visitsUntil": day(20), "contradictoryDays": 15,
            "closesOn": day(40), "tenantIds": [t.gid()]}})).await;
    let audit = nodes(&ok(&r, "openComplianceCampaign")["campaign"]["audits"])[0]["id"].clone();
    let r = run(
        &t.director,
        "mutation($i: AnswerCriterionInput!) { answerCriterion(input: $i) { answer { id } } }",
        json!({"i": {"auditId": audit, "criterionId": crit, "declaration": "Bilan joint"}}),
    )
    .await;
    let answer = ok(&r, "answerCriterion")["answer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Uploaded through the gateway: in the bucket, byte for byte.
    let mut pdf = b"%PDF-1.7\n% Bilan stocke dans S3\n".to_vec();
    pdf.extend((0..300_000u32).map(|i| (i % 253) as u8));
    let upload = |body: Vec<u8>, name: &'static str| {
        let http = &http;
        let base = &base;
        let token = app.token(&t.director);
        let answer = answer.clone();
        async move {
            let r = http
                .post(format!("{base}/compliance/evidence"))
                .query(&[("ownerId", answer.as_str()), ("fileName", name)])
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = upload(pdf.clone(), "bilan.pdf").await;
    assert_eq!(status, 201, "{body}");
    let doc = body["document"]["id"].as_str().unwrap().to_owned();
    let sha = Sha256::digest(&pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(body["document"]["sha256"], sha.as_str());
    let doc_id = kernel::gid::decode(&doc).unwrap().1;
    let (status, stored) = s3.object(&format!("{}/{doc_id}", t.id)).await;
    assert_eq!(status, 200);
    assert_eq!(stored, pdf, "the bucket holds the file as sent");
    assert_eq!(s3.count().await, 1);
    let local = std::env::temp_dir()
        .join("passerelle-evidence")
        .join(t.id.to_string())
        .join(doc_id.to_string());
    assert!(!local.exists(), "nothing written to the local directory");

    // Downloaded back through the gateway, streamed from the bucket.
    let got = http
        .get(format!("{base}/compliance/evidence/{doc}"))
        .bearer_auth(app.token(&t.director))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    let r = run(&auditor, "query($a: ID!) { complianceAudit(auditId: $a) { answers { evidence { id sha256 sizeBytes } } } }",
        json!({"a": audit})).await;
    let e = &ok(&r, "complianceAudit")["answers"][0]["evidence"][0];
    assert_eq!(e["sha256"], sha.as_str());
    assert_eq!(e["sizeBytes"], pdf.len());
    // Not to another association.
    let got = http
        .get(format!("{base}/compliance/evidence/{doc}"))
        .bearer_auth(app.token(&other.director))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 404);

    // A refused file reaches neither the bucket nor the database.
    let (status, body) = upload(b"MZ\x90\x00 an executable".to_vec(), "faux.pdf").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");
    assert_eq!(s3.count().await, 1);
    assert_eq!(
        app.count("select count(*) from compliance_documents").await,
        1
    );

    let _ = server.kill().await;
    tdb.drop_database().await;
}
