//! passerelle: migrate | seed --demo [--visits N] | seed --bench --size S|M|L [--visits N]
//! | serve | demo | schema | purge | audit verify [--tenant X] | privacy register

use demo::{DEFAULT_VISITS, MAX_VISITS};
use server::config::Config;
use std::process::ExitCode;

const USAGE: &str = "usage: passerelle <command>

commands:
  demo          create the database if missing, migrate, seed the demo network, serve
  migrate       create roles if absent and apply migrations (needs DATABASE_ADMIN_URL)
  seed --demo [--visits N]
                load the demo network and two years of its journal, N visits in total
                across the network and the two years (default 50000, about 25000 a
                year; at most 20000000; 0: no journal); idempotent
  seed --bench --size S|M|L [--visits N]
                load the benchmark dataset of bench/WORKLOADS.md: 40 associations,
                3000 sites, a year of journal of 200k (S), 2M (M) or 10M (L) visits,
                or N; a second run adds nothing
  serve         serve HTTP on PASSERELLE_LISTEN
  schema        print the GraphQL schema (SDL)
  purge         erase the contact data of outreach campaigns closed longer than their
                retention period (outcome counts stay), and reduce employees' records
                to their statistics five years after their exit, and purge the access
                log's entries older than PASSERELLE_ACCESS_LOG_RETENTION_DAYS (each
                chain keeps a checkpoint), and flag corrective actions past their due
                date, and anonymise beneficiaries without contact for
                PASSERELLE_BENEFICIARY_RETENTION_DAYS and delete notes older than
                PASSERELLE_NOTE_RETENTION_DAYS; run it daily
  audit verify [--tenant ID]
                walk the access log's chains (or one association's, by its id), recompute
                every hash and print the first broken link; exits 1 when one is broken
  privacy register
                print the register of processing activities (Markdown), generated from
                the code's declarations";

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("passerelle: {msg}");
    ExitCode::from(2)
}

/// The flags after `seed --demo`: `--visits N` or `--visits=N` (digits, `_` allowed).
fn seed_visits(flags: &[&str]) -> Result<u64, String> {
    let value = match flags {
        [] => return Ok(DEFAULT_VISITS),
        ["--visits", n] => *n,
        ["--visits"] => {
            return Err(format!(
                "--visits: a number from 0 to {MAX_VISITS} is missing"
            ));
        }
        [flag] => match flag.strip_prefix("--visits=") {
            Some(n) => n,
            None => return Err(format!("seed --demo: unknown option {flag}")),
        },
        _ => return Err(format!("seed --demo: unexpected {}", flags.join(" "))),
    };
    let digits: String = value.chars().filter(|&c| c != '_').collect();
    match digits.parse::<u64>() {
        Ok(n) if n <= MAX_VISITS && value.chars().all(|c| c.is_ascii_digit() || c == '_') => Ok(n),
        _ => Err(format!(
            "--visits: a whole number from 0 to {MAX_VISITS}, not {value:?}"
        )),
    }
}

/// What `seed` loads, with its number of visits.
#[derive(Clone, Copy)]
enum Seed {
    Demo(u64),
    Bench(u64),
}

