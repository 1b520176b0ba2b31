//! Measurements and their presentation: HDR latency histograms, per-run counters, process resource usage
//! from `/proc`, the machine description, and the human and JSON reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are recorded in microseconds, from 1 µs to an hour, with 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// The latency operations a report breaks down.
pub const OPS: [&str; 4] = ["send", "receive", "delete", "end_to_end"];

/// What one worker (or, merged, one run) measured inside the measurement window.
pub struct Stats {
    pub requests: u64,
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    /// Latency per operation: `send`, `receive`, `delete`, `end_to_end` (send start to receive end).
    pub latency: BTreeMap<&'static str, Histogram<u64>>,
    /// Every request's latency, whatever its operation.
    pub all: Histogram<u64>,
    pub errors: BTreeMap<String, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            requests: 0,
            sent: 0,
            received: 0,
            deleted: 0,
            latency: OPS.iter().map(|op| (*op, new_histogram())).collect(),
            all: new_histogram(),
            errors: BTreeMap::new(),
        }
    }
}

impl Stats {
    pub fn record_request(&mut self, op: &'static str, micros: u64) {
        self.requests += 1;
        self.all.saturating_record(micros.max(1));
        if let Some(histogram) = self.latency.get_mut(op) {
            histogram.saturating_record(micros.max(1));
        }
    }

    pub fn record_end_to_end(&mut self, micros: u64) {
        if let Some(histogram) = self.latency.get_mut("end_to_end") {
            histogram.saturating_record(micros.max(1));
        }
    }

    pub fn record_error(&mut self, code: &str) {
        *self.errors.entry(code.to_string()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        self.requests += other.requests;
        self.sent += other.sent;
        self.received += other.received;
        self.deleted += other.deleted;
        for (op, histogram) in &other.latency {
            if let Some(mine) = self.latency.get_mut(op) {
                let _ = mine.add(histogram);
            }
        }
        let _ = self.all.add(&other.all);
        for (code, count) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Percentiles of one histogram, in microseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    pub fn of(histogram: &Histogram<u64>) -> Option<LatencySummary> {
        if histogram.is_empty() {
            return None;
        }
        Some(LatencySummary {
            count: histogram.len(),
            mean: (histogram.mean() * 10.0).round() / 10.0,
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        })
    }
}

/// CPU time and peak memory of a process over the measurement.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessUsage {
    pub pid: u32,
    /// User + system CPU seconds spent inside the measurement windows.
    pub cpu_s: f64,
    /// `cpu_s` divided by the measured seconds: how many cores it kept busy on average.
    pub cpu_cores: f64,
    /// Peak resident set size (`VmHWM`) at the end, in KiB (None for the load generator itself).
    pub peak_rss_kib: Option<u64>,
}

/// Linux reports CPU times in clock ticks of `USER_HZ`, which is 100 on every mainstream architecture.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU seconds of `pid` (`self` for this process) so far.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu(&stat)
}

fn parse_stat_cpu(stat: &str) -> Option<f64> {
    // The command name (field 2) is parenthesised and may hold spaces: fields after it start at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS_PER_SECOND)
}

/// Peak resident set size (`VmHWM`) of `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine the numbers were measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
        }
    }
}

/// One run against one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// What was measured: `wharf (in-memory)`, `wharf (durable, fsync always)`, `ceiling`, or the URL.
    pub target: String,
    pub endpoint: String,
    pub scenario: String,
    pub protocol: String,
    pub connections: usize,
    pub producers: usize,
    pub consumers: usize,
    pub queues: usize,
    pub fifo_groups: Option<u32>,
    pub message_size: usize,
    pub batch: usize,
    pub receive_max: usize,
    pub wait_time_s: u32,
    /// Seconds inside the measurement windows (warm-up excluded).
    pub duration_s: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    pub sent_per_s: f64,
    pub received_per_s: f64,
    /// The scenario's message rate: sends for `send`, receives otherwise.
    pub messages_per_s: f64,
    /// Microseconds, per operation plus `all` requests.
    pub latency_us: BTreeMap<String, LatencySummary>,
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
    pub server: Option<ProcessUsage>,
    pub generator: ProcessUsage,
}

