//! `wharf bench`: a load generator for SQS-compatible endpoints over the real wire protocols, with an
//! HTTP ceiling to compare against, and one for Kinesis Data Streams (`kinesis.rs`). See
//! docs/performance.md.

mod ceiling;
mod client;
mod idle;
mod kinesis;
mod process;
mod report;
mod scenarios;
mod sns;
mod startup;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use client::{Protocol, SqsClient};
use process::ChildServer;
use report::{ratio, FullReport, LatencySummary, Machine, ProcessUsage, Report, Stats};
use scenarios::{Live, Plan, Scenario, Target};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Drive an SQS endpoint (or a Wharf started for the run) and report throughput and latency.
    Sqs(SqsArgs),
    /// Drive a Kinesis Data Streams endpoint (or a Wharf started for the run): PutRecords and GetRecords
    /// throughput, put → get latency.
    Kinesis(kinesis::KinesisArgs),
    /// Drive SNS Publish against a topic with N SQS subscriptions (or a Wharf started for the run): publish
    /// throughput and latency, optionally checking that every queue got every message.
    Sns(sns::SnsArgs),
    /// The HTTP ceiling: the same load generator against a trivial built-in HTTP responder.
    Ceiling(LoadArgs),
    /// Start `wharf serve` repeatedly (empty data directory, in memory) and report the time to ready and
    /// the resident memory.
    Startup(startup::StartupArgs),
    /// The ceiling's responder (started by the benchmark itself).
    #[command(hide = true)]
    Responder {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

/// Options shared by `sqs` and `ceiling`.
#[derive(Args, Clone)]
struct LoadArgs {
    /// Wire protocol: AWS JSON 1.0 or AWS Query.
    #[arg(long, value_enum, default_value = "json")]
    protocol: Protocol,
    /// Concurrent connections (one worker each, one request in flight per connection).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    connections: u32,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up seconds before each measurement window (load runs, nothing is recorded).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Message body size in bytes (at least 21: bodies carry a send timestamp).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    message_size: u32,
    /// Messages per send request: 1 uses SendMessage, 2..10 SendMessageBatch.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=10))]
    batch: u8,
    /// Print a machine-readable JSON report instead of the text one.
    #[arg(long)]
    json: bool,
    /// Load-generator threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct SqsArgs {
    /// The SQS endpoint to drive; without it the benchmark starts a Wharf of its own and stops it after.
    #[arg(long)]
    endpoint: Option<String>,
    /// What the load does.
    #[arg(long, value_enum, default_value = "send")]
    scenario: Scenario,
    #[command(flatten)]
    load: LoadArgs,
    /// Producer connections in steady/fanin (default: half of --connections).
    #[arg(long)]
    producers: Option<u32>,
    /// Consumer connections in steady/fanin (default: the rest of --connections).
    #[arg(long)]
    consumers: Option<u32>,
    /// MaxNumberOfMessages of each ReceiveMessage.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=10))]
    receive_max: u8,
    /// WaitTimeSeconds of each ReceiveMessage (default: 1 in steady/fanin, 0 in receive).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=20))]
    wait_time: Option<u8>,
    /// Use a FIFO (.fifo) queue with messages spread over N message groups.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    fifo_groups: Option<u32>,
    /// Number of queues in the fanin scenario.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    queues: u32,
    /// Messages sent before a receive run (not measured).
    #[arg(long, default_value_t = 50_000)]
    backlog: usize,
    /// Cap the total send rate (messages per second); default: as fast as the producers go.
    #[arg(long)]
    rate: Option<f64>,
    /// Started Wharf keeps its data on disk (the server's default; fsync per --fsync).
    #[arg(long, conflicts_with_all = ["in_memory", "endpoint"])]
    durable: bool,
    /// Started Wharf keeps everything in memory.
    #[arg(long, conflicts_with = "endpoint")]
    in_memory: bool,
    /// Data directory of the started durable Wharf (default: a temporary one, removed after).
    #[arg(long, conflicts_with_all = ["in_memory", "endpoint"])]
    data_dir: Option<PathBuf>,
    /// fsync policy of the started durable Wharf: always, interval:<N>ms or never.
    #[arg(long, default_value = "always", conflicts_with_all = ["in_memory", "endpoint"])]
    fsync: String,
    /// Also measure the HTTP ceiling in this invocation and report the ratio to it.
    #[arg(long)]
    with_ceiling: bool,
    /// A second endpoint to run the same scenario against, alternating with the first.
    #[arg(long)]
    compare: Option<String>,
    /// With --compare: alternations (each endpoint gets --duration split over this many rounds).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Keep the queues the run created (they are deleted by default).
    #[arg(long)]
    keep_queues: bool,
    #[command(flatten)]
    idle: idle::IdleArgs,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Responder { host, port } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(ceiling::serve_responder(&host, port))
        }
        BenchCommand::Ceiling(load) => {
            check_load(&load)?;
            let runtime = generator_runtime(&load)?;
            let full = runtime.block_on(async {
                let ceiling = run_ceiling(&load, load.connections as usize).await?;
                anyhow::Ok(FullReport {
                    machine: Machine::detect(),
                    primary: ceiling,
                    ceiling: None,
                    ratio_to_ceiling: None,
                    compare: None,
                    ratio_to_compare: None,
                })
            })?;
            print_report(&full, load.json)
        }
        BenchCommand::Kinesis(args) => kinesis::run(args),
        BenchCommand::Sns(args) => sns::run(args),
        BenchCommand::Startup(args) => startup::run(args),
        BenchCommand::Sqs(args) if args.scenario == Scenario::IdlePolls => {
            check_load(&args.load)?;
            let report = generator_runtime(&args.load)?.block_on(idle::run(&args))?;
            if args.load.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            Ok(())
        }
        BenchCommand::Sqs(args) => {
            check_load(&args.load)?;
            let runtime = generator_runtime(&args.load)?;
            let full = runtime.block_on(run_sqs(&args))?;
            print_report(&full, args.load.json)
        }
    }
}

