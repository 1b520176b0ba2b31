//! SQS limits and defaults, each as AWS documents it.
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html>
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>

/// Queue names: 1..80 characters of `[A-Za-z0-9_-]`, `.fifo` included for FIFO queues.
pub const MAX_QUEUE_NAME_LEN: usize = 80;
/// `VisibilityTimeout`: 0..43,200 s (12 h), default 30 s.
pub const DEFAULT_VISIBILITY_TIMEOUT: u64 = 30;
pub const MAX_VISIBILITY_TIMEOUT: u64 = 43_200;
/// `MessageRetentionPeriod`: 60 s..14 days, default 4 days.
pub const DEFAULT_RETENTION_PERIOD: u64 = 345_600;
pub const MIN_RETENTION_PERIOD: u64 = 60;
pub const MAX_RETENTION_PERIOD: u64 = 1_209_600;
/// `MaximumMessageSize`: 1,024 B..1 MiB, default 1 MiB (raised from 256 KiB in August 2025).
pub const MIN_MAXIMUM_MESSAGE_SIZE: u64 = 1_024;
pub const MAX_MESSAGE_SIZE: u64 = 1_048_576;
/// `DelaySeconds`: 0..900 s.
pub const MAX_DELAY_SECONDS: u64 = 900;
/// `ReceiveMessageWaitTimeSeconds` / `WaitTimeSeconds`: 0..20 s.
pub const MAX_WAIT_TIME_SECONDS: u64 = 20;
/// `MaxNumberOfMessages`: 1..10.
pub const MAX_RECEIVE_MESSAGES: usize = 10;
/// Batch requests carry 1..10 entries.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// Batch entry ids: up to 80 characters of `[A-Za-z0-9_-]`.
pub const MAX_BATCH_ENTRY_ID_LEN: usize = 80;
/// Message attributes per message.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;
/// Message attribute names: up to 256 characters.
pub const MAX_MESSAGE_ATTRIBUTE_NAME_LEN: usize = 256;
/// `Number` message attribute values: up to 38 significant digits, between 10^-128 and 10^+126 in
/// magnitude (developer guide, sqs-message-metadata.html#sqs-message-attributes).
pub const MAX_NUMBER_PRECISION: usize = 38;
pub const MIN_NUMBER_EXPONENT: i64 = -128;
pub const MAX_NUMBER_EXPONENT: i64 = 126;
/// Message attribute data types: up to 256 characters.
pub const MAX_DATA_TYPE_LEN: usize = 256;
/// FIFO `MessageDeduplicationId` / `MessageGroupId` / `ReceiveRequestAttemptId`: up to 128 characters.
pub const MAX_FIFO_ID_LEN: usize = 128;
/// FIFO deduplication interval (and `ReceiveRequestAttemptId` validity): 5 minutes.
pub const DEDUP_WINDOW_MILLIS: u64 = 5 * 60 * 1000;
/// In-flight messages per standard queue.
pub const MAX_INFLIGHT_STANDARD: usize = 120_000;
/// In-flight messages per FIFO queue.
pub const MAX_INFLIGHT_FIFO: usize = 120_000;
/// `ListQueues` / `ListDeadLetterSourceQueues` `MaxResults`: 1..1,000.
pub const MAX_LIST_RESULTS: usize = 1_000;
/// Tags per queue; key up to 128, value up to 256 characters.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY_LEN: usize = 128;
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// `RedrivePolicy.maxReceiveCount`: 1..1,000.
pub const MAX_RECEIVE_COUNT: u64 = 1_000;
/// `RedriveAllowPolicy` `byQueue`: up to 10 source queue ARNs.
pub const MAX_REDRIVE_ALLOW_SOURCES: usize = 10;
/// A deleted queue's name can be reused after 60 s; `PurgeQueue` once per 60 s.
pub const QUEUE_DELETE_COOLDOWN_MILLIS: u64 = 60_000;
pub const PURGE_COOLDOWN_MILLIS: u64 = 60_000;
/// `KmsDataKeyReusePeriodSeconds`: 60..86,400, default 300.
pub const DEFAULT_KMS_REUSE: u64 = 300;
/// `StartMessageMoveTask` `MaxNumberOfMessagesPerSecond`: 1..500.
pub const MAX_MOVE_RATE: u64 = 500;
/// `ListMessageMoveTasks` `MaxResults`: 1..10, default 1.
pub const MAX_MOVE_TASK_RESULTS: usize = 10;
/// `AddPermission`: "An Amazon SQS policy can have a maximum of seven actions per statement" (API reference).
pub const MAX_PERMISSION_ACTIONS: usize = 7;
/// Queue policy: up to 8,192 bytes (taken from AWS's quota page).
pub const MAX_POLICY_LEN: usize = 8_192;
