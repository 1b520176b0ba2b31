//! Child servers the benchmark starts itself (Wharf, the ceiling responder): spawn the current executable,
//! wait for its `... ready on http://HOST:PORT ...` line, and kill it at the end.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const STDERR_TAIL: usize = 4096;

/// A running child server; killed (and its temporary data directory removed) on drop.
pub struct ChildServer {
    child: Child,
    pub endpoint: String,
    temp_dir: Option<PathBuf>,
}

/// The URL after ` ready on ` in a ready line.
pub fn parse_ready_line(line: &str) -> Option<String> {
    let rest = &line[line.find(" ready on ")? + " ready on ".len()..];
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.to_string())
}

impl ChildServer {
    /// Starts the current executable with `args`; `temp_dir` (if any) is removed when the child is gone.
    pub fn spawn(args: &[OsString], temp_dir: Option<PathBuf>) -> anyhow::Result<ChildServer> {
        let exe = std::env::current_exe().context("locating the wharf executable")?;
        let mut command = Command::new(&exe);
        command.args(args);
        // The benchmark's flags decide how the server runs, not the environment it was started from.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WHARF_") && key != "WHARF_LOG" {
                command.env_remove(key);
            }
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let tail = Arc::new(Mutex::new(String::new()));
        {
            let tail = tail.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stderr);
                let mut buffer = [0u8; 4096];
                while let Ok(n) = reader.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    tail.push_str(&String::from_utf8_lossy(&buffer[..n]));
                    if tail.len() > STDERR_TAIL {
                        let cut = tail.len() - STDERR_TAIL;
                        let cut = (cut..tail.len())
                            .find(|&i| tail.is_char_boundary(i))
                            .unwrap_or(0);
                        tail.drain(..cut);
                    }
                }
            });
        }
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = ready_tx.send(line);
            }
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let mut server = ChildServer {
            child,
            endpoint: String::new(),
            temp_dir,
        };
        let line = match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                server.kill();
                std::thread::sleep(Duration::from_millis(50));
                let stderr = tail.lock().unwrap_or_else(|e| e.into_inner()).clone();
                anyhow::bail!(
                    "the server did not print its ready line within {} s; its stderr:\n{}",
                    READY_TIMEOUT.as_secs(),
                    stderr.trim_end()
                );
            }
        };
        server.endpoint = parse_ready_line(&line)
            .with_context(|| format!("unexpected first line from the server: {line:?}"))?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a Wharf for a run: in memory, or durable in `data_dir` (default: a fresh temporary directory,
/// removed with the server) with `fsync`. Returns the server and a label for reports.
pub fn start_wharf(
    in_memory: bool,
    data_dir: Option<&Path>,
    fsync: &str,
) -> anyhow::Result<(ChildServer, String)> {
    let mut serve_args: Vec<OsString> = ["serve", "--host", "127.0.0.1", "--port", "0"]
        .into_iter()
        .map(OsString::from)
        .collect();
    let (temp_dir, label) = if in_memory {
        serve_args.push("--in-memory".into());
        (None, "wharf (in-memory)".to_string())
    } else {
        let (dir, temp) = match data_dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let dir = temp_data_dir()?;
                (dir.clone(), Some(dir))
            }
        };
        serve_args.push("--data-dir".into());
        serve_args.push(dir.into_os_string());
        serve_args.push("--fsync".into());
        serve_args.push(fsync.into());
        (temp, format!("wharf (durable, fsync {fsync})"))
    };
    let server = ChildServer::spawn(&serve_args, temp_dir).context("starting wharf serve")?;
    Ok((server, label))
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, ...), in KiB; `Threads` as a plain count.
pub fn proc_status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_field(&status, field)
}

fn parse_status_field(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A fresh directory under the system temporary directory for a durable server's data.
pub fn temp_data_dir() -> anyhow::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("wharf-bench-{}-{nanos:09}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ready_lines() {
        assert_eq!(
            parse_ready_line("wharf 0.1.0 ready on http://127.0.0.1:39123 (storage: in-memory, account 000000000000, region us-east-1, 3 ms)"),
            Some("http://127.0.0.1:39123".to_string())
        );
        assert_eq!(
            parse_ready_line("wharf-bench responder ready on http://127.0.0.1:1234"),
            Some("http://127.0.0.1:1234".to_string())
        );
        assert_eq!(parse_ready_line("starting"), None);
    }

    #[test]
    fn parses_status_fields() {
        let status = "Name:\twharf\nVmHWM:\t   45678 kB\nVmRSS:\t 40000 kB\nThreads:\t7\n";
        assert_eq!(parse_status_field(status, "VmRSS"), Some(40000));
        assert_eq!(parse_status_field(status, "VmHWM"), Some(45678));
        assert_eq!(parse_status_field(status, "Threads"), Some(7));
        assert_eq!(parse_status_field(status, "VmSwap"), None);
    }
}
