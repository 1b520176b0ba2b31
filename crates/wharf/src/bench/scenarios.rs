//! The load itself: producer and consumer workers (one connection each), the scenarios built from them,
//! back-log pre-filling, and one timed phase (warm-up, then a measurement window) against one target.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::time::sleep_until;

use super::client::{CallError, SendEntry, SqsClient};
use super::report::{cpu_seconds, Stats};

/// What the load does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Producers only: SendMessage (or SendMessageBatch with --batch > 1) in a closed loop.
    Send,
    /// Consumers only: receive + delete a back-log filled before the measurement.
    Receive,
    /// Producers and consumers on one queue: send → receive → delete, with end-to-end latency.
    Steady,
    /// Like steady over many queues (--queues): producers rotate over them, consumers drain them.
    Fanin,
    /// --pollers long polls (one connection each) on an empty queue: idle server CPU over a quiet window,
    /// then send → receive latency of messages sent one at a time (see idle.rs).
    IdlePolls,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Send => "send",
            Scenario::Receive => "receive",
            Scenario::Steady => "steady",
            Scenario::Fanin => "fanin",
            Scenario::IdlePolls => "idle-polls",
        }
    }
}

/// The shape of the load, shared by every phase of a run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    pub producers: usize,
    pub consumers: usize,
    pub message_size: usize,
    pub batch: usize,
    pub receive_max: u32,
    pub wait_time: u32,
    pub fifo_groups: Option<u32>,
    /// Total send rate in messages per second (None: as fast as the producers go).
    pub rate: Option<f64>,
}

impl Plan {
    pub fn connections(&self) -> usize {
        self.producers + self.consumers
    }
}

/// One endpoint under load: a client (connection) per worker and the queues the run created.
pub struct Target {
    pub label: String,
    pub endpoint: String,
    /// Producers first, then consumers.
    pub clients: Vec<SqsClient>,
    pub queues: Arc<Vec<String>>,
    pub server_pid: Option<u32>,
}

/// Counters for the live progress line (all requests, warm-up included).
#[derive(Default)]
pub struct Live {
    pub requests: AtomicU64,
    pub sent: AtomicU64,
    pub received: AtomicU64,
    pub errors: AtomicU64,
}

/// What one phase measured.
pub struct PhaseResult {
    pub stats: Stats,
    pub measured: Duration,
    pub server_cpu: f64,
    pub generator_cpu: f64,
}

#[derive(Clone, Copy)]
struct Window {
    measure_start: Instant,
    deadline: Instant,
}

impl Window {
    fn measuring(&self, at: Instant) -> bool {
        at >= self.measure_start
    }
}

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Microseconds on this process's monotonic clock (the stamp message bodies carry).
pub fn now_micros() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

const STAMP_DIGITS: usize = 20;

/// A body of `size` bytes (at least 21) that starts with the time it was made: `<20 digits>|xxxx...`.
pub fn stamped_body(size: usize, stamp: u64) -> String {
    let mut body = vec![b'x'; size.max(STAMP_DIGITS + 1)];
    let mut rest = stamp;
    for digit in body[..STAMP_DIGITS].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    body[STAMP_DIGITS] = b'|';
    String::from_utf8(body).expect("digits, '|' and 'x' are ASCII")
}

/// The stamp of a body made by [`stamped_body`].
pub fn body_stamp(body: &str) -> Option<u64> {
    if body.as_bytes().get(STAMP_DIGITS) != Some(&b'|') {
        return None;
    }
    body[..STAMP_DIGITS].parse().ok()
}

fn micros_between(from: Instant, to: Instant) -> u64 {
    to.saturating_duration_since(from).as_micros() as u64
}

fn message_entries(
    plan: &Plan,
    count: usize,
    phase: u64,
    worker: usize,
    seq: u64,
) -> Vec<SendEntry> {
    // Every message of a request carries the same stamp, so the body is made once.
    let body = stamped_body(plan.message_size, now_micros());
    (0..count)
        .map(|k| {
            let (group_id, dedup_id) = match plan.fifo_groups {
                Some(groups) => {
                    let n = seq * count as u64 + k as u64 + worker as u64;
                    (
                        Some(format!("g{}", n % groups as u64)),
                        Some(format!("{phase}-{worker}-{seq}-{k}")),
                    )
                }
                None => (None, None),
            };
            SendEntry {
                body: body.clone(),
                group_id,
                dedup_id,
            }
        })
        .collect()
}

async fn send_entries(
    client: &SqsClient,
    queue: &str,
    entries: &[SendEntry],
) -> Result<Vec<String>, CallError> {
    if entries.len() == 1 {
        client.send(queue, &entries[0]).await.map(|()| Vec::new())
    } else {
        client.send_batch(queue, entries).await
    }
}