fn check_load(load: &LoadArgs) -> anyhow::Result<()> {
    if !(load.duration > 0.0 && load.duration <= 86_400.0) {
        anyhow::bail!("--duration must be between 0 and 86400 seconds");
    }
    if !(0.0..=3600.0).contains(&load.warmup) {
        anyhow::bail!("--warmup must be between 0 and 3600 seconds");
    }
    Ok(())
}

fn generator_runtime(load: &LoadArgs) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = load.threads {
        builder.worker_threads(threads.max(1));
    }
    scenarios::now_micros();
    Ok(builder.enable_all().build()?)
}

fn print_report(full: &FullReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(full)?);
    } else {
        print!("{}", full.render());
    }
    Ok(())
}

fn plan_of(args: &SqsArgs) -> anyhow::Result<Plan> {
    let connections = args.load.connections as usize;
    let (producers, consumers) = match args.scenario {
        Scenario::Send => (connections, 0),
        Scenario::Receive | Scenario::IdlePolls => (0, connections),
        Scenario::Steady | Scenario::Fanin => {
            let (p, c) = match (args.producers, args.consumers) {
                (Some(p), Some(c)) => (p as usize, c as usize),
                (Some(p), None) => (p as usize, connections.saturating_sub(p as usize)),
                (None, Some(c)) => (connections.saturating_sub(c as usize), c as usize),
                (None, None) => (connections / 2, connections - connections / 2),
            };
            if p == 0 || c == 0 {
                anyhow::bail!(
                    "the {} scenario needs at least one producer and one consumer (connections {connections}, producers {p}, consumers {c})",
                    args.scenario.name()
                );
            }
            (p, c)
        }
    };
    let default_wait = match args.scenario {
        Scenario::Steady | Scenario::Fanin => 1,
        _ => 0,
    };
    Ok(Plan {
        scenario: args.scenario,
        producers,
        consumers,
        message_size: args.load.message_size as usize,
        batch: args.load.batch as usize,
        receive_max: args.receive_max as u32,
        wait_time: args.wait_time.map_or(default_wait, u32::from),
        fifo_groups: args.fifo_groups,
        rate: args.rate,
    })
}

