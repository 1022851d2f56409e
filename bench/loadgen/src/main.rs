//! passerelle-loadgen: the benchmarks' load generator (bench/README.md).
//!
//! Runs one workload of bench/WORKLOADS.md against Passerelle or PostGraphile,
//! closed loop (N connections, each sending its next request when the previous one
//! answers) or open loop (a fixed rate; latency from the intended send time, so a
//! stalled server is not hidden by coordinated omission), validates every response
//! and prints one JSON line. Exit status 3 when any request failed.

mod data;
mod ops;

use hdrhistogram::Histogram;
use ops::{Ops, Prepared, System, Workload};
use rand::SeedableRng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const USAGE: &str = "usage: passerelle-loadgen --workload W0|W1|W2|W2c|W3|W4|W5|MIX [options]

  --system passerelle|postgraphile   (default passerelle)
  --url URL             the system's base URL (default http://127.0.0.1:8080)
  --path PATH           the GraphQL path (default /graphql)
  --database-url URL    superuser URL to sample ids and expected sums
                        (default postgres://postgres@127.0.0.1:5432/passerelle_bench_M)
  --accounts bench|demo the bench dataset's accounts or the demo network's (default bench)
  --documents FILE      the peer's documents (default bench/peer/documents.json)
  --connections N       closed loop with N connections (default 8)
  --rate R              open loop at R requests per second instead
  --duration S          measured seconds (default 10)
  --warmup S            seconds of load before measuring (default 2)
  --requests N          closed loop until N requests instead of a duration (no warmup)
  --sample N            recorded visits to sample for W0, beneficiaries for W5 (default 20000)
  --seed N              random seed (default 1)
  --errors-shown N      error messages printed on stderr (default 5)";

struct Args {
    system: System,
    url: String,
    path: String,
    database_url: String,
    accounts: data::Accounts,
    documents: String,
    workload: Workload,
    connections: usize,
    rate: Option<f64>,
    duration: f64,
    warmup: f64,
    requests: Option<u64>,
    sample: usize,
    seed: u64,
    errors_shown: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        system: System::Passerelle,
        url: "http://127.0.0.1:8080".to_owned(),
        path: "/graphql".to_owned(),
        database_url: "postgres://postgres@127.0.0.1:5432/passerelle_bench_M".to_owned(),
        accounts: data::Accounts::Bench,
        documents: "bench/peer/documents.json".to_owned(),
        workload: Workload::W0,
        connections: 8,
        rate: None,
        duration: 10.0,
        warmup: 2.0,
        requests: None,
        sample: 20_000,
        seed: 1,
        errors_shown: 5,
    };
    let mut workload = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    fn num<T: std::str::FromStr>(flag: &str, v: Option<&String>) -> Result<T, String> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag}: expected a number"))
    }
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--system" => {
                a.system = match it.next().map(String::as_str) {
                    Some("passerelle") => System::Passerelle,
                    Some("postgraphile") => System::Postgraphile,
                    _ => return Err("--system: passerelle or postgraphile".to_owned()),
                }
            }
            "--url" => {
                a.url = it
                    .next()
                    .ok_or("--url: missing")?
                    .trim_end_matches('/')
                    .to_owned()
            }
            "--path" => a.path = it.next().ok_or("--path: missing")?.clone(),
            "--database-url" => {
                a.database_url = it.next().ok_or("--database-url: missing")?.clone()
            }
            "--accounts" => {
                a.accounts = match it.next().map(String::as_str) {
                    Some("bench") => data::Accounts::Bench,
                    Some("demo") => data::Accounts::Demo,
                    _ => return Err("--accounts: bench or demo".to_owned()),
                }
            }
            "--documents" => a.documents = it.next().ok_or("--documents: missing")?.clone(),
            "--workload" => {
                let w = it.next().ok_or("--workload: missing")?;
                workload =
                    Some(Workload::parse(w).ok_or_else(|| format!("--workload: unknown {w}"))?);
            }
            "--connections" => a.connections = num(flag, it.next())?,
            "--rate" => a.rate = Some(num(flag, it.next())?),
            "--duration" => a.duration = num(flag, it.next())?,
            "--warmup" => a.warmup = num(flag, it.next())?,
            "--requests" => a.requests = Some(num(flag, it.next())?),
            "--sample" => a.sample = num(flag, it.next())?,
            "--seed" => a.seed = num(flag, it.next())?,
            "--errors-shown" => a.errors_shown = num(flag, it.next())?,
            "-h" | "--help" => return Err(String::new()),
            f => return Err(format!("unknown option {f}")),
        }
    }
    a.workload = workload.ok_or("--workload is required")?;
    if a.connections == 0 || a.duration <= 0.0 || a.warmup < 0.0 || a.rate.is_some_and(|r| r <= 0.0)
    {
        return Err("--connections, --duration and --rate must be positive".to_owned());
    }
    Ok(a)
}