/// Everything one invocation measured.
#[derive(Clone, Debug, Serialize)]
pub struct FullReport {
    pub machine: Machine,
    #[serde(flatten)]
    pub primary: Report,
    pub ceiling: Option<Report>,
    /// `requests_per_s` of the primary run divided by the ceiling's.
    pub ratio_to_ceiling: Option<f64>,
    pub compare: Option<Report>,
    /// `messages_per_s` of the primary run divided by that of the compared endpoint.
    pub ratio_to_compare: Option<f64>,
}

pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| ((numerator / denominator) * 10_000.0).round() / 10_000.0)
}

/// `1234567.8` → `1,234,568`.
pub fn group_digits(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        n => n,
    };
    let mut out = digits[..head].to_string();
    for chunk in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    if rounded < 0 {
        out.insert(0, '-');
    }
    out
}

/// Microseconds as milliseconds with two decimals.
pub fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

fn size(bytes: usize) -> String {
    if bytes >= 1024 && (bytes / 1024) * 1024 == bytes {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

impl Report {
    /// The human-readable block for this run.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.target, self.endpoint);
        let mix = match (self.producers, self.consumers) {
            (p, 0) => format!("{p} producers"),
            (0, c) => format!("{c} consumers"),
            (p, c) => format!("{p} producers + {c} consumers"),
        };
        let mut shape = format!(
            "  {} over {}: {} connections ({mix}), {} messages, batch {}",
            self.scenario,
            self.protocol,
            self.connections,
            size(self.message_size),
            self.batch
        );
        if self.consumers > 0 {
            let _ = write!(
                shape,
                ", receive up to {} (wait {} s)",
                self.receive_max, self.wait_time_s
            );
        }
        if self.queues > 1 {
            let _ = write!(shape, ", {} queues", self.queues);
        }
        if let Some(groups) = self.fifo_groups {
            let _ = write!(shape, ", FIFO with {groups} groups");
        }
        let _ = writeln!(out, "{shape}; {:.1} s measured", self.duration_s);
        let _ = write!(
            out,
            "  throughput  {} req/s",
            group_digits(self.requests_per_s)
        );
        if self.sent > 0 {
            let _ = write!(out, " · {} msgs/s sent", group_digits(self.sent_per_s));
        }
        if self.received > 0 {
            let _ = write!(
                out,
                " · {} msgs/s received",
                group_digits(self.received_per_s)
            );
        }
        let _ = writeln!(out, "  ({} requests)", group_digits(self.requests as f64));
        render_tail(
            &mut out,
            &self.latency_us,
            &["all", "send", "receive", "delete", "end_to_end"],
            "end-to-end",
            (&self.errors, self.error_count),
            self.server.as_ref(),
            &self.generator,
        );
        out
    }
}

/// The latency table, errors and process usage that end every text report (SQS and Kinesis alike).
pub fn render_tail(
    out: &mut String,
    latency_us: &BTreeMap<String, LatencySummary>,
    operations: &[&str],
    end_to_end_label: &str,
    (errors, error_count): (&BTreeMap<String, u64>, u64),
    server: Option<&ProcessUsage>,
    generator: &ProcessUsage,
) {
    let _ = writeln!(
        out,
        "  latency ms  {:<12}{:>9}{:>9}{:>9}{:>9}{:>9}{:>11}",
        "", "p50", "p90", "p99", "p99.9", "max", "count"
    );
    for op in operations {
        if let Some(summary) = latency_us.get(*op) {
            let label = if *op == "end_to_end" {
                end_to_end_label
            } else {
                op
            };
            let _ = writeln!(
                out,
                "              {:<12}{:>9}{:>9}{:>9}{:>9}{:>9}{:>11}",
                label,
                ms(summary.p50),
                ms(summary.p90),
                ms(summary.p99),
                ms(summary.p999),
                ms(summary.max),
                group_digits(summary.count as f64)
            );
        }
    }
    if errors.is_empty() {
        let _ = writeln!(out, "  errors      none");
    } else {
        let list: Vec<String> = errors
            .iter()
            .map(|(code, count)| format!("{code} × {count}"))
            .collect();
        let _ = writeln!(out, "  errors      {error_count} ({})", list.join(", "));
    }
    if let Some(server) = server {
        let rss = server
            .peak_rss_kib
            .map(|kib| format!(", peak RSS {:.1} MiB", kib as f64 / 1024.0))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  server      pid {}: CPU {:.2} s ({:.2} cores){rss}",
            server.pid, server.cpu_s, server.cpu_cores
        );
    }
    let _ = writeln!(
        out,
        "  generator   CPU {:.2} s ({:.2} cores)",
        generator.cpu_s, generator.cpu_cores
    );
}