/// Queue names unique to this run.
fn queue_names(args: &SqsArgs) -> Vec<String> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let base = format!(
        "wharf-bench-{}-{}-{nonce}",
        args.scenario.name(),
        std::process::id()
    );
    let suffix = if args.fifo_groups.is_some() {
        ".fifo"
    } else {
        ""
    };
    if args.scenario == Scenario::Fanin {
        (0..args.queues)
            .map(|i| format!("{base}-q{i}{suffix}"))
            .collect()
    } else {
        vec![format!("{base}{suffix}")]
    }
}

async fn connect(
    label: String,
    endpoint: &str,
    protocol: Protocol,
    connections: usize,
    server_pid: Option<u32>,
    queue_names: Option<(&[String], bool)>,
) -> anyhow::Result<Target> {
    let clients = (0..connections)
        .map(|_| SqsClient::new(endpoint, protocol))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let queues = match queue_names {
        Some((names, fifo)) => {
            let mut urls = Vec::with_capacity(names.len());
            for name in names {
                let url = clients[0]
                    .create_queue(name, fifo)
                    .await
                    .with_context(|| format!("creating queue {name} on {endpoint}"))?;
                urls.push(url);
            }
            urls
        }
        // The ceiling's responder answers anything; the URL only shapes the requests.
        None => vec![format!(
            "{}/000000000000/ceiling",
            endpoint.trim_end_matches('/')
        )],
    };
    Ok(Target {
        label,
        endpoint: endpoint.to_string(),
        clients,
        queues: Arc::new(queues),
        server_pid,
    })
}

/// Accumulates the phases of one target into its report.
struct Accumulator {
    stats: Stats,
    measured: Duration,
    server_cpu: f64,
    generator_cpu: f64,
}

impl Accumulator {
    fn new() -> Accumulator {
        Accumulator {
            stats: Stats::default(),
            measured: Duration::ZERO,
            server_cpu: 0.0,
            generator_cpu: 0.0,
        }
    }

    fn add(&mut self, phase: scenarios::PhaseResult) {
        self.stats.merge(&phase.stats);
        self.measured += phase.measured;
        self.server_cpu += phase.server_cpu;
        self.generator_cpu += phase.generator_cpu;
    }

