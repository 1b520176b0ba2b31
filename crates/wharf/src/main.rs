//! The `wharf` binary: command line, configuration, wiring of wire layer, engines and store, start-up and
//! shutdown.

mod bench;
mod config;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;
use wharf_sqs::{Sqs, SqsConfig, SystemClock};
use wharf_store::Store;
use wharf_wire::router::BoxFuture;
use wharf_wire::{Admin, App};

use config::{QueueDeclaration, Settings};

/// mimalloc instead of the system allocator: request handling allocates many small, short-lived buffers on
/// several threads (see docs/performance.md for the measured difference).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wharf",
    version,
    about = "A self-hosted server speaking the AWS SQS wire protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server.
    Serve(ServeArgs),
    /// Load generator: benchmark SQS or Kinesis endpoints (or a Wharf it starts) and the HTTP ceiling.
    Bench(bench::BenchArgs),
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented default configuration file.
    Default,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WHARF_HOST")]
    host: Option<String>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "WHARF_PORT")]
    port: Option<u16>,
    /// Directory of the durable store.
    #[arg(long, env = "WHARF_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long, env = "WHARF_IN_MEMORY")]
    in_memory: bool,
    /// The AWS account id in queue URLs and ARNs.
    #[arg(long, env = "WHARF_ACCOUNT_ID")]
    account_id: Option<String>,
    /// The AWS region in ARNs.
    #[arg(long, env = "WHARF_REGION")]
    region: Option<String>,
    /// Base URL of queue URLs handed to clients (for containers and proxies).
    #[arg(long, env = "WHARF_ADVERTISED_URL")]
    advertised_url: Option<String>,
    /// Durability of writes: always, interval:<N>ms or never.
    #[arg(long, env = "WHARF_FSYNC")]
    fsync: Option<String>,
    /// Browser origins allowed to call Wharf, comma-separated: "loopback" (default), "*", or origins such
    /// as http://app.test:8080; empty allows none.
    #[arg(long, env = "WHARF_CORS_ALLOWED_ORIGINS")]
    cors_allowed_origins: Option<String>,
    /// A TOML configuration file.
    #[arg(long, env = "WHARF_CONFIG")]
    config: Option<PathBuf>,
}

fn settle(args: ServeArgs) -> anyhow::Result<Settings> {
    let file = config::load_file(args.config.as_ref())?;
    let fsync_text = args.fsync.or(file.fsync).unwrap_or_else(|| "always".into());
    let settings = Settings {
        host: args
            .host
            .or(file.host)
            .unwrap_or_else(|| "127.0.0.1".into()),
        port: args.port.or(file.port).unwrap_or(4566),
        data_dir: args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./wharf-data")),
        in_memory: args.in_memory || file.in_memory.unwrap_or(false),
        account_id: args
            .account_id
            .or(file.account_id)
            .unwrap_or_else(|| "000000000000".into()),
        region: args
            .region
            .or(file.region)
            .unwrap_or_else(|| "us-east-1".into()),
        advertised_url: args.advertised_url.or(file.advertised_url),
        fsync: config::parse_fsync(&fsync_text)?,
        fsync_text,
        allow_reset: file.allow_reset.unwrap_or(true),
        resident_content_mb: file.resident_content_mb.unwrap_or(32),
        cors: config::parse_cors(
            args.cors_allowed_origins
                .as_deref()
                .map(config::split_origins)
                .or(file.cors_allowed_origins),
        )?,
        queues: file.sqs.queues,
        sns: file.sns,
        kinesis: file.kinesis,
    };
    config::validate_account(&settings.account_id)?;
    Ok(settings)
}

struct Wharf {
    sqs: Arc<Sqs>,
    sns: Arc<wharf_sns::Sns>,
    kinesis: Arc<wharf_kinesis::Kinesis>,
    store: Store,
    settings: Settings,
    started: Instant,
}

