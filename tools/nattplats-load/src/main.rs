//! nattplats-load: drives a running nattplats over HTTP the way a night
//! looks, then checks the database.
//!
//! - front desks register guests, take stays and check them in, at once;
//! - socialjouren screens poll availability and hold the event stream;
//! - a coordinator declares a cold night halfway through.
//!
//! With `--demand CENSUS.csv` the night's arrivals follow a real night:
//! New York's nightly census of single adults, scaled by `--demand-scale`,
//! with that night's share of women; the desks stop when everyone who came
//! has been answered, and the turn-aways are counted by reason. The CSV
//! (`date`, `total_individuals`, `single_adults`, `single_adult_men`,
//! `single_adult_women`, one row per night) is reduced from
//! `data/dhs_daily_report.csv` of the NYC Shelter Census & Tracker
//! (anesta95/nyc_shelter_count on GitHub, built from the Department of
//! Homeless Services' daily reports; free for public use with attribution
//! to Patrick Spauster and Adrian Nesta for City Limits). It is not part of
//! this repository.
//!
//! The stays it writes itself (`--ceiling`) are the service's own: length,
//! karenstid and no-show ending from the partnership's rule set, through
//! `nattplats_rules`.
//!
//! It prints throughput and latency per operation (and writes the same as
//! JSON with `--json`), can first write a large world straight into the
//! database (`--shelters ...`, the bulk writer of `nattplats seed large`),
//! can measure the ceiling (`--ceiling`: the rows of one intake written
//! through diesel in this process, without HTTP and rules), and ends by
//! checking every invariant in the database (`--database-url`). It exits 1
//! on any invariant broken or any 5xx answer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use serde_json::{Value, json};

use nattplats::config::DatabaseUrl;
use nattplats::db;

mod lean;
use nattplats_rules::checkin;
use nattplats_rules::stay::Period;
use nattplats_rules::{Night, PlaceCategory};

#[derive(Parser, Clone)]
#[command(
    name = "nattplats-load",
    about = "A night's load against a running nattplats"
)]
struct Args {
    /// The service; repeat for several instances (threads take them in
    /// turn).
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    urls: Vec<String>,
    /// Append the id of every act answered 2xx to this file (one line per
    /// act: `guest ID`, `stay ID`, `check-in STAY_ID NIGHT`), flushed at
    /// once, for the crash test.
    #[arg(long)]
    acks: Option<PathBuf>,
    /// Do not fail on 5xx or lost connections (the crash test kills the
    /// service under load on purpose).
    #[arg(long)]
    tolerate_failures: bool,
    /// Only check that every act in this acknowledgement file is in the
    /// database (`--database-url`), and the invariants; no load.
    #[arg(long)]
    verify_acks: Option<PathBuf>,
    /// An admin login, USER:PASSWORD; the tool creates its own users.
    #[arg(long, required_unless_present = "verify_acks", default_value = "")]
    admin: String,
    /// Front desks working at once.
    #[arg(long, default_value_t = 8)]
    desks: usize,
    /// Screens polling GET /availability (counts only).
    #[arg(long, default_value_t = 4)]
    screens: usize,
    /// Screens holding GET /availability/stream.
    #[arg(long, default_value_t = 2)]
    streams: usize,
    /// How long the night lasts, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// The database the service uses: for the bulk world, the ceiling and
    /// the invariant check at the end.
    #[arg(long)]
    database_url: Option<String>,
    /// Before the run, write a world of this many shelters in bulk.
    #[arg(long)]
    shelters: Option<u32>,
    #[arg(long, default_value_t = 100)]
    places: u32,
    #[arg(long, default_value_t = 0)]
    guests: u32,
    #[arg(long, default_value_t = 0)]
    history_nights: u32,
    /// Also measure what the database itself allows (needs --database-url).
    #[arg(long)]
    ceiling: bool,
    /// Also measure the lean ceiling (issue 18): the same logical work as
    /// a granted intake on a lean schema, one writer on SQLite, as many
    /// clients as desks on PostgreSQL, statements prepared once, in this
    /// run (needs --database-url; SQLite writes a file of its own beside
    /// the service's, PostgreSQL a schema of its own).
    #[arg(long)]
    lean_ceiling: bool,
    /// Write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A nightly census (CSV with `date`, `single_adults`,
    /// `single_adult_women`): tonight's arrivals and their share of women
    /// follow one of its nights.
    #[arg(long)]
    demand: Option<PathBuf>,
    /// The census night to follow (default: the last with a women's figure).
    #[arg(long, requires = "demand")]
    demand_date: Option<chrono::NaiveDate>,
    /// Arrivals = the census's single adults × this.
    #[arg(long, default_value_t = 0.01, requires = "demand")]
    demand_scale: f64,
}