    fn report(&self, target: &Target, plan: &Plan, protocol: Protocol, queues: usize) -> Report {
        let seconds = self.measured.as_secs_f64().max(1e-9);
        let stats = &self.stats;
        let mut latency_us = std::collections::BTreeMap::new();
        if let Some(summary) = LatencySummary::of(&stats.all) {
            latency_us.insert("all".to_string(), summary);
        }
        for (op, histogram) in &stats.latency {
            if let Some(summary) = LatencySummary::of(histogram) {
                latency_us.insert(op.to_string(), summary);
            }
        }
        let per_s = |n: u64| ((n as f64 / seconds) * 10.0).round() / 10.0;
        let server = target.server_pid.map(|pid| ProcessUsage {
            pid,
            cpu_s: round2(self.server_cpu),
            cpu_cores: round2(self.server_cpu / seconds),
            peak_rss_kib: report::peak_rss_kib(pid),
        });
        Report {
            target: target.label.clone(),
            endpoint: target.endpoint.clone(),
            scenario: plan.scenario.name().to_string(),
            protocol: protocol.name().to_string(),
            connections: plan.connections(),
            producers: plan.producers,
            consumers: plan.consumers,
            queues,
            fifo_groups: plan.fifo_groups,
            message_size: plan.message_size,
            batch: plan.batch,
            receive_max: plan.receive_max as usize,
            wait_time_s: plan.wait_time,
            duration_s: round2(self.measured.as_secs_f64()),
            requests: stats.requests,
            requests_per_s: per_s(stats.requests),
            sent: stats.sent,
            received: stats.received,
            deleted: stats.deleted,
            sent_per_s: per_s(stats.sent),
            received_per_s: per_s(stats.received),
            messages_per_s: if plan.scenario == Scenario::Send {
                per_s(stats.sent)
            } else {
                per_s(stats.received)
            },
            latency_us,
            errors: stats.errors.clone(),
            error_count: stats.error_count(),
            server,
            generator: ProcessUsage {
                pid: std::process::id(),
                cpu_s: round2(self.generator_cpu),
                cpu_cores: round2(self.generator_cpu / seconds),
                peak_rss_kib: None,
            },
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Runs one phase with a live progress line on stderr (drawn only on a terminal).
async fn phase_with_progress(
    target: &Target,
    plan: &Arc<Plan>,
    phase: u64,
    warmup: Duration,
    duration: Duration,
) -> scenarios::PhaseResult {
    let live = Arc::new(Live::default());
    let total = warmup + duration;
    let bar = ProgressBar::new(total.as_millis().max(1) as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:.bold} [{bar:24}] {msg}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.set_prefix(target.label.clone());
    let ticker = {
        let bar = bar.clone();
        let live = live.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut last = (Instant::now(), 0u64, 0u64, 0u64);
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let now = Instant::now();
                let requests = live.requests.load(Ordering::Relaxed);
                let sent = live.sent.load(Ordering::Relaxed);
                let received = live.received.load(Ordering::Relaxed);
                let dt = now.duration_since(last.0).as_secs_f64().max(1e-3);
                let elapsed = now.duration_since(started);
                let stage = if elapsed < warmup {
                    "warm-up"
                } else {
                    "measuring"
                };
                bar.set_position(elapsed.as_millis() as u64);
                bar.set_message(format!(
                    "{stage} {:.1}/{:.1} s · {} req/s · {} sent/s · {} received/s · {} errors",
                    elapsed.as_secs_f64().min(total.as_secs_f64()),
                    total.as_secs_f64(),
                    report::group_digits((requests - last.1) as f64 / dt),
                    report::group_digits((sent - last.2) as f64 / dt),
                    report::group_digits((received - last.3) as f64 / dt),
                    live.errors.load(Ordering::Relaxed),
                ));
                last = (now, requests, sent, received);
            }
        })
    };
    let result = scenarios::run_phase(target, plan, phase, warmup, duration, &live).await;
    ticker.abort();
    bar.finish_and_clear();
    result
}

async fn run_ceiling(load: &LoadArgs, connections: usize) -> anyhow::Result<Report> {
    let server = ChildServer::spawn(
        &[OsString::from("bench"), OsString::from("responder")],
        None,
    )
    .context("starting the ceiling's HTTP responder")?;
    let plan = Arc::new(Plan {
        scenario: Scenario::Send,
        producers: connections,
        consumers: 0,
        message_size: load.message_size as usize,
        batch: load.batch as usize,
        receive_max: 10,
        wait_time: 0,
        fifo_groups: None,
        rate: None,
    });
    let target = connect(
        "ceiling (bare HTTP responder)".into(),
        &server.endpoint,
        load.protocol,
        connections,
        Some(server.pid()),
        None,
    )
    .await?;
    let mut accumulator = Accumulator::new();
    accumulator.add(
        phase_with_progress(
            &target,
            &plan,
            0,
            Duration::from_secs_f64(load.warmup),
            Duration::from_secs_f64(load.duration),
        )
        .await,
    );
    let report = accumulator.report(&target, &plan, load.protocol, 1);
    drop(server);
    Ok(report)
}