impl Wharf {
    async fn create_declared_queues(&self, queues: &[QueueDeclaration]) -> anyhow::Result<()> {
        for queue in dead_letter_targets_first(queues) {
            let input = wharf_sqs::model::CreateQueueInput {
                queue_name: Some(queue.name.clone()),
                attributes: queue.attributes.clone(),
                tags: queue.tags.clone(),
            };
            match self.sqs.create_queue(input).await {
                Ok(_) => {}
                Err(error) if error.kind == wharf_sqs::ErrorKind::QueueNameExists => {
                    // The declaration wins over what an earlier run stored.
                    let url = self.sqs.config().base_url.clone()
                        + "/"
                        + &self.settings.account_id
                        + "/"
                        + &queue.name;
                    let mut attributes = queue.attributes.clone();
                    attributes.remove("FifoQueue");
                    self.sqs
                        .set_queue_attributes(wharf_sqs::model::SetQueueAttributesInput {
                            queue_url: Some(url),
                            attributes: Some(attributes),
                        })
                        .await
                        .with_context(|| format!("configuring declared queue {}", queue.name))?;
                }
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("creating declared queue {}", queue.name))
                }
            }
        }
        Ok(())
    }
}

/// Declared queues in creation order: a queue's dead-letter queue, when it is declared too, before it (a
/// RedrivePolicy must name an existing queue); otherwise in declaration order.
fn dead_letter_targets_first(queues: &[QueueDeclaration]) -> Vec<&QueueDeclaration> {
    let target = |queue: &QueueDeclaration| -> Option<String> {
        let policy: serde_json::Value =
            serde_json::from_str(queue.attributes.get("RedrivePolicy")?).ok()?;
        let arn = policy.get("deadLetterTargetArn")?.as_str()?;
        Some(arn.rsplit(':').next()?.to_string())
    };
    let mut pending: Vec<&QueueDeclaration> = queues.iter().collect();
    let mut ordered: Vec<&QueueDeclaration> = Vec::with_capacity(queues.len());
    while !pending.is_empty() {
        let waits = |queue: &QueueDeclaration, pending: &[&QueueDeclaration]| {
            target(queue).is_some_and(|name| {
                name != queue.name && pending.iter().any(|other| other.name == name)
            })
        };
        let ready = pending.iter().position(|q| !waits(q, &pending));
        // A cycle of dead-letter queues: take the next one as declared (its creation reports the error).
        ordered.push(pending.remove(ready.unwrap_or(0)));
    }
    ordered
}

