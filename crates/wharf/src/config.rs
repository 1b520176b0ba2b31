//! Configuration: one TOML file, `WHARF_*` environment variables and command-line flags, in rising order of
//! precedence, validated before start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use wharf_store::FsyncPolicy;

/// The config file's schema (`wharf config default` prints an example).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub in_memory: Option<bool>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub advertised_url: Option<String>,
    pub fsync: Option<String>,
    pub allow_reset: Option<bool>,
    /// MiB of message content kept in memory (durable mode); the rest is read from disk on receive.
    pub resident_content_mb: Option<u64>,
    /// Browser origins allowed to call Wharf: `"*"`, `"loopback"` or origins (`scheme://host[:port]`).
    pub cors_allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    pub sqs: SqsSection,
    #[serde(default)]
    pub sns: SnsSection,
    #[serde(default)]
    pub kinesis: KinesisSection,
}

/// Kinesis settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisSection {
    /// How long streams stay CREATING / UPDATING / DELETING (default 500 ms, like kinesalite and
    /// kinesis-mock; AWS takes seconds); resharding and other UPDATING changes take effect at the end.
    /// 0 makes every transition instant.
    pub transition_delay_ms: Option<u64>,
    /// Per-shard throughput limits (ProvisionedThroughputExceededException); on by default.
    pub throughput_limits: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsSection {
    /// Lambda function name or ARN → base URL of a Lambda Runtime Interface Emulator serving it.
    #[serde(default)]
    pub lambda_functions: BTreeMap<String, String>,
    /// The SMTP server email and email-json subscriptions are delivered through.
    pub smtp: Option<SmtpSection>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub starttls: bool,
    /// SMTPS: TLS from the first byte (port 465) instead of plain SMTP or STARTTLS.
    #[serde(default)]
    pub implicit_tls: bool,
    /// Accept any server certificate (self-signed development relays).
    #[serde(default)]
    pub accept_invalid_certs: bool,
}

impl std::fmt::Debug for SmtpSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("starttls", &self.starttls)
            .field("implicit_tls", &self.implicit_tls)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqsSection {
    #[serde(default)]
    pub queues: Vec<QueueDeclaration>,
}

/// A queue created at start-up (and again after `/_wharf/reset`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueDeclaration {
    pub name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The settled configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub in_memory: bool,
    pub account_id: String,
    pub region: String,
    pub advertised_url: Option<String>,
    pub fsync: FsyncPolicy,
    pub fsync_text: String,
    pub allow_reset: bool,
    pub resident_content_mb: u64,
    pub cors: wharf_wire::cors::Cors,
    pub queues: Vec<QueueDeclaration>,
    pub sns: SnsSection,
    pub kinesis: KinesisSection,
}

pub const DEFAULT_CONFIG: &str = r#"# Wharf configuration. Every key is optional; flags and WHARF_* environment variables override it.
host = "127.0.0.1"
port = 4566
data_dir = "./wharf-data"
in_memory = false
account_id = "000000000000"
region = "us-east-1"
# advertised_url = "http://wharf.internal:4566"   # base of queue URLs handed to clients
fsync = "always"        # "always" | "interval:10ms" | "never"
allow_reset = true      # POST /_wharf/reset
resident_content_mb = 32    # message content kept in RAM; a larger backlog stays on disk until received
# Web pages (AWS SDK for JavaScript in a browser) allowed to call Wharf: "loopback" (http(s)://localhost,
# 127.0.0.1 and [::1] on any port), exact origins such as "http://app.test:8080", or "*" (any page: Wharf
# accepts any credentials). [] allows none. Requests from other origins are refused (403).
cors_allowed_origins = ["loopback"]

# [kinesis]
# transition_delay_ms = 500    # how long streams stay CREATING/UPDATING/DELETING (AWS: seconds; 0: instant)
# throughput_limits = true     # per-shard write/read limits

# Queues created at start-up (and again after a reset).
# [[sqs.queues]]
# name = "jobs-dlq"
# [[sqs.queues]]
# name = "jobs"
# attributes = { VisibilityTimeout = "60", RedrivePolicy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"5"}' }
# tags = { team = "core" }

# SNS "lambda" subscriptions: the function (by name or ARN) is invoked at
# POST {url}/2015-03-31/functions/function/invocations (a Lambda container image's Runtime Interface
# Emulator). Unmapped functions' deliveries are recorded in the outbox.
# [sns.lambda_functions]
# "my-fn" = "http://127.0.0.1:9000"

# SNS "email"/"email-json" subscriptions are mailed through this SMTP server (outbox without it).
# [sns.smtp]
# host = "127.0.0.1"
# port = 1025
# from = "SNS <sns@example.com>"
# username = "user"       # optional
# password = "secret"     # optional
# starttls = false        # optional; true requires STARTTLS (usually port 587)
# implicit_tls = false    # optional; true speaks SMTPS, TLS from the first byte (usually port 465)
# accept_invalid_certs = false   # optional; true accepts self-signed relay certificates
"#;