/// One night of real demand, scaled.
#[derive(Debug, Clone, Copy, Serialize)]
struct Demand {
    date: chrono::NaiveDate,
    census_single_adults: u64,
    census_women: u64,
    arrivals: u64,
    women: u64,
}

impl Demand {
    fn read(
        path: &std::path::Path,
        date: Option<chrono::NaiveDate>,
        scale: f64,
    ) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| anyhow::anyhow!("{}: no column {name}", path.display()))
        };
        let (d, adults, women) = (
            column("date")?,
            column("single_adults")?,
            column("single_adult_women")?,
        );
        let mut found = None;
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let get = |i: usize| cells.get(i).and_then(|c| c.trim().parse::<u64>().ok());
            let (Some(day), Some(a), Some(w)) = (
                cells
                    .get(d)
                    .and_then(|c| c.trim().parse::<chrono::NaiveDate>().ok()),
                get(adults),
                get(women),
            ) else {
                continue;
            };
            if date.is_none_or(|wanted| wanted == day) {
                found = Some((day, a, w));
            }
        }
        let (date, a, w) = found.ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no night with single adults and women{}",
                path.display(),
                date.map(|d| format!(" on {d}")).unwrap_or_default()
            )
        })?;
        let arrivals = ((a as f64) * scale).round().max(1.0) as u64;
        let women = ((arrivals as f64) * (w as f64) / (a.max(1) as f64)).round() as u64;
        Ok(Self {
            date,
            census_single_adults: a,
            census_women: w,
            arrivals,
            women,
        })
    }

    /// Whether arrival `k` (0-based) is a woman: the women spread evenly
    /// over the night.
    fn is_woman(&self, k: u64) -> bool {
        let share = |n: u64| n * self.women / self.arrivals.max(1);
        share(k + 1) > share(k)
    }
}

#[derive(Default)]
struct Samples {
    ms: Vec<f64>,
    ok: u64,
    refused: u64,
    failed: u64,
}

#[derive(Serialize)]
struct OpResult {
    count: u64,
    ok: u64,
    refused_4xx: u64,
    failed_5xx_or_transport: u64,
    per_second: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

type Results = Arc<Mutex<BTreeMap<&'static str, Samples>>>;

struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
}

impl Client {
    fn new(base: &str, token: String, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// Sends one request; returns the status and the JSON body.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            (_, body) => {
                let text = body.map(Value::to_string).unwrap_or_else(|| "{}".into());
                let mut req = match method {
                    "PUT" => self.agent.put(&url),
                    _ => self.agent.post(&url),
                }
                .header("Authorization", &auth)
                .header("Content-Type", "application/json");
                if let Some(k) = key {
                    req = req.header("Idempotency-Key", k);
                }
                req.send(text.as_bytes())
            }
        };
        match result {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let text = res.body_mut().read_to_string().unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// A timed request, recorded under `op`.
    fn timed(
        &self,
        results: &Results,
        op: &'static str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let started = Instant::now();
        let (status, value) = self.call(method, path, body, key);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(mut r) = results.lock() {
            let s = r.entry(op).or_default();
            s.ms.push(ms);
            match status {
                200..=299 => s.ok += 1,
                400..=499 => s.refused += 1,
                _ => s.failed += 1,
            }
        }
        (status, value)
    }
}

fn login(base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let anon = Client::new(base, String::new(), Duration::from_secs(30));
    let (status, body) = anon.call(
        "POST",
        "/api/v1/auth/token",
        Some(&json!({"username": username, "password": password})),
        None,
    );
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("login as {username} failed: {status} {body}"))
}