fn main() -> ExitCode {
    // One TLS crypto provider for the whole process, before any client is built:
    // some HTTP clients in the build (the OTLP exporter's, object storage's) are
    // compiled without a provider of their own and panic without it. Ring is the one
    // the OIDC and SMTP clients already use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let parsed = match args.as_slice() {
        ["seed", "--demo", flags @ ..] => seed_visits(flags).map(Seed::Demo),
        ["seed", "--bench", flags @ ..] => demo::bench::parse_flags(flags).map(Seed::Bench),
        _ => Ok(Seed::Demo(DEFAULT_VISITS)),
    };
    let visits = match parsed {
        Ok(s) => s,
        Err(e) => {
            eprintln!("passerelle: {e}");
            return ExitCode::from(64);
        }
    };
    match args.as_slice() {
        ["schema"] => {
            print!("{}", graphql::sdl());
            ExitCode::SUCCESS
        }
        ["privacy", "register"] => {
            print!("{}", privacy::register::markdown());
            ExitCode::SUCCESS
        }
        ["migrate"]
        | ["seed", "--demo", ..]
        | ["seed", "--bench", ..]
        | ["serve"]
        | ["demo"]
        | ["purge"]
        | ["audit", "verify", ..] => {
            let config = match Config::from_env() {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return fail(format!("cannot start the runtime: {e}")),
            };
            let code = match args.as_slice() {
                ["audit", "verify", flags @ ..] => rt.block_on(audit_verify(&config, flags)),
                _ => rt.block_on(run(args[0], config, visits)),
            };
            // Tasks still running (a cleanup after the drain deadline, a blocking
            // hash) must not hold the exit past the grace period.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            code
        }
        ["help"] | ["--help"] | ["-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(64)
        }
    }
}

