//! `wharf bench sqs --scenario idle-polls`: many concurrent long polls on an empty queue. Each poller holds
//! its own HTTP/1.1 connection (one request in flight per connection) and re-issues its ReceiveMessage
//! (WaitTimeSeconds 20 by default) whenever it returns. Once every poller is connected and waiting, the
//! server's CPU time is read from `/proc/<pid>/stat` over a quiet window; then messages are sent one at a
//! time and the send → receive latency is measured from the send stamp in each body to the moment a poller
//! got it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tokio::sync::{mpsc, Semaphore};

use super::client::{SendEntry, SqsClient};
use super::process::{proc_status_field, start_wharf, ChildServer};
use super::report::{
    cpu_seconds, group_digits, new_histogram, render_tail, LatencySummary, Machine, ProcessUsage,
};
use super::scenarios::{body_stamp, now_micros, stamped_body};
use super::SqsArgs;

/// Options of the idle-polls scenario (part of `wharf bench sqs`).
#[derive(Args, Clone, Debug)]
pub struct IdleArgs {
    /// idle-polls: concurrent long polls, one HTTP/1.1 connection each.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pollers: u32,
    /// idle-polls: seconds over which the server's CPU is measured once every poll is waiting.
    #[arg(long, default_value_t = 10.0)]
    pub quiet_window: f64,
    /// idle-polls: messages sent one at a time after the quiet window (send → receive latency).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub probe_messages: u32,
}

/// How many pollers connect at the same time (the listener's accept backlog is finite).
const CONNECT_CONCURRENCY: usize = 256;
/// After every poller is connected, time for the last long polls to reach the server: 0.25 s plus 0.1 ms
/// per poller, at most 2 s.
fn settle(pollers: u32) -> Duration {
    (Duration::from_millis(250) + Duration::from_micros(100) * pollers).min(Duration::from_secs(2))
}
/// How long a probe message may take to arrive before it counts as lost.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between two probe messages.
const PROBE_GAP: Duration = Duration::from_millis(10);

/// Everything an idle-polls run measured.
#[derive(Clone, Debug, Serialize)]
pub struct IdleReport {
    pub machine: Machine,
    pub target: String,
    pub endpoint: String,
    pub scenario: &'static str,
    pub protocol: String,
    pub pollers: u32,
    pub wait_time_s: u32,
    /// Seconds until every poller had its connection (a first, non-waiting receive answered).
    pub connect_s: f64,
    pub quiet_window_s: f64,
    /// Server CPU over the quiet window, as a fraction of one core (None when the server is not local).
    pub idle_cpu_cores: Option<f64>,
    /// Long polls that returned inside the quiet window (and were re-issued).
    pub polls_returned_in_window: u64,
    /// Server resident set size at the end of the quiet window, in KiB.
    pub server_rss_kib: Option<u64>,
    pub server_threads: Option<u64>,
    pub probes_sent: u64,
    pub probes_received: u64,
    /// Microseconds: `send` (the SendMessage request) and `end_to_end` (send start → poller got it).
    pub latency_us: BTreeMap<String, LatencySummary>,
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
    /// Quiet-window usage (peak RSS at the end of the run).
    pub server: Option<ProcessUsage>,
    pub generator: ProcessUsage,
}

/// State shared by the pollers and the driver.
struct Shared {
    connected: AtomicU64,
    returned: AtomicU64,
    stop: AtomicBool,
    errors: Mutex<BTreeMap<String, u64>>,
    /// Stamps of received probe messages, with the microseconds they took.
    probes: mpsc::UnboundedSender<(u64, u64)>,
}

impl Shared {
    fn error(&self, code: &str) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        *errors.entry(code.to_string()).or_default() += 1;
    }
}