/// A name of letters only (names may not hold digits).
fn letters(mut n: u64) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i]
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("nattplats-load: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<bool> {
    let database = match &args.database_url {
        Some(u) => Some(DatabaseUrl::parse(u).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
    if let (Some(shelters), Some(url)) = (args.shelters, &database) {
        bulk_world(url, shelters, &args)?;
    }
    if let Some(path) = &args.verify_acks {
        let url = database
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("--verify-acks needs --database-url"))?;
        return verify_acks(url, path);
    }
    let base = args.urls[0].clone();
    let url_for = |i: usize| args.urls[i % args.urls.len()].clone();
    let acks: Option<Arc<Mutex<std::fs::File>>> = match &args.acks {
        Some(p) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        ))),
        None => None,
    };
    let (admin_user, admin_password) = args
        .admin
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--admin is USER:PASSWORD"))?;
    let admin = Client::new(
        &base,
        login(&base, admin_user, admin_password)?,
        Duration::from_secs(30),
    );
    let (_, shelters) = admin.call("GET", "/api/v1/shelters", None, None);
    let shelter_ids: Vec<String> = shelters
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(!shelter_ids.is_empty(), "the service has no shelters");
    let (_, now) = admin.call("GET", "/api/v1/availability?places=false", None, None);
    let tonight = now["night"].as_str().unwrap_or_default().to_owned();

    // Users of this run: desks, screens, one coordinator.
    let run_tag = letters(u64::from(rand::random::<u32>()));
    let password = format!("load-{run_tag}-password");
    // A desk works at its share of the shelters (every one in a small
    // system); a large system's staff are not each at a thousand shelters.
    let share_of = |d: usize| -> Vec<String> {
        if shelter_ids.len() < args.desks.max(1) * 4 {
            return shelter_ids.clone();
        }
        shelter_ids
            .iter()
            .skip(d)
            .step_by(args.desks)
            .cloned()
            .collect()
    };
    let make_user = |name: &str,
                     roles: Value,
                     at: &str,
                     shelters: &[String]|
     -> anyhow::Result<String> {
        let (status, body) = admin.call(
            "POST",
            "/api/v1/users",
            Some(&json!({"username": name, "password": password, "roles": roles, "shelter_ids": shelters})),
            None,
        );
        anyhow::ensure!(status == 201, "cannot create user {name}: {status} {body}");
        login(at, name, &password)
    };
    let demand = match &args.demand {
        Some(path) => Some(Demand::read(path, args.demand_date, args.demand_scale)?),
        None => None,
    };
    if let Some(d) = &demand {
        println!(
            "demand of {}: {} single adults, {} women in the census; {} arrive tonight, {} women",
            d.date, d.census_single_adults, d.census_women, d.arrivals, d.women
        );
    }
    let arrivals = Arc::new(AtomicU64::new(0));
    let refusals: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let timeout = Duration::from_secs(args.seconds + 30);
    let results: Results = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);

    for d in 0..args.desks {
        let at = url_for(d);
        let shelters = share_of(d);
        let client = Client::new(
            &at,
            make_user(
                &format!("load.{run_tag}.desk{d}"),
                json!(["shelter_staff"]),
                &at,
                &shelters,
            )?,
            timeout,
        );
        let (results, acks) = (results.clone(), acks.clone());
        let ack = move |line: String| {
            if let Some(file) = &acks
                && let Ok(mut f) = file.lock()
            {
                use std::io::Write;
                let _ = writeln!(f, "{line}");
            }
        };
        let tag = run_tag.clone();
        let (arrivals, refusals) = (arrivals.clone(), refusals.clone());
        threads.push(std::thread::spawn(move || {
            let mut i: u64 = 0;
            while Instant::now() < deadline {
                i += 1;
                let woman = match demand {
                    // The next person in tonight's queue, until none is left.
                    Some(d) => {
                        let k = arrivals.fetch_add(1, Ordering::Relaxed);
                        if k >= d.arrivals {
                            break;
                        }
                        d.is_woman(k)
                    }
                    None => i.is_multiple_of(5),
                };
                let guest = json!({
                    "given_name": format!("Load{}", letters(d as u64)), "family_name": format!("Guest{}{tag}", letters(i)),
                    "birth_year": 1960 + (i % 40), "gender": if woman { "woman" } else { "man" }, "citizenship": "RO",
                });
                let (status, g) = client.timed(&results, "register guest", "POST", "/api/v1/guests", Some(&guest), None);
                let Some(guest_id) = g["id"].as_str().filter(|_| status == 201) else { continue };
                ack(format!("guest {guest_id}"));
                // Any of its shelters, so that runs after runs find free places.
                let shelter = &shelters[rand::random_range(0..shelters.len())];
                let body = json!({"guest_id": guest_id, "shelter_id": shelter, "category": if woman { "women" } else { "regular" }});
                let key = format!("load-{tag}-{d}-{i}");
                let (status, stay) = client.timed(&results, "intake (POST /stays)", "POST", "/api/v1/stays", Some(&body), Some(&key));
                if status != 201 && let Ok(mut r) = refusals.lock() {
                    let code = stay["code"].as_str().map_or_else(|| format!("status {status}"), str::to_owned);
                    *r.entry(code).or_default() += 1;
                }
                if status == 201 && let Some(id) = stay["id"].as_str() {
                    ack(format!("stay {id}"));
                    let (status, c) = client.timed(&results, "check-in", "POST", &format!("/api/v1/stays/{id}/check-ins"), Some(&json!({})), Some(&format!("{key}-in")));
                    if status == 201 && let Some(night) = c["night"].as_str() {
                        ack(format!("check-in {id} {night}"));
                    }
                }
            }
        }));
    }
    for s in 0..args.screens {
        let at = url_for(s + 1);
        let client = Client::new(
            &at,
            make_user(
                &format!("load.{run_tag}.screen{s}"),
                json!(["social_emergency"]),
                &at,
                &[],
            )?,
            timeout,
        );
        let (results, stop) = (results.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                client.timed(
                    &results,
                    "availability (counts)",
                    "GET",
                    "/api/v1/availability?places=false",
                    None,
                    None,
                );
            }
        }));
    }
    for s in 0..args.streams {
        let url = url_for(s + 2);
        let token = make_user(
            &format!("load.{run_tag}.stream{s}"),
            json!(["social_emergency"]),
            &url,
            &[],
        )?;
        let (events, stop) = (events.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let config = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .build();
            let agent = ureq::Agent::new_with_config(config);
            let Ok(res) = agent
                .get(format!("{url}/api/v1/availability/stream?places=false"))
                .header("Authorization", format!("Bearer {token}"))
                .call()
            else {
                return;
            };
            let reader = BufReader::new(res.into_body().into_reader());
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if line.starts_with("event: availability") {
                    events.fetch_add(1, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
        }));
    }
    // The coordinator: a cold night halfway through.
    let coordinator = Client::new(
        &base,
        make_user(
            &format!("load.{run_tag}.coord"),
            json!(["coordinator"]),
            &base,
            &[],
        )?,
        timeout,
    );
    // Halfway through the night, or when the last arrival is being seen.
    let halfway = started + Duration::from_secs(args.seconds / 2);
    while Instant::now() < halfway
        && demand.is_none_or(|d| arrivals.load(Ordering::Relaxed) < d.arrivals)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let body = json!({"reason": "load test: minus fifteen", "overflow": [{"shelter_id": shelter_ids[0], "places": 5}]});
    coordinator.timed(
        &results,
        "declare cold night",
        "PUT",
        &format!("/api/v1/cold-nights/{tonight}"),
        Some(&body),
        None,
    );
    let mut threads = threads.into_iter();
    let desks: Vec<_> = threads.by_ref().take(args.desks).collect();
    let screens: Vec<_> = threads.by_ref().take(args.screens).collect();
    // Streams end at their next event or at their timeout; do not wait.
    let streams: Vec<_> = threads.collect();
    if demand.is_some() {
        // The night is over when everyone who came has been answered.
        for t in desks {
            let _ = t.join();
        }
    } else {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        for t in desks {
            let _ = t.join();
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in screens {
        let _ = t.join();
    }
    drop(streams);
    let elapsed = started.elapsed().as_secs_f64();

    // The table.
    let mut table = BTreeMap::new();
    let mut server_errors = 0;
    println!(
        "{:<24} {:>7} {:>7} {:>7} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "operation", "count", "ok", "4xx", "fail", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    if let Ok(mut r) = results.lock() {
        for (op, s) in r.iter_mut() {
            s.ms.sort_by(f64::total_cmp);
            let result = OpResult {
                count: s.ms.len() as u64,
                ok: s.ok,
                refused_4xx: s.refused,
                failed_5xx_or_transport: s.failed,
                per_second: s.ms.len() as f64 / elapsed,
                p50_ms: percentile(&s.ms, 0.50),
                p95_ms: percentile(&s.ms, 0.95),
                p99_ms: percentile(&s.ms, 0.99),
                max_ms: s.ms.last().copied().unwrap_or(0.0),
            };
            server_errors += s.failed;
            println!(
                "{:<24} {:>7} {:>7} {:>7} {:>6} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                op,
                result.count,
                result.ok,
                result.refused_4xx,
                result.failed_5xx_or_transport,
                result.per_second,
                result.p50_ms,
                result.p95_ms,
                result.p99_ms,
                result.max_ms
            );
            table.insert(*op, result);
        }
    }
    let stream_events = events.load(Ordering::Relaxed);
    println!(
        "stream events received: {stream_events} on {} streams",
        args.streams
    );
    let intake_rate = table
        .get("intake (POST /stays)")
        .map_or(0.0, |r| r.ok as f64 / elapsed);
    let attempt_rate = table
        .get("intake (POST /stays)")
        .map_or(0.0, |r| r.count as f64 / elapsed);
    println!(
        "intakes: {attempt_rate:.1}/s answered, {intake_rate:.1}/s granted a stay (the rest: no free place or another rule)"
    );

    let refused: BTreeMap<String, u64> = refusals.lock().map(|r| r.clone()).unwrap_or_default();
    if !refused.is_empty() {
        let list: Vec<String> = refused
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        println!("intakes refused: {}", list.join(", "));
    }
    let mut report = json!({"seconds": elapsed, "demand": demand, "intakes_refused": refused, "desks": args.desks, "screens": args.screens, "streams": args.streams,
        "operations": table, "stream_events": stream_events, "intakes_per_second": intake_rate, "intake_answers_per_second": attempt_rate});
    let mut holds = server_errors == 0 || args.tolerate_failures;
    if let Some(url) = &database {
        if args.ceiling {
            let ceiling = ceiling(url, &args)?;
            println!(
                "ceiling: {ceiling:.0} intakes/s written straight through diesel by {} threads; the service granted {intake_rate:.0}/s ({:.0} %)",
                args.desks,
                100.0 * intake_rate / ceiling.max(f64::MIN_POSITIVE)
            );
            report["ceiling_intakes_per_second"] = json!(ceiling);
        }
        if args.lean_ceiling {
            let world = {
                let pool = db::build_pool(url, 1);
                let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
                let shape = StayShape::of(&mut conn, Night::new(chrono::Utc::now().date_naive()))?;
                lean::World::of_service(
                    &mut conn,
                    i64::from(shape.nights),
                    i64::from(shape.quarantine_nights),
                )?
            };
            let lean = lean::ceiling(url, &world, args.desks, (args.seconds / 2).max(3))?;
            println!(
                "lean ceiling: {:.0} intakes/s by {} writer(s) over {} places at {} shelters, {} guests, {} booked nights; the service granted {intake_rate:.0}/s ({:.2} of it)",
                lean.intakes_per_second,
                lean.writers,
                lean.places,
                lean.shelters,
                lean.guests,
                lean.history_nights,
                intake_rate / lean.intakes_per_second.max(f64::MIN_POSITIVE)
            );
            report["lean_ceiling"] = serde_json::to_value(&lean)?;
            report["service_over_lean_ceiling"] =
                json!(intake_rate / lean.intakes_per_second.max(f64::MIN_POSITIVE));
        }
        let pool = db::build_pool(url, 1);
        let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
        let check = db::invariants::check(&mut conn)?;
        println!(
            "invariants over {} stays and {} held nights: {}",
            check.stays,
            check.held_nights,
            if check.holds() { "hold" } else { "BROKEN" }
        );
        if !check.holds() {
            println!("{check:#?}");
        }
        holds &= check.holds();
        report["invariants"] = serde_json::to_value(&check)?;
    }
    if server_errors > 0 {
        println!("{server_errors} request(s) failed with a 5xx or no answer");
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(holds)
}

fn bulk_world(url: &DatabaseUrl, shelters: u32, args: &Args) -> anyhow::Result<()> {
    let pool = db::build_pool(url, 1);
    let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
    db::run_migrations(&mut conn)?;
    let now = chrono::Utc::now();
    let partnership = nattplats::startup::ensure_partnership(&mut conn, now.naive_utc())?;
    let world = db::bulk::World {
        shelters,
        places_per_shelter: args.places,
        guests: args.guests.max(2 * shelters * args.places),
        history_nights: args.history_nights,
        occupancy_percent: 90,
    };
    let started = Instant::now();
    let written = db::bulk::seed(
        &mut conn,
        &partnership,
        &world,
        partnership.calendar.night_of(now),
        now.naive_utc(),
        &mut |step| {
            println!("{:>7.1} s  {step}", started.elapsed().as_secs_f64());
        },
    )?;
    println!("world: {written:?}");
    Ok(())
}

/// A regular stay as the partnership's rule set in force on `first` grants
/// it (RULES.md §3, §4), for the ceiling's rows: its nights, karenstid and
/// no-show limit, the night its no-show ending begins when nobody checks
/// in (days after the first), and how far apart two of them on one place
/// start.
struct StayShape {
    nights: i32,
    quarantine_nights: i32,
    no_show_limit: i32,
    no_show_end_after: Option<i64>,
    spacing: i64,
}

impl StayShape {
    fn of(conn: &mut db::DbConnection, first: Night) -> anyhow::Result<Self> {
        let partnership = nattplats::db::partnerships::load(conn)?
            .ok_or_else(|| anyhow::anyhow!("the database has no partnership yet"))?;
        let rules = partnership
            .rule_sets
            .for_night(first)
            .ok_or_else(|| anyhow::anyhow!("the partnership has no rule set"))?;
        let period = Period::granted(first, PlaceCategory::Regular, &rules);
        let facts: Vec<checkin::NightFacts> = period
            .nights()
            .into_iter()
            .map(|night| checkin::NightFacts {
                night,
                checked_in: false,
                released: false,
                created_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            })
            .collect();
        let end = checkin::no_show_end(&facts, rules.no_show_ends_stay_after);
        Ok(Self {
            nights: i32::try_from(period.length)?,
            quarantine_nights: i32::try_from(period.quarantine)?,
            no_show_limit: i32::try_from(rules.no_show_ends_stay_after)?,
            no_show_end_after: end.map(|e| first.nights_until(e)),
            // A week apart, as before; never overlapping.
            spacing: i64::from(period.length).max(7),
        })
    }
}

/// The rows of one intake (a guest, a stay, its nights) written through
/// diesel by as many threads as desks, for a fifth of the run's length.
fn ceiling(url: &DatabaseUrl, args: &Args) -> anyhow::Result<f64> {
    use diesel::prelude::*;
    use nattplats::db::schema::places;
    let pool = db::build_pool(url, u32::try_from(args.desks).unwrap_or(8).max(1));
    let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
    let place_ids: Vec<(String, String)> = places::table
        .filter(places::category.eq("regular"))
        .select((places::id, places::shelter_id))
        .load(&mut **conn)?;
    // Far in the future, so nothing real is in the way, and after what an
    // earlier ceiling run wrote.
    let latest: Option<chrono::NaiveDate> = nattplats::db::schema::bookings::table
        .select(diesel::dsl::max(nattplats::db::schema::bookings::night))
        .first(&mut **conn)?;
    let far = chrono::NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or_default();
    let base = latest
        .map_or(far, |l| l + chrono::Duration::days(14))
        .max(far);
    let shape = StayShape::of(&mut conn, Night::new(base))?;
    drop(conn);
    anyhow::ensure!(!place_ids.is_empty(), "no regular places for the ceiling");
    let place_ids = Arc::new(place_ids);
    let counter = Arc::new(AtomicU64::new(0));
    let seconds = (args.seconds / 5).max(3);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tag = letters(u64::from(rand::random::<u32>()));
    let mut threads = Vec::new();
    for _ in 0..args.desks.max(1) {
        let (pool, place_ids, counter, tag) = (
            pool.clone(),
            place_ids.clone(),
            counter.clone(),
            tag.clone(),
        );
        threads.push(std::thread::spawn(move || -> anyhow::Result<u64> {
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
            let mut done = 0;
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let (place, shelter) = &place_ids[(n % place_ids.len() as u64) as usize];
                let first = base
                    + chrono::Duration::days(shape.spacing * (n / place_ids.len() as u64) as i64);
                let now = chrono::Utc::now().naive_utc();
                let guest = db::guests::GuestRow {
                    id: nattplats::ids::GuestId::new(),
                    card_number: format!("C{tag}{n}"),
                    given_name: "Ceiling".into(),
                    family_name: "Ceiling".into(),
                    name_key: "ceiling ceiling".into(),
                    birth_date: None,
                    birth_year: 1980,
                    gender: "man".into(),
                    citizenship: "RO".into(),
                    residence_permit_country: None,
                    needs: "[]".into(),
                    created_at: now,
                    created_by: "ceiling".into(),
                    pseudonymised_at: None,
                    given_block: "ce".into(),
                    family_block: "ce".into(),
                    language: "sv".into(),
                };
                let stay = db::stays::StayRow {
                    id: nattplats::ids::StayId::new(),
                    guest_id: guest.id.clone(),
                    shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                    category: PlaceCategory::Regular.as_str().into(),
                    status: nattplats::ids::StayStatus::Active,
                    first_night: first,
                    nights: shape.nights,
                    quarantine_nights: shape.quarantine_nights,
                    no_show_limit: shape.no_show_limit,
                    end_reason: None,
                    ended_at: None,
                    void_reason: None,
                    voided_at: None,
                    created_at: now,
                    created_by: "ceiling".into(),
                };
                let nights: Vec<db::stays::BookingRow> = (0..i64::from(shape.nights))
                    .map(|k| db::stays::BookingRow {
                        id: db::new_id(),
                        guest_id: guest.id.clone(),
                        place_id: nattplats::ids::PlaceId::stored(place.clone()),
                        shelter_id: nattplats::ids::ShelterId::stored(shelter.clone()),
                        night: first + chrono::Duration::days(k),
                        kind: nattplats::ids::BookingKind::Stay,
                        stay_id: Some(stay.id.clone()),
                        released: false,
                        held: true,
                        checked_in_at: None,
                        created_at: now,
                        // Nobody checks in: the stay's no-show ending.
                        no_show_end: shape
                            .no_show_end_after
                            .map(|d| first + chrono::Duration::days(d)),
                    })
                    .collect();
                db::write_tx(&mut conn, |c| {
                    db::guests::insert(c, &guest)?;
                    db::stays::insert_stay(c, &stay, &nights)
                })?;
                done += 1;
            }
            Ok(done)
        }));
    }
    let mut total = 0;
    for t in threads {
        total += t
            .join()
            .map_err(|_| anyhow::anyhow!("a ceiling thread panicked"))??;
    }
    Ok(total as f64 / seconds as f64)
}

/// Every act the service acknowledged (2xx) before a crash must be in the
/// database after it; then the invariants.
fn verify_acks(url: &DatabaseUrl, path: &std::path::Path) -> anyhow::Result<bool> {
    use diesel::prelude::*;
    use nattplats::db::schema::{bookings, guests, stays};
    let pool = db::build_pool(url, 1);
    let mut conn = pool.get().map_err(|e| anyhow::anyhow!("database: {e}"))?;
    let text = std::fs::read_to_string(path)?;
    let (mut checked, mut missing) = (0u64, Vec::new());
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let found = match parts.as_slice() {
            ["guest", id] => {
                guests::table
                    .find(*id)
                    .count()
                    .get_result::<i64>(&mut **conn)?
                    == 1
            }
            ["stay", id] => {
                stays::table
                    .find(*id)
                    .count()
                    .get_result::<i64>(&mut **conn)?
                    == 1
            }
            ["check-in", stay, night] => {
                let night: chrono::NaiveDate = night.parse()?;
                bookings::table
                    .filter(bookings::stay_id.eq(*stay))
                    .filter(bookings::night.eq(night))
                    .filter(bookings::checked_in_at.is_not_null())
                    .count()
                    .get_result::<i64>(&mut **conn)?
                    == 1
            }
            // A line torn by the crash of the load tool itself is no ack.
            _ => continue,
        };
        checked += 1;
        if !found {
            missing.push(line.to_owned());
        }
    }
    let check = db::invariants::check(&mut conn)?;
    println!(
        "acknowledged acts: {checked} checked, {} missing; invariants over {} stays: {}",
        missing.len(),
        check.stays,
        if check.holds() { "hold" } else { "BROKEN" }
    );
    for m in missing.iter().take(20) {
        println!("missing: {m}");
    }
    if !check.holds() {
        println!("{check:#?}");
    }
    Ok(missing.is_empty() && check.holds() && checked > 0)
}