pub fn parse_fsync(text: &str) -> anyhow::Result<FsyncPolicy> {
    Ok(match text {
        "always" => FsyncPolicy::Always,
        "never" => FsyncPolicy::Never,
        other => match other.strip_prefix("interval:") {
            Some(spec) => {
                let millis = spec
                    .strip_suffix("ms")
                    .map(|n| n.parse::<u64>())
                    .or_else(|| {
                        spec.strip_suffix('s')
                            .map(|n| n.parse::<u64>().map(|s| s * 1000))
                    })
                    .context("fsync interval must look like interval:10ms or interval:1s")?
                    .context("fsync interval must be a whole number")?;
                if millis == 0 {
                    bail!("fsync interval must be positive");
                }
                FsyncPolicy::Interval(Duration::from_millis(millis))
            }
            None => {
                bail!("fsync must be \"always\", \"interval:<N>ms\" or \"never\", not {other:?}")
            }
        },
    })
}

pub fn load_file(path: Option<&PathBuf>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

/// `cors_allowed_origins` from a flag or environment variable: comma-separated, empty for none.
pub fn split_origins(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse_cors(origins: Option<Vec<String>>) -> anyhow::Result<wharf_wire::cors::Cors> {
    match origins {
        None => Ok(wharf_wire::cors::Cors::loopback_only()),
        Some(origins) => wharf_wire::cors::Cors::new(&origins).map_err(anyhow::Error::msg),
    }
}

pub fn validate_account(account: &str) -> anyhow::Result<()> {
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("account id must be 12 digits, not {account:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses() {
        let config: FileConfig = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(config.port, Some(4566));
        assert!(toml::from_str::<FileConfig>("bogus = 1").is_err());
        let uncommented: String = DEFAULT_CONFIG
            .lines()
            .skip_while(|l| !l.contains("[sns.lambda_functions]"))
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let sns: FileConfig = toml::from_str(&uncommented).unwrap();
        assert_eq!(sns.sns.lambda_functions["my-fn"], "http://127.0.0.1:9000");
        let smtp = sns.sns.smtp.unwrap();
        assert_eq!((smtp.port, smtp.starttls), (1025, false));
        assert!(!smtp.implicit_tls && !smtp.accept_invalid_certs);
        let unknown = "[sns.smtp]\nhost = \"h\"\nport = 25\nfrom = \"a@b\"\ntls = true";
        assert!(toml::from_str::<FileConfig>(unknown).is_err());
    }

    #[test]
    fn kinesis_section_parses() {
        let uncommented: String = DEFAULT_CONFIG
            .lines()
            .skip_while(|l| !l.starts_with("# [kinesis]"))
            .take(3)
            .filter_map(|l| l.strip_prefix("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let config: FileConfig = toml::from_str(&uncommented).unwrap();
        assert_eq!(config.kinesis.transition_delay_ms, Some(500));
        assert_eq!(config.kinesis.throughput_limits, Some(true));
        let instant: FileConfig = toml::from_str("[kinesis]\ntransition_delay_ms = 0").unwrap();
        assert_eq!(instant.kinesis.transition_delay_ms, Some(0));
        assert!(toml::from_str::<FileConfig>("[kinesis]\ntransition_delay = 0").is_err());
    }

    #[test]
    fn cors_origins() {
        use wharf_wire::cors::Cors;
        let config: FileConfig = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(
            parse_cors(config.cors_allowed_origins).unwrap(),
            Cors::loopback_only()
        );
        assert_eq!(parse_cors(None).unwrap(), Cors::loopback_only());
        let listed: FileConfig =
            toml::from_str("cors_allowed_origins = [\"http://app.test:8080\"]").unwrap();
        let cors = parse_cors(listed.cors_allowed_origins).unwrap();
        assert!(cors.allows("http://app.test:8080") && !cors.allows("http://localhost:3000"));
        let none: FileConfig = toml::from_str("cors_allowed_origins = []").unwrap();
        assert!(!parse_cors(none.cors_allowed_origins)
            .unwrap()
            .allows("http://localhost"));
        assert!(parse_cors(Some(vec!["app.test".into()])).is_err());
        assert_eq!(
            split_origins(" loopback, https://app.test ,"),
            ["loopback", "https://app.test"]
        );
        assert!(split_origins("").is_empty());
        assert!(parse_cors(Some(split_origins("*")))
            .unwrap()
            .allows("https://x.test"));
    }

    #[test]
    fn fsync_policies() {
        assert_eq!(parse_fsync("always").unwrap(), FsyncPolicy::Always);
        assert_eq!(
            parse_fsync("interval:10ms").unwrap(),
            FsyncPolicy::Interval(Duration::from_millis(10))
        );
        assert_eq!(
            parse_fsync("interval:2s").unwrap(),
            FsyncPolicy::Interval(Duration::from_secs(2))
        );
        assert!(parse_fsync("sometimes").is_err());
    }
}