fn load_documents(a: &Args) -> Result<HashMap<String, String>, String> {
    match a.system {
        System::Passerelle => Ok(ops::PASSERELLE_DOCS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()),
        System::Postgraphile => {
            let raw = std::fs::read_to_string(&a.documents)
                .map_err(|e| format!("{}: {e}", a.documents))?;
            let v: Value =
                serde_json::from_str(&raw).map_err(|e| format!("{}: {e}", a.documents))?;
            let o = v.as_object().ok_or("documents.json: expected an object")?;
            // {"W0": "query ..."} or {"W0": {"query": "query ..."}}; other keys ignored.
            Ok(o.iter()
                .filter_map(|(k, d)| {
                    let doc = d
                        .as_str()
                        .or_else(|| d.get("query").and_then(Value::as_str))?;
                    Some((k.to_ascii_uppercase(), doc.to_owned()))
                })
                .collect())
        }
    }
}

/// Passerelle: one development token per account (POST /dev/token), fetched once.
async fn tokens(
    client: &reqwest::Client,
    a: &Args,
    ops: &Ops,
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    if a.system != System::Passerelle {
        return Ok(out);
    }
    for actor in ops.actors(a.workload) {
        if out.contains_key(&actor.email) {
            continue;
        }
        let r = client
            .post(format!("{}/dev/token", a.url))
            .json(&json!({ "email": actor.email }))
            .send()
            .await
            .map_err(|e| format!("/dev/token: {e}"))?;
        let status = r.status();
        let v: Value = r.json().await.map_err(|e| format!("/dev/token: {e}"))?;
        let t = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("/dev/token for {}: {status} {v}", actor.email))?;
        out.insert(actor.email.clone(), t.to_owned());
    }
    Ok(out)
}

struct Shared {
    args: Args,
    ops: Ops,
    tokens: HashMap<String, String>,
    client: reqwest::Client,
    endpoint: String,
    errors: AtomicU64,
    completed: AtomicU64,
    shown: AtomicU64,
    hist: Mutex<Histogram<u64>>,
}

impl Shared {
    /// Sends one request and checks its response: `Err` is a failed request.
    async fn one(&self, p: &Prepared<'_>) -> Result<(), String> {
        let mut req = self.client.post(&self.endpoint).json(&p.body);
        let actor = p.actor;
        match self.args.system {
            System::Passerelle => {
                let token = self.tokens.get(&actor.email).ok_or("no token")?;
                req = req.bearer_auth(token);
                if let Some((_, slug)) = &actor.tenant {
                    req = req.header("x-passerelle-tenant", slug);
                }
            }
            System::Postgraphile => {
                req = req.header("x-bench-user", actor.user_id.to_string());
                if let Some((id, _)) = &actor.tenant {
                    req = req.header("x-bench-tenant", id.to_string());
                }
                if let Some(r) = &actor.tenant_role {
                    req = req.header("x-bench-tenant-role", r);
                }
                if let Some(r) = &actor.union_role {
                    req = req.header("x-bench-union-role", r);
                }
                if let Some(p) = &actor.partner {
                    req = req.header("x-bench-partner", p.to_string());
                }
            }
        }
        let resp = req.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("transport: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
        self.ops.validate(&p.check, &v)
    }

    /// One request, recorded when `measured`; latency counted from `intended`.
    async fn run_one(
        &self,
        rng: &mut impl rand::Rng,
        intended: Instant,
        measured: impl Fn(Instant) -> bool,
    ) {
        let result = match self.ops.prepare(self.args.workload, rng) {
            Ok(p) => self
                .one(&p)
                .await
                .map_err(|e| format!("{}: {e}", p.workload.name())),
            Err(e) => Err(e),
        };
        let done = Instant::now();
        if !measured(done) {
            return;
        }
        self.completed.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if self.shown.fetch_add(1, Ordering::Relaxed) < self.args.errors_shown {
                eprintln!("loadgen: error: {e}");
            }
        }
        let micros = u64::try_from(done.duration_since(intended).as_micros()).unwrap_or(u64::MAX);
        if let Ok(mut h) = self.hist.lock() {
            h.saturating_record(micros.max(1));
        }
    }
}