/// Pauses after a failed request so an unreachable endpoint does not turn into a busy loop.
async fn back_off(error: &CallError, deadline: Instant) {
    if matches!(error.code.as_str(), "ConnectError" | "TransportError") {
        let until = (Instant::now() + Duration::from_millis(20)).min(deadline);
        sleep_until(until.into()).await;
    }
}

struct Worker {
    plan: Arc<Plan>,
    client: SqsClient,
    queues: Arc<Vec<String>>,
    live: Arc<Live>,
    window: Window,
    phase: u64,
    index: usize,
}

/// Returns the stats and when the worker stopped.
async fn producer(worker: Worker) -> (Stats, Instant) {
    let Worker {
        plan,
        client,
        queues,
        live,
        window,
        phase,
        index,
    } = worker;
    let mut stats = Stats::default();
    let mut seq: u64 = 0;
    // Each request carries `batch` messages; the producers share the rate evenly.
    let interval = plan
        .rate
        .filter(|r| *r > 0.0)
        .map(|rate| Duration::from_secs_f64(plan.batch as f64 * plan.producers as f64 / rate));
    // Stagger paced producers so their requests do not all start on the same tick.
    let mut next_at = Instant::now()
        + interval.map_or(Duration::ZERO, |i| {
            i.mul_f64(index as f64 / plan.producers.max(1) as f64)
        });
    loop {
        if let Some(interval) = interval {
            if next_at >= window.deadline {
                break;
            }
            sleep_until(next_at.into()).await;
            next_at += interval;
        }
        if Instant::now() >= window.deadline {
            break;
        }
        let queue = &queues[(index + seq as usize) % queues.len()];
        let entries = message_entries(&plan, plan.batch, phase, index, seq);
        seq += 1;
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = send_entries(&client, queue, &entries) => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        live.requests.fetch_add(1, Ordering::Relaxed);
        let measuring = window.measuring(done);
        match outcome {
            Ok(failed) => {
                let ok = (entries.len() - failed.len().min(entries.len())) as u64;
                live.sent.fetch_add(ok, Ordering::Relaxed);
                if !failed.is_empty() {
                    live.errors
                        .fetch_add(failed.len() as u64, Ordering::Relaxed);
                }
                if measuring {
                    stats.record_request("send", micros_between(started, done));
                    stats.sent += ok;
                    for code in &failed {
                        stats.record_error(code);
                    }
                }
            }
            Err(error) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                if measuring {
                    stats.record_error(&error.code);
                }
                back_off(&error, window.deadline).await;
            }
        }
    }
    (stats, Instant::now().min(window.deadline))
}

/// Returns the stats and when the worker stopped (early in `receive` once the back-log is drained).
async fn consumer(worker: Worker, consumers: usize) -> (Stats, Instant) {
    let Worker {
        plan,
        client,
        queues,
        live,
        window,
        index,
        ..
    } = worker;
    let mut stats = Stats::default();
    // Consumer i drains queues i, i + consumers, ...; with more consumers than queues they share.
    let mine: Vec<&String> = if consumers >= queues.len() {
        vec![&queues[index % queues.len()]]
    } else {
        queues.iter().skip(index).step_by(consumers).collect()
    };
    let end_to_end = plan.scenario != Scenario::Receive;
    let mut turn = 0usize;
    let mut empty_in_a_row = 0;
    loop {
        if Instant::now() >= window.deadline {
            break;
        }
        let queue = mine[turn % mine.len()];
        turn += 1;
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = client.receive(queue, plan.receive_max, plan.wait_time) => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        live.requests.fetch_add(1, Ordering::Relaxed);
        let measuring = window.measuring(done);
        let messages = match outcome {
            Ok(messages) => messages,
            Err(error) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                if measuring {
                    stats.record_error(&error.code);
                }
                back_off(&error, window.deadline).await;
                continue;
            }
        };
        if measuring {
            stats.record_request("receive", micros_between(started, done));
        }
        if messages.is_empty() {
            empty_in_a_row += 1;
            if plan.scenario == Scenario::Receive && empty_in_a_row >= 3 {
                return (stats, done);
            }
            continue;
        }
        empty_in_a_row = 0;
        live.received
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        if measuring {
            stats.received += messages.len() as u64;
            if end_to_end {
                let now = now_micros();
                for message in &messages {
                    if let Some(stamp) = body_stamp(&message.body) {
                        stats.record_end_to_end(now.saturating_sub(stamp));
                    }
                }
            }
        }
        let handles: Vec<String> = messages.into_iter().map(|m| m.receipt_handle).collect();
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = async {
                if handles.len() == 1 {
                    client.delete(queue, &handles[0]).await.map(|()| Vec::new())
                } else {
                    client.delete_batch(queue, &handles).await
                }
            } => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        live.requests.fetch_add(1, Ordering::Relaxed);
        let measuring = window.measuring(done);
        match outcome {
            Ok(failed) => {
                if !failed.is_empty() {
                    live.errors
                        .fetch_add(failed.len() as u64, Ordering::Relaxed);
                }
                if measuring {
                    stats.record_request("delete", micros_between(started, done));
                    stats.deleted += (handles.len() - failed.len().min(handles.len())) as u64;
                    for code in &failed {
                        stats.record_error(code);
                    }
                }
            }
            Err(error) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                if measuring {
                    stats.record_error(&error.code);
                }
                back_off(&error, window.deadline).await;
            }
        }
    }
    (stats, Instant::now().min(window.deadline))
}

