//! `wharf bench startup`: starts `wharf serve` again and again on an empty data directory (durable) or in
//! memory, and measures the time from spawning the process to the first successful `GET /ready`, and the
//! server's resident memory (`VmRSS` from `/proc`) right after and once it has idled.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::process::{proc_status_field, temp_data_dir};
use super::report::Machine;

#[derive(Args)]
pub struct StartupArgs {
    /// Starts per storage mode.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    runs: u32,
    /// Storage modes to start: both, durable or in-memory.
    #[arg(long, value_enum, default_value = "both")]
    mode: ModeChoice,
    /// fsync policy of the durable starts.
    #[arg(long, default_value = "always")]
    fsync: String,
    /// Seconds each started server idles before its idle RSS is read.
    #[arg(long, default_value_t = 1.0)]
    idle: f64,
    /// Print a machine-readable JSON report instead of the text one.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ModeChoice {
    Both,
    Durable,
    InMemory,
}

/// How long one start may take before the run fails.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause between two `/ready` probes while the server starts.
const PROBE_INTERVAL: Duration = Duration::from_micros(500);

/// min / median / max of one measure.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Some(Spread {
            min: round(sorted[0]),
            median: round(median),
            max: round(sorted[n - 1]),
        })
    }
}

/// One start.
#[derive(Clone, Debug, Serialize)]
pub struct Start {
    /// Spawn → first `200` from `GET /ready`, in milliseconds.
    pub ready_ms: f64,
    /// What the server itself printed in its ready line (process start → listening), in milliseconds.
    pub self_reported_ms: Option<f64>,
    pub rss_at_ready_kib: Option<u64>,
    pub rss_idle_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
    pub threads_idle: Option<u64>,
}