impl Admin for Wharf {
    fn info(&self) -> serde_json::Value {
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_seconds": self.started.elapsed().as_secs_f64(),
            "storage": {
                "mode": self.store.storage_mode(),
                "fsync": if self.settings.in_memory { "none" } else { self.settings.fsync_text.as_str() },
                "data_dir": (!self.settings.in_memory).then(|| self.settings.data_dir.display().to_string()),
            },
            "account_id": self.settings.account_id,
            "region": self.settings.region,
            "services": {"sqs": {
                "queues": self.sqs.queue_count(),
                "messages": self.sqs.message_count(),
                "resident_content_bytes": self.sqs.resident_content_bytes(),
            },
            "sns": {
                "topics": self.sns.topic_count(),
                "subscriptions": self.sns.subscription_count(),
                "pending_deliveries": self.sns.pending_delivery_count(),
            },
            "kinesis": {"streams": self.kinesis.stream_count()}},
        })
    }

    fn reset(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.sqs.reset().await.map_err(|e| e.to_string())?;
            self.sns.reset().await.map_err(|e| e.to_string())?;
            self.kinesis.reset().await.map_err(|e| e.to_string())?;
            self.create_declared_queues(&self.settings.queues)
                .await
                .map_err(|e| format!("{e:#}"))
        })
    }

    fn reset_enabled(&self) -> bool {
        self.settings.allow_reset
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or(()),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let settings = settle(args)?;
    let listener = tokio::net::TcpListener::bind((settings.host.as_str(), settings.port))
        .await
        .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
    let local = listener.local_addr()?;
    let shown_host = match settings.host.as_str() {
        "0.0.0.0" | "::" => "localhost".to_string(),
        host if host.contains(':') => format!("[{host}]"),
        host => host.to_string(),
    };
    let endpoint = format!("http://{shown_host}:{}", local.port());
    let store = if settings.in_memory {
        Store::in_memory()
    } else {
        let dir = settings.data_dir.clone();
        let policy = settings.fsync;
        tokio::task::spawn_blocking(move || Store::open(&dir, policy))
            .await?
            .with_context(|| format!("opening data directory {}", settings.data_dir.display()))?
    };
    let sqs_config = SqsConfig {
        account_id: settings.account_id.clone(),
        region: settings.region.clone(),
        base_url: settings
            .advertised_url
            .clone()
            .unwrap_or_else(|| endpoint.clone()),
        resident_content_limit: settings.resident_content_mb.saturating_mul(1024 * 1024) as usize,
    };
    let sqs = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || Sqs::open(sqs_config, Arc::new(SystemClock), store))
            .await?
            .map_err(|e| anyhow::anyhow!("recovering SQS state: {e}"))?
    };
    let sns_config = wharf_sns::SnsConfig {
        account_id: settings.account_id.clone(),
        region: settings.region.clone(),
        base_url: sqs.config().base_url.clone(),
        https_accept_invalid_certs: false,
        lambda_functions: settings.sns.lambda_functions.clone(),
        smtp: settings.sns.smtp.clone().map(|smtp| wharf_sns::SmtpConfig {
            host: smtp.host,
            port: smtp.port,
            from: smtp.from,
            username: smtp.username,
            password: smtp.password,
            starttls: smtp.starttls,
            implicit_tls: smtp.implicit_tls,
            accept_invalid_certs: smtp.accept_invalid_certs,
        }),
    };
    let sns = {
        let (store, sqs) = (store.clone(), sqs.clone());
        tokio::task::spawn_blocking(move || {
            wharf_sns::Sns::open(sns_config, Arc::new(SystemClock), store, sqs)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("recovering SNS state: {e}"))?
    };
    // The delivery worker (HTTP/S retries) runs for the server's lifetime.
    let _deliveries = sns.start();
    let mut kinesis_config =
        wharf_kinesis::KinesisConfig::new(settings.account_id.clone(), settings.region.clone());
    if let Some(delay) = settings.kinesis.transition_delay_ms {
        kinesis_config.transition_delay_millis = delay;
    }
    if let Some(limits) = settings.kinesis.throughput_limits {
        kinesis_config.throughput_limits = limits;
    }
    let kinesis = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            wharf_kinesis::Kinesis::open(kinesis_config, Arc::new(SystemClock), store)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("recovering Kinesis state: {e}"))?
    };
    // Messages past their queue's retention period are removed even from queues nobody touches.
    let sqs_retention = sqs.spawn_maintenance(std::time::Duration::from_secs(1));
    // Retention: records older than a stream's retention period are removed in the background.
    let retention = kinesis.spawn_maintenance(std::time::Duration::from_secs(10));
    let wharf = Arc::new(Wharf {
        sqs: sqs.clone(),
        sns: sns.clone(),
        kinesis: kinesis.clone(),
        store: store.clone(),
        settings: settings.clone(),
        started,
    });
    wharf.create_declared_queues(&settings.queues).await?;
    let app = Arc::new(App {
        sqs,
        sns,
        kinesis,
        admin: wharf.clone(),
        cors: settings.cors.clone(),
    });
    let storage = if settings.in_memory {
        "in-memory".to_string()
    } else {
        format!(
            "disk {} (fsync {})",
            settings.data_dir.display(),
            settings.fsync_text
        )
    };
    println!(
        "wharf {} ready on {endpoint} (storage: {storage}, account {}, region {}, {} ms)",
        env!("CARGO_PKG_VERSION"),
        settings.account_id,
        settings.region,
        started.elapsed().as_millis()
    );
    wharf_wire::serve(listener, app, shutdown_signal()).await;
    retention.abort();
    sqs_retention.abort();
    tracing::info!("shutting down: flushing the store");
    tokio::task::spawn_blocking(move || store.flush())
        .await?
        .context("flushing the store")?;
    println!("wharf stopped");
    Ok(())
}