/// Runs one phase: `warmup` (not recorded), then `duration` measured. The live counters keep counting.
pub async fn run_phase(
    target: &Target,
    plan: &Arc<Plan>,
    phase: u64,
    warmup: Duration,
    duration: Duration,
    live: &Arc<Live>,
) -> PhaseResult {
    let measure_start = Instant::now() + warmup;
    let window = Window {
        measure_start,
        deadline: measure_start + duration,
    };
    let mut handles = Vec::with_capacity(target.clients.len());
    for (slot, client) in target.clients.iter().enumerate() {
        let is_producer = slot < plan.producers;
        let worker = Worker {
            plan: plan.clone(),
            client: client.clone(),
            queues: target.queues.clone(),
            live: live.clone(),
            window,
            phase,
            index: if is_producer {
                slot
            } else {
                slot - plan.producers
            },
        };
        let consumers = plan.consumers;
        handles.push(if is_producer {
            tokio::spawn(producer(worker))
        } else {
            tokio::spawn(consumer(worker, consumers))
        });
    }
    let server_cpu = |pid: Option<u32>| pid.and_then(|pid| cpu_seconds(&pid.to_string()));
    sleep_until(measure_start.into()).await;
    let server_before = server_cpu(target.server_pid);
    let generator_before = cpu_seconds("self");
    let mut stats = Stats::default();
    let mut last_stop = measure_start;
    for handle in handles {
        if let Ok((worker_stats, stopped)) = handle.await {
            stats.merge(&worker_stats);
            last_stop = last_stop.max(stopped);
        }
    }
    let server_after = server_cpu(target.server_pid);
    let generator_after = cpu_seconds("self");
    let delta = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) => (after - before).max(0.0),
        _ => 0.0,
    };
    PhaseResult {
        stats,
        measured: last_stop
            .min(window.deadline)
            .saturating_duration_since(measure_start),
        server_cpu: delta(server_before, server_after),
        generator_cpu: delta(generator_before, generator_after),
    }
}

/// Fills the target's queues with `count` messages (batches of 10 over every connection) before a
/// `receive` run.
pub async fn prefill(target: &Target, plan: &Arc<Plan>, count: usize) -> anyhow::Result<()> {
    let remaining = Arc::new(AtomicI64::new(count as i64));
    let mut handles = Vec::new();
    for (index, client) in target.clients.iter().enumerate() {
        let client = client.clone();
        let remaining = remaining.clone();
        let queues = target.queues.clone();
        let plan = plan.clone();
        handles.push(tokio::spawn(async move {
            let mut seq = 0u64;
            loop {
                let before = remaining.fetch_sub(10, Ordering::Relaxed);
                if before <= 0 {
                    return Ok::<(), anyhow::Error>(());
                }
                let take = before.min(10) as usize;
                let entries = message_entries(&plan, take, u64::MAX, index, seq);
                let queue = &queues[(index + seq as usize) % queues.len()];
                seq += 1;
                let failed = send_entries(&client, queue, &entries)
                    .await
                    .map_err(|e| anyhow::anyhow!("filling the back-log: {e}"))?;
                if let Some(code) = failed.first() {
                    anyhow::bail!("filling the back-log: a batch entry failed with {code}");
                }
            }
        }));
    }
    for handle in handles {
        handle.await??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_their_stamp() {
        let body = stamped_body(100, 1_234_567);
        assert_eq!(body.len(), 100);
        assert_eq!(body_stamp(&body), Some(1_234_567));
        let short = stamped_body(5, 42);
        assert_eq!(short.len(), 21);
        assert_eq!(body_stamp(&short), Some(42));
        assert_eq!(body_stamp("hello"), None);
        assert_eq!(body_stamp("0000000000000000000a|"), None);
    }
}