pub async fn run(args: &SqsArgs) -> anyhow::Result<IdleReport> {
    let idle = &args.idle;
    if !(idle.quiet_window > 0.0 && idle.quiet_window <= 3600.0) {
        anyhow::bail!("--quiet-window must be between 0 and 3600 seconds");
    }
    let wait_time = args.wait_time.map_or(20, u32::from);
    let protocol = args.load.protocol;
    let (server, endpoint, label): (Option<ChildServer>, String, String) = match &args.endpoint {
        Some(endpoint) => (None, endpoint.clone(), format!("endpoint {endpoint}")),
        None => {
            let (server, label) =
                start_wharf(args.in_memory, args.data_dir.as_deref(), &args.fsync)?;
            let endpoint = server.endpoint.clone();
            (Some(server), endpoint, label)
        }
    };
    let server_pid = server.as_ref().map(ChildServer::pid);
    let fifo = args.fifo_groups.is_some();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let name = format!(
        "wharf-bench-idle-{}-{nonce}{}",
        std::process::id(),
        if fifo { ".fifo" } else { "" }
    );
    let sender = SqsClient::new(&endpoint, protocol)?;
    let queue = Arc::new(
        sender
            .create_queue(&name, fifo)
            .await
            .with_context(|| format!("creating queue {name} on {endpoint}"))?,
    );

    let (probe_tx, mut probe_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        connected: AtomicU64::new(0),
        returned: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        errors: Mutex::new(BTreeMap::new()),
        probes: probe_tx,
    });
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let started = Instant::now();
    eprintln!(
        "{label}: connecting {} pollers ...",
        group_digits(idle.pollers as f64)
    );
    let mut pollers = Vec::with_capacity(idle.pollers as usize);
    for _ in 0..idle.pollers {
        let client = SqsClient::new(&endpoint, protocol)?;
        pollers.push(tokio::spawn(poller(
            client,
            queue.clone(),
            wait_time,
            args.receive_max.into(),
            shared.clone(),
            gate.clone(),
        )));
    }
    let connect_deadline =
        started + Duration::from_secs(60) + Duration::from_millis(idle.pollers as u64 * 5);
    while shared.connected.load(Ordering::Relaxed) < idle.pollers as u64 {
        if Instant::now() > connect_deadline {
            stop(&shared, pollers);
            anyhow::bail!(
                "only {} of {} pollers connected (errors: {:?})",
                shared.connected.load(Ordering::Relaxed),
                idle.pollers,
                shared.errors.lock().unwrap_or_else(|e| e.into_inner())
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_s = started.elapsed().as_secs_f64();
    eprintln!(
        "{label}: {} pollers connected in {connect_s:.1} s; quiet window of {:.0} s ...",
        group_digits(idle.pollers as f64),
        idle.quiet_window
    );
    tokio::time::sleep(settle(idle.pollers)).await;

    // The quiet window: nothing is sent; the pollers wait (and re-issue the polls that end).
    let window = Duration::from_secs_f64(idle.quiet_window);
    let returned_before = shared.returned.load(Ordering::Relaxed);
    let server_before = server_pid.and_then(|pid| cpu_seconds(&pid.to_string()));
    let generator_before = cpu_seconds("self");
    let window_start = Instant::now();
    tokio::time::sleep(window).await;
    let measured = window_start.elapsed().as_secs_f64();
    let server_after = server_pid.and_then(|pid| cpu_seconds(&pid.to_string()));
    let generator_after = cpu_seconds("self");
    let polls_returned_in_window = shared.returned.load(Ordering::Relaxed) - returned_before;
    let server_rss_kib = server_pid.and_then(|pid| proc_status_field(pid, "VmRSS"));
    let server_threads = server_pid.and_then(|pid| proc_status_field(pid, "Threads"));
    let delta = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) => Some((after - before).max(0.0)),
        _ => None,
    };
    let server_cpu = delta(server_before, server_after);
    let generator_cpu = delta(generator_before, generator_after).unwrap_or(0.0);

    // Probes: one message at a time, each waited for before the next is sent.
    if idle.probe_messages > 0 {
        eprintln!(
            "{label}: sending {} messages one at a time ...",
            idle.probe_messages
        );
    }
    let mut send_latency = new_histogram();
    let mut end_to_end = new_histogram();
    let mut probes_sent = 0;
    let mut probes_received = 0;
    for seq in 0..idle.probe_messages {
        let stamp = now_micros();
        let entry = SendEntry {
            body: stamped_body(args.load.message_size as usize, stamp),
            group_id: fifo.then(|| "g0".to_string()),
            dedup_id: fifo.then(|| format!("probe-{seq}")),
        };
        let begun = Instant::now();
        if let Err(error) = sender.send(&queue, &entry).await {
            shared.error(&error.code);
            continue;
        }
        send_latency.saturating_record((begun.elapsed().as_micros() as u64).max(1));
        probes_sent += 1;
        let deadline = tokio::time::Instant::now() + PROBE_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, probe_rx.recv()).await {
                Ok(Some((got, micros))) => {
                    if got == stamp {
                        end_to_end.saturating_record(micros.max(1));
                        probes_received += 1;
                        break;
                    }
                    // A late probe of an earlier round (counted lost already): ignore it.
                }
                Ok(None) => break,
                Err(_) => {
                    shared.error("ProbeNotReceivedIn5s");
                    break;
                }
            }
        }
        tokio::time::sleep(PROBE_GAP).await;
    }

    stop(&shared, pollers);
    if !args.keep_queues {
        if let Err(error) = sender.delete_queue(&queue).await {
            eprintln!("warning: deleting {queue}: {error}");
        }
    }
    let mut latency_us = BTreeMap::new();
    if let Some(summary) = LatencySummary::of(&send_latency) {
        latency_us.insert("send".to_string(), summary);
    }
    if let Some(summary) = LatencySummary::of(&end_to_end) {
        latency_us.insert("end_to_end".to_string(), summary);
    }
    let errors = shared
        .errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let round = |v: f64, digits: i32| {
        let scale = 10f64.powi(digits);
        (v * scale).round() / scale
    };
    let report = IdleReport {
        machine: Machine::detect(),
        target: label,
        endpoint,
        scenario: "idle-polls",
        protocol: protocol.name().to_string(),
        pollers: idle.pollers,
        wait_time_s: wait_time,
        connect_s: round(connect_s, 2),
        quiet_window_s: round(measured, 2),
        idle_cpu_cores: server_cpu.map(|cpu| round(cpu / measured, 4)),
        polls_returned_in_window,
        server_rss_kib,
        server_threads,
        probes_sent,
        probes_received,
        latency_us,
        error_count: errors.values().sum(),
        errors,
        server: server_pid.zip(server_cpu).map(|(pid, cpu)| ProcessUsage {
            pid,
            cpu_s: round(cpu, 2),
            cpu_cores: round(cpu / measured, 4),
            peak_rss_kib: proc_status_field(pid, "VmHWM"),
        }),
        generator: ProcessUsage {
            pid: std::process::id(),
            cpu_s: round(generator_cpu, 2),
            cpu_cores: round(generator_cpu / measured, 4),
            peak_rss_kib: None,
        },
    };
    drop(server);
    Ok(report)
}

