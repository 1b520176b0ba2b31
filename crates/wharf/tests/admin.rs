//! The server's own surface: a config file declaring queues, `--advertised-url`, the admin endpoints
//! (`/health`, `/_wharf/info`, `/_wharf/reset`) and `wharf config default`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Running {
    child: Child,
    endpoint: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .arg("serve")
        .args(["--host", "127.0.0.1", "--port", "0", "--in-memory"])
        .args(args)
        .env("WHARF_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wharf");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let endpoint = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("endpoint in ready line")
        .to_string();
    Running { child, endpoint }
}

/// A minimal HTTP/1.1 request (the admin endpoints are plain HTTP, no SDK involved).
fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

fn sqs_json(endpoint: &str, action: &str, body: &str) -> (u16, serde_json::Value) {
    let target = format!("AmazonSQS.{action}");
    let headers = [
        ("X-Amz-Target", target.as_str()),
        ("Content-Type", "application/x-amz-json-1.0"),
    ];
    let (status, text) = http(endpoint, "POST", "/", body, &headers);
    // Chunked bodies are not expected here: every JSON response carries a Content-Length.
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn declared_queues_reset_and_info() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wharf.toml");
    std::fs::write(
        &config,
        r#"
[[sqs.queues]]
name = "jobs-dlq"

[[sqs.queues]]
name = "jobs"
attributes = { VisibilityTimeout = "60", RedrivePolicy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"5"}' }
tags = { team = "core" }
"#,
    )
    .unwrap();
    let server = start(&[
        "--config",
        config.to_str().unwrap(),
        "--advertised-url",
        "http://wharf.example:9000",
    ]);

    let (status, body) = http(&server.endpoint, "GET", "/health", "", &[]);
    assert_eq!(status, 200, "{body}");

    let (_, listed) = sqs_json(&server.endpoint, "ListQueues", "{}");
    let urls: Vec<&str> = listed["QueueUrls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u.as_str())
        .collect();
    assert_eq!(
        urls,
        vec![
            "http://wharf.example:9000/000000000000/jobs",
            "http://wharf.example:9000/000000000000/jobs-dlq"
        ]
    );
    let (_, attributes) = sqs_json(
        &server.endpoint,
        "GetQueueAttributes",
        r#"{"QueueUrl":"http://wharf.example:9000/000000000000/jobs","AttributeNames":["All"]}"#,
    );
    assert_eq!(attributes["Attributes"]["VisibilityTimeout"], "60");
    assert!(attributes["Attributes"]["RedrivePolicy"]
        .as_str()
        .unwrap()
        .contains("jobs-dlq"));
    let (_, tags) = sqs_json(
        &server.endpoint,
        "ListQueueTags",
        r#"{"QueueUrl":"/000000000000/jobs"}"#,
    );
    assert_eq!(tags["Tags"]["team"], "core");

    // State made at run time disappears on reset; the declared queues come back empty.
    sqs_json(
        &server.endpoint,
        "CreateQueue",
        r#"{"QueueName":"scratch"}"#,
    );
    let (status, _) = sqs_json(
        &server.endpoint,
        "SendMessage",
        r#"{"QueueUrl":"/000000000000/jobs","MessageBody":"x"}"#,
    );
    assert_eq!(status, 200);
    let (_, info) = http(&server.endpoint, "GET", "/_wharf/info", "", &[]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["services"]["sqs"]["queues"], 3);
    assert_eq!(info["services"]["sqs"]["messages"], 1);
    assert_eq!(info["storage"]["mode"], "memory");
    assert!(info["version"].is_string() && info["uptime_seconds"].is_number());

    let (status, body) = http(&server.endpoint, "POST", "/_wharf/reset", "", &[]);
    assert_eq!(status, 200, "{body}");
    let (_, info) = http(&server.endpoint, "GET", "/_wharf/info", "", &[]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["services"]["sqs"]["queues"], 2);
    assert_eq!(info["services"]["sqs"]["messages"], 0);
    let (status, _) = sqs_json(
        &server.endpoint,
        "GetQueueUrl",
        r#"{"QueueName":"scratch"}"#,
    );
    assert_eq!(status, 400);
    // The deleted-recently rule does not block a reset's re-creation, nor a client re-creating after reset.
    let (status, _) = sqs_json(
        &server.endpoint,
        "CreateQueue",
        r#"{"QueueName":"scratch"}"#,
    );
    assert_eq!(status, 200);
}

#[test]
fn reset_can_be_disabled_and_bad_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wharf.toml");
    std::fs::write(&config, "allow_reset = false\n").unwrap();
    let server = start(&["--config", config.to_str().unwrap()]);
    let (status, _) = http(&server.endpoint, "POST", "/_wharf/reset", "", &[]);
    assert_eq!(status, 403);

    std::fs::write(&config, "no_such_key = 1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args([
            "serve",
            "--in-memory",
            "--port",
            "0",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no_such_key"),
        "{:?}",
        output
    );

    let output = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["config", "default"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("fsync = \"always\""));
}
