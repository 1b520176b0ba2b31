//! Shared helpers for the integration tests: start the real `wharf` binary on a free port, build an
//! `aws_sdk_sqs::Client` or `aws_sdk_sns::Client` pointed at it, and a small MD5 for checking the MD5s SQS
//! returns.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls;

/// How long the server may take to print its ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a server keeps its state.
#[derive(Clone, Debug)]
pub enum Storage {
    InMemory,
    DataDir(PathBuf),
}

/// Why a server did not become ready.
#[derive(Debug)]
pub struct StartFailure {
    /// The exit status, if the process exited (None: it was still running at the timeout and was killed).
    pub status: Option<ExitStatus>,
    pub stdout_first_line: Option<String>,
    pub stderr: String,
}

/// A running `wharf serve` child process. Killed (SIGKILL) on drop.
pub struct Server {
    child: Child,
    endpoint: String,
    storage: Storage,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Server {
    /// Starts an in-memory server; panics if it does not become ready.
    pub fn in_memory() -> Server {
        Server::start(Storage::InMemory)
    }

    /// Starts a durable server on `dir`; panics if it does not become ready.
    pub fn with_data_dir(dir: impl AsRef<Path>) -> Server {
        Server::start(Storage::DataDir(dir.as_ref().to_path_buf()))
    }

    pub fn start(storage: Storage) -> Server {
        match Server::try_start(storage) {
            Ok(server) => server,
            Err(failure) => panic!("wharf did not become ready: {failure:#?}"),
        }
    }

    /// Starts the binary and waits for its ready line (at most [`READY_TIMEOUT`]).
    pub fn try_start(storage: Storage) -> Result<Server, StartFailure> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
        command.args(["serve", "--host", "127.0.0.1", "--port", "0"]);
        match &storage {
            Storage::InMemory => {
                command.arg("--in-memory");
            }
            Storage::DataDir(dir) => {
                command.arg("--data-dir").arg(dir);
            }
        }
        // Keep the tests independent of the environment they run in.
        for (key, _) in std::env::vars() {
            if key.starts_with("WHARF_") {
                command.env_remove(key);
            }
        }
        command
            .env("WHARF_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawning the wharf binary");

        // stderr: drained into a buffer for diagnostics (a full pipe would block the server).
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr_buf = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match stderr_pipe.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => stderr_buf
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n])),
                }
            }
        });

        // stdout: the first line goes through the channel, the rest is drained.
        let stdout_pipe = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel::<String>();
        let stdout_reader = std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout_pipe).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            drop(tx);
            for _ in lines.by_ref() {}
        });
        let readers = vec![stderr_reader, stdout_reader];

        let first_line = rx.recv_timeout(READY_TIMEOUT).ok();
        let endpoint = first_line.as_deref().and_then(parse_ready_line);
        match endpoint {
            Some(endpoint) => Ok(Server {
                child,
                endpoint,
                storage,
                stderr,
                readers,
            }),
            None => {
                // Either it exited (no line) or printed something unexpected, or timed out.
                let deadline = Instant::now() + Duration::from_secs(5);
                let mut status = None;
                while Instant::now() < deadline {
                    if let Ok(Some(s)) = child.try_wait() {
                        status = Some(s);
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                if status.is_none() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                for reader in readers {
                    let _ = reader.join();
                }
                let stderr = stderr.lock().unwrap().clone();
                Err(StartFailure {
                    status,
                    stdout_first_line: first_line,
                    stderr,
                })
            }
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// An SDK client for this server.
    pub fn client(&self) -> aws_sdk_sqs::Client {
        client(&self.endpoint)
    }

    /// An SNS SDK client for this server.
    pub fn sns_client(&self) -> aws_sdk_sns::Client {
        sns_client(&self.endpoint)
    }

    /// A Kinesis SDK client for this server.
    pub fn kinesis_client(&self) -> aws_sdk_kinesis::Client {
        kinesis_client(&self.endpoint)
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGKILL: no flush, no clean shutdown. Waits for the process to be gone.
    pub fn kill(mut self) -> Storage {
        self.child.kill().expect("SIGKILL wharf");
        self.child.wait().expect("waiting for wharf");
        self.storage.clone()
        // Drop runs afterwards: kill/wait again are harmless.
    }

    /// SIGTERM (clean shutdown); returns the exit status (waits at most 10 s, then SIGKILLs).
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill -TERM");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() >= deadline {
                panic!("wharf did not exit within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILLs this server and starts a new one on the same storage (use with a data dir).
    pub fn kill_and_restart(self) -> Server {
        let storage = self.kill();
        Server::start(storage)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

/// Extracts the endpoint from `wharf <version> ready on http://127.0.0.1:<port> (...)`.
fn parse_ready_line(line: &str) -> Option<String> {
    if !line.starts_with("wharf ") {
        return None;
    }
    let rest = line.split_once(" ready on ")?.1;
    let endpoint = rest.split_whitespace().next()?;
    endpoint
        .starts_with("http://")
        .then(|| endpoint.to_string())
}

/// The HTTP client of the SDK clients (rustls with ring, no aws-lc).
fn http_client() -> aws_sdk_sqs::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// An SQS client for `endpoint`, built without aws-config.
pub fn client(endpoint: &str) -> aws_sdk_sqs::Client {
    client_in(endpoint, "us-east-1")
}

/// An SQS client for `endpoint` that signs for `region`.
pub fn client_in(endpoint: &str, region: &str) -> aws_sdk_sqs::Client {
    let http_client = http_client();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .endpoint_url(endpoint)
        .http_client(http_client)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// An SNS client for `endpoint`, built like [`client`].
pub fn sns_client(endpoint: &str) -> aws_sdk_sns::Client {
    sns_client_in(endpoint, "us-east-1")
}

/// An SNS client for `endpoint` that signs for `region`.
pub fn sns_client_in(endpoint: &str, region: &str) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .region(aws_sdk_sns::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "AKID", "secret", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .http_client(http_client())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// A Kinesis client for `endpoint`, built like [`client`] (same HTTP client: HTTP/1.1 over plain http).
pub fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    kinesis_client_in(endpoint, "us-east-1")
}

/// A Kinesis client for `endpoint` that signs for `region`.
pub fn kinesis_client_in(endpoint: &str, region: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
        .region(aws_sdk_kinesis::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            "AKID", "secret", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .http_client(http_client())
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

/// `GET url` (plain `http://host:port/path`) over a fresh connection: the status code and the body.
pub fn http_get(url: &str) -> (u16, String) {
    use std::io::Write;
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = std::net::TcpStream::connect(authority).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("reading the response");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_string())
}

/// A queue name unique within this process run (and across concurrent runs).
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

// ---------------------------------------------------------------------------------------------
// MD5 (RFC 1321), small and slow, enough for test bodies.

pub fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    // K[i] = floor(abs(sin(i + 1)) * 2^32)
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();

    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());

    let (mut a0, mut b0, mut c0, mut d0) =
        (0x67452301u32, 0xefcdab89u32, 0x98badcfeu32, 0x10325476u32);
    for block in msg.chunks_exact(64) {
        let m: Vec<u32> = block
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, word) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

pub fn md5_hex(data: &[u8]) -> String {
    md5(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The MD5 SQS computes over message attributes: attributes sorted by name, each encoded as
/// name, data type (length-prefixed, 4-byte big-endian), a transport byte (1 string/number,
/// 2 binary) and the length-prefixed value.
pub fn md5_of_message_attributes(
    attributes: &std::collections::HashMap<String, aws_sdk_sqs::types::MessageAttributeValue>,
) -> String {
    fn push(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort();
    let mut buf = Vec::new();
    for name in names {
        let value = &attributes[name];
        push(&mut buf, name.as_bytes());
        push(&mut buf, value.data_type().as_bytes());
        if let Some(s) = value.string_value() {
            buf.push(1);
            push(&mut buf, s.as_bytes());
        } else if let Some(b) = value.binary_value() {
            buf.push(2);
            push(&mut buf, b.as_ref());
        } else {
            panic!("list attribute values are not supported by this helper");
        }
    }
    md5_hex(&buf)
}

#[test]
fn md5_known_vectors() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        md5_hex(b"The quick brown fox jumps over the lazy dog"),
        "9e107d9d372bb6826bd81d3542a419d6"
    );
    assert_eq!(
        md5_hex(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
}

#[test]
fn ready_line_parsing() {
    assert_eq!(
        parse_ready_line(
            "wharf 0.1.0 ready on http://127.0.0.1:41234 (storage: in-memory, account 000000000000, region us-east-1, 3 ms)"
        )
        .as_deref(),
        Some("http://127.0.0.1:41234")
    );
    assert_eq!(parse_ready_line("something else"), None);
}