fn stop(shared: &Shared, pollers: Vec<tokio::task::JoinHandle<()>>) {
    shared.stop.store(true, Ordering::Relaxed);
    for poller in pollers {
        poller.abort();
    }
}

/// One poller: connects with a non-waiting receive (at most `CONNECT_CONCURRENCY` at a time), then long
/// polls until stopped, deleting what it receives and reporting the probes' latency.
async fn poller(
    client: SqsClient,
    queue: Arc<String>,
    wait_time: u32,
    max: u32,
    shared: Arc<Shared>,
    gate: Arc<Semaphore>,
) {
    {
        let Ok(_permit) = gate.acquire().await else {
            return;
        };
        let mut attempts = 0;
        while let Err(error) = client.receive(&queue, 1, 0).await {
            shared.error(&error.code);
            attempts += 1;
            if attempts >= 10 || shared.stop.load(Ordering::Relaxed) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    shared.connected.fetch_add(1, Ordering::Relaxed);
    while !shared.stop.load(Ordering::Relaxed) {
        let outcome = client.receive(&queue, max, wait_time).await;
        shared.returned.fetch_add(1, Ordering::Relaxed);
        let messages = match outcome {
            Ok(messages) => messages,
            Err(error) => {
                shared.error(&error.code);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let now = now_micros();
        for message in messages {
            if let Some(stamp) = body_stamp(&message.body) {
                let _ = shared.probes.send((stamp, now.saturating_sub(stamp)));
            }
            if let Err(error) = client.delete(&queue, &message.receipt_handle).await {
                shared.error(&error.code);
            }
        }
    }
}

impl IdleReport {
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "machine: {} × {}\n\n{} — {}\n",
            self.machine.nproc, self.machine.cpu_model, self.target, self.endpoint
        );
        let _ = writeln!(
            out,
            "  idle-polls over {}: {} long polls (WaitTimeSeconds {}), one connection each, all connected in {:.1} s",
            self.protocol,
            group_digits(self.pollers as f64),
            self.wait_time_s,
            self.connect_s
        );
        let cpu = match self.idle_cpu_cores {
            Some(cores) => format!("server CPU {:.2}% of one core", cores * 100.0),
            None => "server CPU unknown (not a local process)".to_string(),
        };
        let rss = self
            .server_rss_kib
            .map(|kib| format!(", RSS {:.1} MiB", kib as f64 / 1024.0))
            .unwrap_or_default();
        let threads = self
            .server_threads
            .map(|n| format!(", {n} threads"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  quiet window {:.1} s: {cpu}{rss}{threads}; {} polls returned and were re-issued in it",
            self.quiet_window_s,
            group_digits(self.polls_returned_in_window as f64)
        );
        let _ = writeln!(
            out,
            "  probes      {} sent one at a time, {} received by a waiting poll",
            self.probes_sent, self.probes_received
        );
        render_tail(
            &mut out,
            &self.latency_us,
            &["send", "end_to_end"],
            "send→recv",
            (&self.errors, self.error_count),
            self.server.as_ref(),
            &self.generator,
        );
        let mut verdicts = Vec::new();
        if let Some(cores) = self.idle_cpu_cores {
            verdicts.push(format!(
                "idle CPU < 2%: {}",
                if cores < 0.02 { "met" } else { "missed" }
            ));
        }
        if let Some(e2e) = self.latency_us.get("end_to_end") {
            let lost = self.probes_sent > self.probes_received;
            verdicts.push(format!(
                "received within 5 ms: {} (p99 {} ms, max {} ms{})",
                if e2e.p99 <= 5_000 && !lost {
                    "met"
                } else {
                    "missed"
                },
                super::report::ms(e2e.p99),
                super::report::ms(e2e.max),
                if lost { ", some never arrived" } else { "" }
            ));
        }
        if !verdicts.is_empty() {
            let _ = writeln!(out, "  issue #4    {}", verdicts.join("; "));
        }
        out
    }
}