async fn closed(s: Arc<Shared>) -> f64 {
    let start = Instant::now();
    let warm = Duration::from_secs_f64(if s.args.requests.is_some() {
        0.0
    } else {
        s.args.warmup
    });
    let measure_from = start + warm;
    let end = measure_from + Duration::from_secs_f64(s.args.duration);
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..s.args.connections {
        let s = s.clone();
        let issued = issued.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                rand::rngs::StdRng::seed_from_u64(s.args.seed.wrapping_mul(1000) + c as u64);
            loop {
                match s.args.requests {
                    Some(n) => {
                        if issued.fetch_add(1, Ordering::Relaxed) >= n {
                            break;
                        }
                    }
                    None => {
                        if Instant::now() >= end {
                            break;
                        }
                    }
                }
                let sent = Instant::now();
                let counted = s.args.requests.is_some();
                s.run_one(&mut rng, sent, |done| {
                    counted || (sent >= measure_from && done <= end)
                })
                .await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    if s.args.requests.is_some() {
        start.elapsed().as_secs_f64()
    } else {
        s.args.duration
    }
}

async fn open(s: Arc<Shared>, rate: f64) -> f64 {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(s.args.warmup);
    let end = measure_from + Duration::from_secs_f64(s.args.duration);
    let interval = Duration::from_secs_f64(1.0 / rate);
    // Bounds the requests in flight; a request waiting here is late, and its latency
    // (from its intended time) says so.
    let inflight = Arc::new(tokio::sync::Semaphore::new(4096));
    let mut tasks = tokio::task::JoinSet::new();
    let mut i: u64 = 0;
    loop {
        let intended = start + interval.mul_f64(i as f64);
        if intended >= end {
            break;
        }
        tokio::time::sleep_until(intended).await;
        let s = s.clone();
        let inflight = inflight.clone();
        let seed = s.args.seed.wrapping_mul(1_000_003).wrapping_add(i);
        tasks.spawn(async move {
            let Ok(_permit) = inflight.acquire().await else {
                return;
            };
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            // Counted by intended time: every request scheduled in the window counts,
            // however late it answers.
            s.run_one(&mut rng, intended, |_| intended >= measure_from)
                .await;
        });
        i += 1;
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    s.args.duration
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

async fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let docs = load_documents(&args)?;
    let data = data::load(&args.database_url, args.accounts, args.sample).await?;
    let ops = Ops::new(args.system, data, docs, args.seed);
    ops.ready(args.workload)
        .map_err(|e| format!("{}: {e}", args.workload.name()))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let tokens = tokens(&client, &args, &ops).await?;
    let hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).map_err(|e| e.to_string())?;
    let endpoint = format!("{}{}", args.url, args.path);
    let s = Arc::new(Shared {
        args,
        ops,
        tokens,
        client,
        endpoint,
        errors: AtomicU64::new(0),
        completed: AtomicU64::new(0),
        shown: AtomicU64::new(0),
        hist: Mutex::new(hist),
    });
    let seconds = match s.args.rate {
        None => closed(s.clone()).await,
        Some(r) => open(s.clone(), r).await,
    };
    let requests = s.completed.load(Ordering::Relaxed);
    let errors = s.errors.load(Ordering::Relaxed);
    let h = s.hist.lock().map_err(|_| "histogram lock poisoned")?;
    let line = json!({
        "workload": s.args.workload.name(),
        "system": match s.args.system { System::Passerelle => "passerelle", System::Postgraphile => "postgraphile" },
        "mode": if s.args.rate.is_some() { "open" } else { "closed" },
        "connections": if s.args.rate.is_some() { Value::Null } else { json!(s.args.connections) },
        "rate": s.args.rate,
        "duration_s": (seconds * 1000.0).round() / 1000.0,
        "requests": requests,
        "errors": errors,
        "rps": if seconds > 0.0 { (requests as f64 / seconds * 10.0).round() / 10.0 } else { 0.0 },
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p90_ms": ms(h.value_at_quantile(0.90)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
    });
    println!("{line}");
    Ok(errors == 0 && requests > 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) if e.is_empty() => {
            eprintln!("{USAGE}");
            ExitCode::from(64)
        }
        Err(e) => {
            eprintln!("passerelle-loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