async fn run_sqs(args: &SqsArgs) -> anyhow::Result<FullReport> {
    let plan = Arc::new(plan_of(args)?);
    let load = &args.load;
    let connections = plan.connections();
    let names = queue_names(args);
    let fifo = args.fifo_groups.is_some();

    let (server, endpoint, label) = match &args.endpoint {
        Some(endpoint) => (None, endpoint.clone(), format!("endpoint {endpoint}")),
        None => {
            let mut serve_args: Vec<OsString> = ["serve", "--host", "127.0.0.1", "--port", "0"]
                .into_iter()
                .map(OsString::from)
                .collect();
            let (temp_dir, label) = if args.in_memory {
                serve_args.push("--in-memory".into());
                (None, "wharf (in-memory)".to_string())
            } else {
                let (dir, temp) = match &args.data_dir {
                    Some(dir) => (dir.clone(), None),
                    None => {
                        let dir = process::temp_data_dir()?;
                        (dir.clone(), Some(dir))
                    }
                };
                serve_args.push("--data-dir".into());
                serve_args.push(dir.into_os_string());
                serve_args.push("--fsync".into());
                serve_args.push(args.fsync.clone().into());
                (temp, format!("wharf (durable, fsync {})", args.fsync))
            };
            let server =
                ChildServer::spawn(&serve_args, temp_dir).context("starting wharf serve")?;
            let endpoint = server.endpoint.clone();
            (Some(server), endpoint, label)
        }
    };

    let mut targets = vec![
        connect(
            label,
            &endpoint,
            load.protocol,
            connections,
            server.as_ref().map(ChildServer::pid),
            Some((&names, fifo)),
        )
        .await?,
    ];
    if let Some(other) = &args.compare {
        targets.push(
            connect(
                format!("compare {other}"),
                other,
                load.protocol,
                connections,
                None,
                Some((&names, fifo)),
            )
            .await?,
        );
    }
    if plan.scenario == Scenario::Receive {
        for target in &targets {
            let started = Instant::now();
            eprintln!(
                "{}: filling a back-log of {} messages ...",
                target.label, args.backlog
            );
            scenarios::prefill(target, &plan, args.backlog).await?;
            eprintln!(
                "{}: back-log filled in {:.1} s",
                target.label,
                started.elapsed().as_secs_f64()
            );
        }
    }

    let rounds = if targets.len() > 1 { args.rounds } else { 1 };
    let slice = Duration::from_secs_f64(load.duration / rounds as f64);
    let warmup = Duration::from_secs_f64(load.warmup);
    let mut accumulators: Vec<Accumulator> = targets.iter().map(|_| Accumulator::new()).collect();
    for round in 0..rounds {
        for (target, accumulator) in targets.iter().zip(accumulators.iter_mut()) {
            accumulator.add(phase_with_progress(target, &plan, round as u64, warmup, slice).await);
        }
    }
    let queues = names.len();
    let mut reports: Vec<Report> = targets
        .iter()
        .zip(&accumulators)
        .map(|(target, accumulator)| accumulator.report(target, &plan, load.protocol, queues))
        .collect();

    if !args.keep_queues {
        for target in &targets {
            for url in target.queues.iter() {
                if let Err(error) = target.clients[0].delete_queue(url).await {
                    eprintln!("warning: deleting {url}: {error}");
                }
            }
        }
    }
    drop(targets);
    drop(server);

    let ceiling = if args.with_ceiling {
        Some(run_ceiling(load, connections).await?)
    } else {
        None
    };
    let compare = (reports.len() > 1).then(|| reports.remove(1));
    let primary = reports.remove(0);
    Ok(FullReport {
        machine: Machine::detect(),
        ratio_to_ceiling: ceiling
            .as_ref()
            .and_then(|c| ratio(primary.requests_per_s, c.requests_per_s)),
        ratio_to_compare: compare
            .as_ref()
            .and_then(|c| ratio(primary.messages_per_s, c.messages_per_s)),
        primary,
        ceiling,
        compare,
    })
}