async fn run(command: &str, config: Config, visits: Seed) -> ExitCode {
    let json_logs = !config.is_development();
    let telemetry = match server::telemetry::init(&config, json_logs) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let code = match command {
        "migrate" => {
            match migrations::setup(&config.database_admin_url, &config.database_url).await {
                Ok(()) => {
                    println!("migrations applied; isolation catalog check passed");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        "seed" => match development_only(&config, visits) {
            Some(refused) => refused,
            None => seed(&config, visits).await,
        },
        "purge" => purge(&config).await,
        "serve" => serve(config, false).await,
        "demo" => run_demo(config).await,
        _ => ExitCode::from(64),
    };
    telemetry.shutdown();
    code
}

/// `audit verify [--tenant ID]`: 0 when every chain holds, 1 at the first broken
/// link (printed), 2 when the walk itself failed.
async fn audit_verify(config: &Config, flags: &[&str]) -> ExitCode {
    let tenant = match flags {
        [] => None,
        ["--tenant", id] => match uuid::Uuid::parse_str(id) {
            Ok(u) => Some(u),
            Err(_) => {
                return fail(format!(
                    "--tenant: an association's id (a UUID), not {id:?}"
                ));
            }
        },
        other => {
            eprintln!("passerelle: audit verify: unexpected {}", other.join(" "));
            return ExitCode::from(64);
        }
    };
    let db = match db::Db::connect(&config.database_url, &db::PoolOptions::default()).await {
        Ok(db) => db,
        Err(e) => return fail(format!("DATABASE_URL: cannot connect: {e}")),
    };
    let log =
        match privacy::AccessLog::new(db, &config.database_url, &privacy::WriterOptions::default())
        {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
    match log.verify(tenant).await {
        Ok(r) => match r.broken {
            None => {
                println!(
                    "access log verified: {} chains, {} entries, no broken link",
                    r.chains, r.entries
                );
                ExitCode::SUCCESS
            }
            Some(b) => {
                println!(
                    "access log BROKEN: chain {} at entry {}: {}",
                    b.chain, b.seq, b.what
                );
                ExitCode::from(1)
            }
        },
        Err(e) => match std::error::Error::source(&e) {
            Some(cause) => fail(format!("audit verify failed: {e}: {cause}")),
            None => fail(format!("audit verify failed: {e}")),
        },
    }
}

async fn purge(config: &Config) -> ExitCode {
    let db = match db::Db::connect(&config.database_url, &db::PoolOptions::default()).await {
        Ok(db) => db,
        Err(e) => return fail(format!("DATABASE_URL: cannot connect: {e}")),
    };
    let log = match privacy::AccessLog::new(
        db.clone(),
        &config.database_url,
        &privacy::WriterOptions::default(),
    ) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match log.purge(config.access_log_retention_days).await {
        Ok(n) => println!(
            "access log retention: {n} entries older than {} days purged (checkpoints kept)",
            config.access_log_retention_days
        ),
        Err(e) => {
            return match std::error::Error::source(&e) {
                Some(cause) => fail(format!("access log retention failed: {e}: {cause}")),
                None => fail(format!("access log retention failed: {e}")),
            };
        }
    }
    // Counts only, never data.
    let journal = mediation::Journal::new(db.clone(), None);
    match log
        .journal_retention_now(&journal, config.journal_retention)
        .await
    {
        Ok(r) if !r.ran => {
            println!("journal retention: another replica is running it; nothing done here")
        }
        Ok(r) => println!(
            "journal retention: {} beneficiaries without contact for {} days anonymised \
             ({} visits unlinked, {} notes, {} consents deleted); {} notes older than {} days deleted",
            r.erased.beneficiaries,
            config.journal_retention.beneficiary_days,
            r.erased.visits,
            r.erased.notes,
            r.erased.consents,
            r.old_notes,
            config.journal_retention.note_days
        ),
        Err(e) => {
            return match std::error::Error::source(&e) {
                Some(cause) => fail(format!("journal retention failed: {e}: {cause}")),
                None => fail(format!("journal retention failed: {e}")),
            };
        }
    }
    match partners::Partners::new(db.clone(), None)
        .purge_expired_outreach()
        .await
    {
        Ok(p) => {
            println!(
                "outreach purge: {} cases purged in {} campaigns ({} attempt notes erased)",
                p.cases, p.campaigns, p.attempt_notes
            );
        }
        // The operator needs the cause that a client would never see.
        Err(e) => {
            return match std::error::Error::source(&e) {
                Some(cause) => fail(format!("outreach purge failed: {e}: {cause}")),
                None => fail(format!("outreach purge failed: {e}")),
            };
        }
    }
    let store = match compliance::EvidenceStore::open(&config.evidence_store) {
        Ok(s) => s,
        Err(e) => {
            return fail(format!(
                "PASSERELLE_EVIDENCE_DIR / PASSERELLE_EVIDENCE_S3_BUCKET: {e}"
            ));
        }
    };
    match compliance::Compliance::new(db.clone(), store)
        .daily_checks()
        .await
    {
        Ok(d) => println!(
            "compliance: {} contracts expired, {} contracts to renew announced, {} self-assessments closed at their deadline, {} corrective actions newly flagged overdue",
            d.contracts_expired,
            d.contracts_to_renew_announced,
            d.self_assessments_closed,
            d.actions_flagged
        ),
        Err(e) => {
            return match std::error::Error::source(&e) {
                Some(cause) => fail(format!("compliance daily checks failed: {e}: {cause}")),
                None => fail(format!("compliance daily checks failed: {e}")),
            };
        }
    }
    match pathways::Pathways::new(db).anonymise_expired().await {
        Ok(a) => {
            println!(
                "HR records retention: {} employees' records reduced to their statistics",
                a.employees
            );
            ExitCode::SUCCESS
        }
        Err(e) => match std::error::Error::source(&e) {
            Some(cause) => fail(format!("HR records retention failed: {e}: {cause}")),
            None => fail(format!("HR records retention failed: {e}")),
        },
    }
}

async fn seed(config: &Config, what: Seed) -> ExitCode {
    let db = match db::Db::connect(&config.database_url, &db::PoolOptions::default()).await {
        Ok(db) => db,
        Err(e) => return fail(format!("DATABASE_URL: cannot connect: {e}")),
    };
    let visits = match what {
        Seed::Demo(n) => n,
        Seed::Bench(n) => {
            return match demo::bench(&db, n, Some(&config.database_admin_url)).await {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            };
        }
    };
    match demo::demo(&db, visits).await {
        Ok(journal) => {
            println!("demo network loaded");
            println!("{journal}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn serve(config: Config, banner: bool) -> ExitCode {
    let listen = config.listen;
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(format!("PASSERELLE_LISTEN: cannot bind {listen}: {e}")),
    };
    let app = match server::build(config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let addr = listener.local_addr().unwrap_or(listen);
    if banner {
        print_banner(addr);
    }
    tracing::info!(%addr, "listening");
    match server::serve(app, listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("server error: {e}")),
    }
}

/// The demo and bench datasets install API clients whose secrets are printed in the
/// banner and written in the source, and accounts anyone can sign in as with the
/// development issuer: they never go into a production database.
fn development_only(config: &Config, what: Seed) -> Option<ExitCode> {
    if config.is_development() {
        return None;
    }
    let command = match what {
        Seed::Demo(_) => "seed --demo",
        Seed::Bench(_) => "seed --bench",
    };
    Some(fail(format!(
        "PASSERELLE_ENV: {command} runs in development only (its API client secrets are public); \
         nothing was written"
    )))
}

async fn run_demo(config: Config) -> ExitCode {
    if !config.is_development() {
        return fail("PASSERELLE_ENV: demo runs in development only; nothing was written");
    }
    match migrations::create_database_if_missing(&config.database_admin_url).await {
        Ok(true) => println!("database created"),
        Ok(false) => {}
        Err(e) => return fail(e),
    }
    if let Err(e) = migrations::setup(&config.database_admin_url, &config.database_url).await {
        return fail(e);
    }
    let code = seed(&config, Seed::Demo(DEFAULT_VISITS)).await;
    if code != ExitCode::SUCCESS {
        return code;
    }
    serve(config, true).await
}

fn print_banner(addr: std::net::SocketAddr) {
    let base = format!("http://{addr}");
    println!();
    println!("Passerelle (démo) est prête : {base}");
    println!("  GraphQL   POST {base}/graphql");
    println!("  GraphiQL  {base}/graphql (dans un navigateur)");
    println!("  Santé     {base}/healthz   {base}/readyz");
    println!();
    // Two commands to paste as they are: the first keeps the token in $TOKEN for the
    // second (deploy/check runs them against the demo in CI).
    println!(
        "Obtenir un jeton pour un compte de démonstration, puis l'envoyer en en-tête « Authorization: Bearer » :"
    );
    println!(r#"  TOKEN=$(curl -s -X POST {base}/dev/token -H 'content-type: application/json' \"#);
    println!(
        r#"    -d '{{"email":"direction@lyon.pimms.example"}}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"#
    );
    println!(
        r#"  curl -s {base}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \"#
    );
    println!(
        r#"    -d '{{"query":"{{ viewer {{ user {{ displayName }} activeTenant {{ name }} activeRole }} }}"}}'"#
    );
    println!();
    println!("Comptes de démonstration :");
    for a in demo::ACCOUNTS {
        let what = if let Some(r) = a.union_role {
            format!("Union nationale, {r}")
        } else if let Some(p) = a.partner {
            format!("partenaire {p}")
        } else {
            a.memberships
                .iter()
                .map(|(t, r)| format!("{t} ({r})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("  {:<44} {:<18} {}", a.email, a.name, what);
    }
    println!();
    println!(
        "Plusieurs identités ? Choisir par requête : « X-Passerelle-Tenant: pimms-nimes » (une association), \
         « X-Passerelle-Act-As: partner » ou « X-Passerelle-Act-As: union »."
    );
    println!();
    // Development only (`demo` refuses to run elsewhere): these secrets are fixed.
    let clients = demo::demo_api_clients();
    println!("Clients d'API des partenaires (secrets de démonstration, à ne jamais réutiliser) :");
    for c in &clients {
        println!("  {:<18} {:<22} {}", c.partner, c.client_id, c.secret);
    }
    if let Some(c) = clients.first() {
        println!("Obtenir un jeton partenaire (client_credentials, authentification HTTP Basic) :");
        println!(
            "  curl -s -X POST {base}/oauth/token -u '{}:{}' -d grant_type=client_credentials",
            c.client_id, c.secret
        );
        println!("puis l'envoyer en en-tête « Authorization: Bearer <jeton> » à {base}/graphql.");
        println!();
    }
}