impl FullReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "machine: {} × {}\n\n",
            self.machine.nproc, self.machine.cpu_model
        );
        out.push_str(&self.primary.render());
        if let Some(compare) = &self.compare {
            out.push('\n');
            out.push_str(&compare.render());
        }
        if let Some(ceiling) = &self.ceiling {
            out.push('\n');
            out.push_str(&ceiling.render());
        }
        if self.compare.is_some() || self.ceiling.is_some() {
            out.push('\n');
        }
        if let (Some(compare), Some(ratio)) = (&self.compare, self.ratio_to_compare) {
            let _ = writeln!(
                out,
                "ratio: {} / {} = {:.2}× messages/s ({} vs {})",
                self.primary.target,
                compare.target,
                ratio,
                group_digits(self.primary.messages_per_s),
                group_digits(compare.messages_per_s)
            );
        }
        if let (Some(ceiling), Some(ratio)) = (&self.ceiling, self.ratio_to_ceiling) {
            let _ = writeln!(
                out,
                "ratio: {} = {:.1}% of the HTTP ceiling's requests/s ({} vs {})",
                self.primary.target,
                ratio * 100.0,
                group_digits(self.primary.requests_per_s),
                group_digits(ceiling.requests_per_s)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_percentiles() {
        let mut stats = Stats::default();
        for micros in 1..=1000u64 {
            stats.record_request("send", micros * 10);
        }
        let mut other = Stats::default();
        other.record_request("receive", 50_000);
        other.record_error("QueueDoesNotExist");
        other.record_error("QueueDoesNotExist");
        stats.merge(&other);
        assert_eq!(stats.requests, 1001);
        assert_eq!(stats.error_count(), 2);
        let send = LatencySummary::of(&stats.latency["send"]).unwrap();
        assert_eq!(send.count, 1000);
        assert!((4990..=5010).contains(&send.p50), "{send:?}");
        assert!((8990..=9010).contains(&send.p90), "{send:?}");
        assert!((9890..=9910).contains(&send.p99), "{send:?}");
        assert!((9980..=10_010).contains(&send.max), "{send:?}");
        let all = LatencySummary::of(&stats.all).unwrap();
        assert!((49_900..=50_100).contains(&all.max), "{all:?}");
        assert!(LatencySummary::of(&stats.latency["delete"]).is_none());
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(group_digits(0.4), "0");
        assert_eq!(group_digits(999.0), "999");
        assert_eq!(group_digits(1000.0), "1,000");
        assert_eq!(group_digits(1_234_567.8), "1,234,568");
        assert_eq!(group_digits(-12_345.0), "-12,345");
        assert_eq!(ms(1234), "1.23");
        assert_eq!(ms(15), "0.01");
        assert_eq!(ratio(3.0, 4.0), Some(0.75));
        assert_eq!(ratio(3.0, 0.0), None);
    }

    #[test]
    fn parses_proc_files() {
        let stat =
            "1234 (wharf (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 5 0 100 0 0";
        assert_eq!(parse_stat_cpu(stat), Some(3.25));
        let status = "Name:\twharf\nVmPeak:\t  100 kB\nVmHWM:\t   45678 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(45678));
    }
}