/// All starts of one storage mode.
#[derive(Clone, Debug, Serialize)]
pub struct ModeReport {
    pub mode: String,
    pub runs: usize,
    pub ready_ms: Option<Spread>,
    pub self_reported_ms: Option<Spread>,
    pub rss_at_ready_mib: Option<Spread>,
    pub rss_idle_mib: Option<Spread>,
    pub peak_rss_mib: Option<Spread>,
    pub threads_idle: Option<Spread>,
    pub starts: Vec<Start>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StartupReport {
    pub machine: Machine,
    pub idle_s: f64,
    pub modes: Vec<ModeReport>,
}

pub fn run(args: StartupArgs) -> anyhow::Result<()> {
    if !(0.0..=600.0).contains(&args.idle) {
        anyhow::bail!("--idle must be between 0 and 600 seconds");
    }
    let modes: &[bool] = match args.mode {
        ModeChoice::Both => &[true, false],
        ModeChoice::InMemory => &[true],
        ModeChoice::Durable => &[false],
    };
    let mut report = StartupReport {
        machine: Machine::detect(),
        idle_s: args.idle,
        modes: Vec::new(),
    };
    for &in_memory in modes {
        let label = if in_memory {
            "in-memory".to_string()
        } else {
            format!("durable (empty data directory, fsync {})", args.fsync)
        };
        let mut starts = Vec::with_capacity(args.runs as usize);
        let progress = std::io::stderr().is_terminal();
        for run in 0..args.runs {
            if progress {
                eprint!("\r{label}: start {}/{} ", run + 1, args.runs);
            }
            starts.push(
                start_once(in_memory, &args.fsync, Duration::from_secs_f64(args.idle))
                    .with_context(|| format!("{label}, start {}", run + 1))?,
            );
        }
        if progress {
            eprintln!();
        }
        report.modes.push(summarize(label, starts));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}

fn summarize(mode: String, starts: Vec<Start>) -> ModeReport {
    let mib = |kib: Option<u64>| kib.map(|k| k as f64 / 1024.0);
    let spread = |f: &dyn Fn(&Start) -> Option<f64>| {
        Spread::of(&starts.iter().filter_map(f).collect::<Vec<_>>())
    };
    ModeReport {
        mode,
        runs: starts.len(),
        ready_ms: spread(&|s| Some(s.ready_ms)),
        self_reported_ms: spread(&|s| s.self_reported_ms),
        rss_at_ready_mib: spread(&|s| mib(s.rss_at_ready_kib)),
        rss_idle_mib: spread(&|s| mib(s.rss_idle_kib)),
        peak_rss_mib: spread(&|s| mib(s.peak_rss_kib)),
        threads_idle: spread(&|s| s.threads_idle.map(|n| n as f64)),
        starts,
    }
}

/// A port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `GET /ready` answered 200.
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

/// The milliseconds in `wharf ... ready on ... (..., 12 ms)`.
fn self_reported_ms(line: &str) -> Option<f64> {
    let rest = line.trim_end().strip_suffix(" ms)")?;
    rest.rsplit([' ', ',', '(']).next()?.parse().ok()
}

struct Started {
    child: Child,
    temp_dir: Option<PathBuf>,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn start_once(in_memory: bool, fsync: &str, idle: Duration) -> anyhow::Result<Start> {
    // A port taken between the probe and the bind makes the server exit: try again with another.
    let mut last_error = None;
    for _ in 0..3 {
        match try_start(in_memory, fsync, idle) {
            Ok(Some(start)) => return Ok(start),
            Ok(None) => last_error = Some(anyhow::anyhow!("the server exited before it was ready")),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("the server did not start")))
}

fn try_start(in_memory: bool, fsync: &str, idle: Duration) -> anyhow::Result<Option<Start>> {
    let port = free_port()?;
    let mut args: Vec<OsString> = vec![
        "serve".into(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string().into(),
    ];
    let temp_dir = if in_memory {
        args.push("--in-memory".into());
        None
    } else {
        let dir = temp_data_dir()?;
        args.push("--data-dir".into());
        args.push(dir.clone().into_os_string());
        args.push("--fsync".into());
        args.push(fsync.into());
        Some(dir)
    };
    let exe = std::env::current_exe().context("locating the wharf executable")?;
    let mut command = Command::new(&exe);
    command.args(&args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WHARF_") && key != "WHARF_LOG" {
            command.env_remove(key);
        }
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let spawned_at = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let mut started = Started { child, temp_dir };
    let stdout = started.child.stdout.take().expect("stdout is piped");
    let (line_tx, line_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = line_tx.send(line);
        }
        for _ in lines {}
    });
    let ready_ms = loop {
        if ready(port) {
            break spawned_at.elapsed().as_secs_f64() * 1000.0;
        }
        if started.child.try_wait()?.is_some() {
            return Ok(None);
        }
        if spawned_at.elapsed() > READY_TIMEOUT {
            anyhow::bail!(
                "not ready within {} s on port {port}",
                READY_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(PROBE_INTERVAL);
    };
    let pid = started.child.id();
    let rss_at_ready_kib = proc_status_field(pid, "VmRSS");
    let self_reported = line_rx
        .recv_timeout(Duration::from_secs(2))
        .ok()
        .and_then(|line| self_reported_ms(&line));
    std::thread::sleep(idle);
    Ok(Some(Start {
        ready_ms: (ready_ms * 100.0).round() / 100.0,
        self_reported_ms: self_reported,
        rss_at_ready_kib,
        rss_idle_kib: proc_status_field(pid, "VmRSS"),
        peak_rss_kib: proc_status_field(pid, "VmHWM"),
        threads_idle: proc_status_field(pid, "Threads"),
    }))
}

impl StartupReport {
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "machine: {} × {}\n",
            self.machine.nproc, self.machine.cpu_model
        );
        let row = |out: &mut String, name: &str, spread: &Option<Spread>, unit: &str| {
            if let Some(s) = spread {
                let _ = writeln!(
                    out,
                    "  {name:<30}{:>10.2}{:>10.2}{:>10.2} {unit}",
                    s.min, s.median, s.max
                );
            }
        };
        for mode in &self.modes {
            let _ = writeln!(out, "\nwharf serve, {} — {} starts", mode.mode, mode.runs);
            let _ = writeln!(
                out,
                "  {:<30}{:>10}{:>10}{:>10}",
                "", "min", "median", "max"
            );
            row(&mut out, "spawn → /ready 200", &mode.ready_ms, "ms");
            row(
                &mut out,
                "start-up it reports itself",
                &mode.self_reported_ms,
                "ms",
            );
            row(&mut out, "RSS when ready", &mode.rss_at_ready_mib, "MiB");
            let idle = format!("RSS after {:.1} s idle", self.idle_s);
            row(&mut out, &idle, &mode.rss_idle_mib, "MiB");
            row(&mut out, "peak RSS (VmHWM)", &mode.peak_rss_mib, "MiB");
            row(&mut out, "threads (idle)", &mode.threads_idle, "");
            let mut verdicts = Vec::new();
            if let Some(ready) = &mode.ready_ms {
                verdicts.push(format!(
                    "start-up ≤ 100 ms: {} (median)",
                    if ready.median <= 100.0 {
                        "met"
                    } else {
                        "missed"
                    }
                ));
            }
            if let Some(rss) = &mode.rss_idle_mib {
                verdicts.push(format!(
                    "idle RSS ≤ 20 MB: {} (median {:.1} MiB = {:.1} MB)",
                    if rss.median * 1.048_576 <= 20.0 {
                        "met"
                    } else {
                        "missed"
                    },
                    rss.median,
                    rss.median * 1.048_576
                ));
            }
            let _ = writeln!(out, "  issue #4    {}", verdicts.join("; "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_and_ready_lines() {
        assert_eq!(
            Spread::of(&[3.0, 1.0, 2.0]),
            Some(Spread {
                min: 1.0,
                median: 2.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[4.0, 1.0]).unwrap().median, 2.5);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(
            self_reported_ms("wharf 0.1.0 ready on http://127.0.0.1:1 (storage: in-memory, account 000000000000, region us-east-1, 3 ms)"),
            Some(3.0)
        );
        assert_eq!(self_reported_ms("wharf ready"), None);
    }
}
