//! The `passerelle` command line: bad settings stop the start with one line naming
//! them, the schema command prints the committed SDL. (Also makes `cargo test`
//! build the binary that the end-to-end telemetry test runs.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn passerelle(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run passerelle");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_settings_are_named_on_one_line() {
    for (env, key) in [
        (
            vec![("PASSERELLE_LISTEN", "not-an-address")],
            "PASSERELLE_LISTEN",
        ),
        (vec![("PASSERELLE_ENV", "staging")], "PASSERELLE_ENV"),
        (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
        (
            vec![("PASSERELLE_RATE_LIMIT_PER_MINUTE", "-3")],
            "PASSERELLE_RATE_LIMIT_PER_MINUTE",
        ),
        (
            vec![
                ("PASSERELLE_ENV", "production"),
                ("DATABASE_URL", "postgres://a:b@h/db"),
                ("REDIS_URL", "redis://h"),
            ],
            "PASSERELLE_OIDC_ISSUER",
        ),
    ] {
        let (code, _, err) = passerelle(&["serve"], &env);
        assert_eq!(code, 2, "{key}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{key}: one line: {err}");
        assert!(err.contains(key), "{key} named: {err}");
    }
}

#[test]
fn a_config_file_is_read_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("passerelle-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("passerelle.env");
    std::fs::write(&file, "# comment\nPASSERELLE_LISTEN=nonsense\n").expect("write");
    let path = file.to_string_lossy().into_owned();
    let (code, _, err) = passerelle(&["serve"], &[("PASSERELLE_CONFIG", &path)]);
    assert_eq!(code, 2);
    assert!(err.contains("PASSERELLE_LISTEN"), "{err}");
    std::fs::write(&file, "this line has no equals sign\n").expect("write");
    let (code, _, err) = passerelle(&["serve"], &[("PASSERELLE_CONFIG", &path)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("PASSERELLE_CONFIG") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn unknown_commands_print_usage() {
    let (code, _, err) = passerelle(&["frobnicate"], &[]);
    assert_eq!(code, 64);
    assert!(err.contains("usage: passerelle"));
}

#[test]
fn schema_prints_the_committed_sdl() {
    let (code, out, _) = passerelle(&["schema"], &[]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql"))
            .expect("schema.graphql");
    assert!(
        out == committed,
        "schema.graphql is stale: cargo run -q -- schema > schema.graphql"
    );
}

/// A production configuration whose database cannot be reached: a command that got
/// past the environment check would fail on the connection instead.
const PRODUCTION: &[(&str, &str)] = &[
    ("PASSERELLE_ENV", "production"),
    (
        "DATABASE_URL",
        "postgres://passerelle_api:x@127.0.0.1:1/passerelle",
    ),
    (
        "DATABASE_ADMIN_URL",
        "postgres://postgres@127.0.0.1:1/passerelle",
    ),
    ("REDIS_URL", "redis://127.0.0.1:1"),
    ("PASSERELLE_OIDC_ISSUER", "https://idp.example"),
    ("PASSERELLE_OIDC_AUDIENCE", "passerelle"),
];

#[test]
fn demo_and_bench_data_are_refused_outside_development() {
    for args in [
        &["seed", "--demo"][..],
        &["seed", "--demo", "--visits", "10"][..],
        &["seed", "--bench", "--size", "S"][..],
        &["demo"][..],
    ] {
        let (code, out, err) = passerelle(args, PRODUCTION);
        let cmd = args.join(" ");
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(
            err.contains("PASSERELLE_ENV") && err.contains("development only"),
            "{cmd}: refused for the environment: {err}"
        );
        assert!(
            !err.contains("cannot connect"),
            "{cmd}: refused before connecting: {err}"
        );
        assert!(!out.contains("pcs_"), "{cmd}: no secret printed: {out}");
    }
}