/// Keeps transparent huge pages out of `wharf serve`. mimalloc marks its arenas `MADV_HUGEPAGE`, and a
/// touched 2 MiB huge page is resident as a whole: an idle server sat at ~23 MiB RSS (10 MiB of it five
/// mostly empty huge pages) instead of ~14 MiB, and its p99 latency was higher (docs/performance.md). Same
/// as `MIMALLOC_ALLOW_THP=0`, done in an ELF constructor so that it precedes the allocator's first
/// allocation (std initialises `args` the same way; glibc passes argc/argv to these functions). Only for
/// `serve`: the load generator is faster with huge pages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[link_section = ".init_array.00099"]
static SERVE_WITHOUT_HUGE_PAGES: extern "C" fn(
    libc::c_int,
    *const *const libc::c_char,
    *const *const libc::c_char,
) = {
    extern "C" fn disable(
        argc: libc::c_int,
        argv: *const *const libc::c_char,
        _envp: *const *const libc::c_char,
    ) {
        if argc < 2 || argv.is_null() {
            return;
        }
        // SAFETY: glibc calls .init_array functions with the process's argc and argv (argv[1] exists as
        // argc >= 2); PR_SET_THP_DISABLE only sets a flag of this process.
        unsafe {
            let command = *argv.add(1);
            if !command.is_null() && std::ffi::CStr::from_ptr(command).to_bytes() == b"serve" {
                libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
            }
        }
    }
    disable
};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wharf: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit on open files to the hard limit (as Go's runtime does at start): every connection
/// is a file descriptor, and a server holding thousands of long polls, or the load generator opening them,
/// needs more than the usual soft limit of 1,024.
fn raise_fd_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0
                || limit.rlim_cur >= limit.rlim_max
            {
                return;
            }
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                // macOS refuses more than OPEN_MAX even when the hard limit is unlimited.
                let capped = libc::rlimit {
                    rlim_cur: limit.rlim_max.min(10_240),
                    rlim_max: limit.rlim_max,
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &capped);
            }
        }
    }
}

fn run() -> anyhow::Result<()> {
    raise_fd_limit();
    let filter = tracing_subscriber::EnvFilter::try_from_env("WHARF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,fjall=warn,lsm_tree=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve(args))
        }
        Command::Bench(args) => bench::run(args),
        Command::Config {
            command: ConfigCommand::Default,
        } => {
            print!("{}", config::DEFAULT_CONFIG);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str, dead_letter: Option<&str>) -> QueueDeclaration {
        let mut attributes = std::collections::BTreeMap::new();
        if let Some(target) = dead_letter {
            attributes.insert(
                "RedrivePolicy".to_string(),
                format!(
                    r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:{target}","maxReceiveCount":"3"}}"#
                ),
            );
        }
        QueueDeclaration {
            name: name.to_string(),
            attributes,
            tags: Default::default(),
        }
    }

    #[test]
    fn declared_dead_letter_queues_are_created_before_their_sources() {
        let queues = [
            queue("orders", Some("orders-dlq")),
            queue("other", None),
            queue("orders-dlq", Some("last-resort")),
            queue("last-resort", None),
            queue("external", Some("not-declared")),
        ];
        let order: Vec<&str> = dead_letter_targets_first(&queues)
            .iter()
            .map(|q| q.name.as_str())
            .collect();
        assert_eq!(
            order,
            ["other", "last-resort", "orders-dlq", "orders", "external"]
        );
        // a cycle keeps declaration order
        let cycle = [queue("a", Some("b")), queue("b", Some("a"))];
        let order: Vec<&str> = dead_letter_targets_first(&cycle)
            .iter()
            .map(|q| q.name.as_str())
            .collect();
        assert_eq!(order, ["a", "b"]);
    }
}
