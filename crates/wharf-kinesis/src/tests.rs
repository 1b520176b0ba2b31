//! Engine scenarios with an injected clock.

use std::sync::Arc;

use wharf_store::Store;

use crate::model::*;
use crate::{seq, ErrorKind, Kinesis, KinesisConfig, ManualClock};

const T0: u64 = 1_700_000_000_000;

fn engine_with(config: KinesisConfig, store: Store) -> (Arc<Kinesis>, ManualClock) {
    let clock = ManualClock::new(T0);
    let kinesis = Kinesis::open(config, Arc::new(clock.clone()), store).unwrap();
    (kinesis, clock)
}

/// Instant transitions: most scenarios are not about them.
fn instant() -> KinesisConfig {
    KinesisConfig {
        transition_delay_millis: 0,
        ..Default::default()
    }
}

fn engine() -> (Arc<Kinesis>, ManualClock) {
    engine_with(instant(), Store::in_memory())
}

fn named(name: &str) -> StreamRef {
    StreamRef {
        stream_name: Some(name.into()),
        ..Default::default()
    }
}

async fn create(kinesis: &Kinesis, name: &str, shards: i64) {
    kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some(name.into()),
            shard_count: Some(shards),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn put(kinesis: &Kinesis, name: &str, key: &str, data: &[u8]) -> PutRecordOutput {
    kinesis
        .put_record(PutRecordInput {
            stream: named(name),
            data: Some(Blob(data.to_vec())),
            partition_key: Some(key.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn put_hash(kinesis: &Kinesis, name: &str, hash: u128, data: &[u8]) -> PutRecordOutput {
    kinesis
        .put_record(PutRecordInput {
            stream: named(name),
            data: Some(Blob(data.to_vec())),
            partition_key: Some("k".into()),
            explicit_hash_key: Some(hash.to_string()),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn iterator(kinesis: &Kinesis, name: &str, shard: &str, kind: &str, seq: Option<&str>) -> String {
    kinesis
        .get_shard_iterator(GetShardIteratorInput {
            stream: named(name),
            shard_id: Some(shard.into()),
            shard_iterator_type: Some(kind.into()),
            starting_sequence_number: seq.map(String::from),
            ..Default::default()
        })
        .unwrap()
        .shard_iterator
}

async fn get(kinesis: &Kinesis, it: &str, limit: Option<i64>) -> GetRecordsOutput {
    kinesis
        .get_records(GetRecordsInput {
            shard_iterator: Some(it.into()),
            limit,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The ListShards page that follows the one whose `NextToken` is `token`.
fn shards_after(kinesis: &Kinesis, token: Option<String>) -> ListShardsOutput {
    kinesis
        .list_shards(ListShardsInput {
            next_token: token,
            ..Default::default()
        })
        .unwrap()
}

/// Registers consumer `consumer` on stream `name`; its ARN.
async fn register_consumer(kinesis: &Kinesis, name: &str, consumer: &str) -> String {
    kinesis
        .register_stream_consumer(RegisterStreamConsumerInput {
            stream_arn: Some(describe(kinesis, name).stream_arn),
            consumer_name: Some(consumer.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .consumer
        .consumer_arn
}

fn describe(kinesis: &Kinesis, name: &str) -> StreamDescription {
    kinesis
        .describe_stream(DescribeStreamInput {
            stream: named(name),
            ..Default::default()
        })
        .unwrap()
        .stream_description
}

#[tokio::test]
async fn create_put_get_round_trip() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    let description = describe(&kinesis, "s");
    assert_eq!(description.stream_status, "ACTIVE");
    assert_eq!(
        description.stream_arn,
        "arn:aws:kinesis:us-east-1:000000000000:stream/s"
    );
    assert_eq!(description.shards.len(), 1);
    assert_eq!(description.shards[0].shard_id, "shardId-000000000000");
    assert_eq!(
        description.shards[0].hash_key_range.ending_hash_key,
        u128::MAX.to_string()
    );
    let first = put(&kinesis, "s", "a", b"one").await;
    clock.advance_millis(5);
    let second = put(&kinesis, "s", "b", b"two").await;
    assert_eq!(first.shard_id, "shardId-000000000000");
    let a = seq::parse(&first.sequence_number).unwrap();
    let b = seq::parse(&second.sequence_number).unwrap();
    assert!(a < b);

    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    let out = get(&kinesis, &it, None).await;
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.records[0].data.0, b"one");
    assert_eq!(out.records[0].partition_key, "a");
    assert_eq!(out.records[0].approximate_arrival_timestamp, Timestamp(T0));
    assert_eq!(
        out.records[1].approximate_arrival_timestamp,
        Timestamp(T0 + 5)
    );
    assert_eq!(out.millis_behind_latest, 0);
    // The next iterator is positioned after the last record: nothing new yet.
    let next = out.next_shard_iterator.unwrap();
    assert!(get(&kinesis, &next, None).await.records.is_empty());
    put(&kinesis, "s", "c", b"three").await;
    let out = get(&kinesis, &next, None).await;
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].data.0, b"three");

    // AT / AFTER_SEQUENCE_NUMBER and LATEST (a second later: a shard serves 5 GetRecords a second).
    clock.advance_millis(1000);
    let at = iterator(
        &kinesis,
        "s",
        "0",
        "AT_SEQUENCE_NUMBER",
        Some(&second.sequence_number),
    );
    assert_eq!(get(&kinesis, &at, None).await.records[0].data.0, b"two");
    let after = iterator(
        &kinesis,
        "s",
        "0",
        "AFTER_SEQUENCE_NUMBER",
        Some(&second.sequence_number),
    );
    assert_eq!(
        get(&kinesis, &after, None).await.records[0].data.0,
        b"three"
    );
    let latest = iterator(&kinesis, "s", "shardId-000000000000", "LATEST", None);
    assert!(get(&kinesis, &latest, None).await.records.is_empty());
    // Limit and MillisBehindLatest.
    clock.advance_millis(1000);
    let limited = get(&kinesis, &it, Some(1)).await;
    assert_eq!(limited.records.len(), 1);
    assert_eq!(limited.millis_behind_latest, 2005);
}

#[tokio::test]
async fn partition_keys_route_by_md5_hash_range() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 4).await;
    // MD5("a") starts with 0x0c: the first quarter of the key space.
    assert_eq!(
        put(&kinesis, "s", "a", b"").await.shard_id,
        "shardId-000000000000"
    );
    // MD5("b") = 92eb5ffee6ae2fec3ad71c777531578f: third quarter.
    assert_eq!(
        put(&kinesis, "s", "b", b"").await.shard_id,
        "shardId-000000000002"
    );
    assert_eq!(
        put_hash(&kinesis, "s", u128::MAX, b"").await.shard_id,
        "shardId-000000000003"
    );
    assert_eq!(
        put_hash(&kinesis, "s", (1u128 << 126) - 1, b"")
            .await
            .shard_id,
        "shardId-000000000000"
    );
    assert_eq!(
        put_hash(&kinesis, "s", 1u128 << 126, b"").await.shard_id,
        "shardId-000000000001"
    );
    let error = kinesis
        .put_record(PutRecordInput {
            stream: named("s"),
            data: Some(Blob(vec![])),
            partition_key: Some("k".into()),
            explicit_hash_key: Some("340282366920938463463374607431768211456".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert_eq!(
        error.message,
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value \
         was 340282366920938463463374607431768211456"
    );
}

#[tokio::test]
async fn errors_match_aws() {
    let (kinesis, _) = engine();
    let error = kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("bad/name".into()),
            shard_count: Some(0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Validation);
    assert_eq!(
        error.message,
        // The stream's name after the other members, as AWS lists them (kinesalite's recordings).
        "2 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member \
         must have value greater than or equal to 1; Value 'bad/name' at 'streamName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let error = kinesis.describe_stream(DescribeStreamInput {
        stream: named("nope"),
        ..Default::default()
    });
    let error = error.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    assert_eq!(
        error.message,
        "Stream nope under account 000000000000 not found."
    );
    create(&kinesis, "s", 1).await;
    let error = kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("s".into()),
            shard_count: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    assert_eq!(
        error.message,
        "Stream s under account 000000000000 already exists."
    );
    let error = kinesis
        .get_shard_iterator(GetShardIteratorInput {
            stream: named("s"),
            shard_id: Some("shardId-000000000001".into()),
            shard_iterator_type: Some("LATEST".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        error.message,
        "Shard shardId-000000000001 in stream s under account 000000000000 does not exist"
    );
    let error = kinesis
        .get_shard_iterator(GetShardIteratorInput {
            stream: named("s"),
            shard_id: Some("shardId-0".into()),
            shard_iterator_type: Some("AT_SEQUENCE_NUMBER".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(error
        .message
        .ends_with("Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."));
    let other_shard = seq::compose(T0, 5, 1).to_string();
    let error = kinesis
        .get_shard_iterator(GetShardIteratorInput {
            stream: named("s"),
            shard_id: Some("shardId-0".into()),
            shard_iterator_type: Some("AT_SEQUENCE_NUMBER".into()),
            starting_sequence_number: Some(other_shard),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        error.message,
        "Invalid StartingSequenceNumber. It encodes shardId-000000000005, while it was used in a call \
         to a shard with shardId-000000000000"
    );
    let error = kinesis
        .get_records(GetRecordsInput {
            shard_iterator: Some("garbage".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    let error = kinesis
        .get_records(GetRecordsInput {
            shard_iterator: Some("x".into()),
            limit: Some(10_001),
            ..Default::default()
        })
        .await
        .unwrap_err();
    // Documented as InvalidArgumentException, not a validation error.
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert_eq!(
        error.message,
        "Limit 10001 is greater than the maximum of 10000."
    );
    let error = kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(9000),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert!(error
        .message
        .starts_with("Maximum allowed retention period is 8760 hours."));
}

#[tokio::test]
async fn iterators_expire_after_five_minutes() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    clock.advance_millis(300_000);
    let out = get(&kinesis, &it, None).await;
    clock.advance_millis(1);
    let error = kinesis
        .get_records(GetRecordsInput {
            shard_iterator: Some(it),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ExpiredIterator);
    assert_eq!(
        error.message,
        "Iterator expired. The iterator was created at time Tue Nov 14 22:13:20 UTC 2023 while right now \
         it is Tue Nov 14 22:18:20 UTC 2023 which is further in the future than the tolerated delay of \
         300000 milliseconds."
    );
    // The iterator handed out by GetRecords is fresh.
    get(&kinesis, &out.next_shard_iterator.unwrap(), None).await;
}

#[tokio::test]
async fn readers_of_an_empty_closed_shard_reach_its_end() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 1).await;
    let consumer_arn = register_consumer(&kinesis, "s", "c").await;
    // Split before any record was written: the parent closes empty.
    kinesis
        .split_shard(SplitShardInput {
            stream: named("s"),
            shard_to_split: Some("shardId-000000000000".into()),
            new_starting_hash_key: Some("100".into()),
        })
        .await
        .unwrap();
    for kind in ["TRIM_HORIZON", "LATEST"] {
        let it = iterator(&kinesis, "s", "shardId-000000000000", kind, None);
        let out = get(&kinesis, &it, None).await;
        assert!(out.records.is_empty());
        assert!(
            out.next_shard_iterator.is_none(),
            "{kind}: the end, not another iterator"
        );
        assert_eq!(out.child_shards.unwrap().len(), 2, "{kind}");
    }
    let mut subscription = subscribe(&kinesis, &consumer_arn).await.unwrap();
    let end = subscription.next_event().await.unwrap().unwrap();
    assert!(end.records.is_empty());
    assert_eq!(end.continuation_sequence_number, None);
    assert_eq!(end.child_shards.unwrap().len(), 2);
    assert!(subscription.next_event().await.is_none());
    // An open shard without records is not at an end.
    let it = iterator(&kinesis, "s", "shardId-000000000001", "TRIM_HORIZON", None);
    let out = get(&kinesis, &it, None).await;
    assert!(out.next_shard_iterator.is_some());
    assert!(out.child_shards.is_none());
}

#[tokio::test]
async fn split_closes_the_parent_and_readers_follow_lineage() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    let before = put(&kinesis, "s", "a", b"before").await;
    clock.advance_millis(10);
    let middle = 1u128 << 127;
    kinesis
        .split_shard(SplitShardInput {
            stream: named("s"),
            shard_to_split: Some("shardId-000000000000".into()),
            new_starting_hash_key: Some(middle.to_string()),
        })
        .await
        .unwrap();
    let shards = describe(&kinesis, "s").shards;
    assert_eq!(shards.len(), 3);
    let parent_end = shards[0]
        .sequence_number_range
        .ending_sequence_number
        .clone()
        .unwrap();
    assert!(seq::parse(&parent_end).unwrap() > seq::parse(&before.sequence_number).unwrap());
    assert_eq!(
        shards[1].parent_shard_id.as_deref(),
        Some("shardId-000000000000")
    );
    assert_eq!(
        shards[1].hash_key_range.ending_hash_key,
        (middle - 1).to_string()
    );
    assert_eq!(
        shards[2].hash_key_range.starting_hash_key,
        middle.to_string()
    );
    assert_eq!(
        put_hash(&kinesis, "s", 0, b"low").await.shard_id,
        "shardId-000000000001"
    );
    assert_eq!(
        put_hash(&kinesis, "s", u128::MAX, b"high").await.shard_id,
        "shardId-000000000002"
    );
    // Reading the closed parent: its records, then the end with ChildShards.
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    let out = get(&kinesis, &it, None).await;
    assert_eq!(out.records.len(), 1);
    assert!(out.next_shard_iterator.is_none());
    let children = out.child_shards.unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0].parent_shards, vec!["shardId-000000000000"]);
    // Splitting a closed shard is refused.
    let error = kinesis
        .split_shard(SplitShardInput {
            stream: named("s"),
            shard_to_split: Some("shardId-000000000000".into()),
            new_starting_hash_key: Some("5".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    // Merge the children back.
    kinesis
        .merge_shards(MergeShardsInput {
            stream: named("s"),
            shard_to_merge: Some("shardId-000000000001".into()),
            adjacent_shard_to_merge: Some("shardId-000000000002".into()),
        })
        .await
        .unwrap();
    let shards = describe(&kinesis, "s").shards;
    assert_eq!(shards.len(), 4);
    assert_eq!(
        shards[3].parent_shard_id.as_deref(),
        Some("shardId-000000000001")
    );
    assert_eq!(
        shards[3].adjacent_parent_shard_id.as_deref(),
        Some("shardId-000000000002")
    );
    assert_eq!(shards[3].hash_key_range.starting_hash_key, "0");
    assert_eq!(
        put(&kinesis, "s", "x", b"").await.shard_id,
        "shardId-000000000003"
    );
}

#[tokio::test]
async fn update_shard_count_reshards_uniformly_within_limits() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 2).await;
    let error = kinesis
        .update_shard_count(UpdateShardCountInput {
            stream: named("s"),
            target_shard_count: Some(5),
            scaling_type: Some("UNIFORM_SCALING".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    assert_eq!(
        error.message,
        "UpdateShardCount cannot scale up over double your current open shard count. Current open shard \
         count: 2, Target shard count: 5"
    );
    let out = kinesis
        .update_shard_count(UpdateShardCountInput {
            stream: named("s"),
            target_shard_count: Some(3),
            scaling_type: Some("UNIFORM_SCALING".into()),
        })
        .await
        .unwrap();
    assert_eq!((out.current_shard_count, out.target_shard_count), (2, 3));
    let summary = kinesis
        .describe_stream_summary(StreamOnlyInput { stream: named("s") })
        .unwrap()
        .stream_description_summary;
    assert_eq!(summary.open_shard_count, 3);
    let shards = describe(&kinesis, "s").shards;
    assert_eq!(shards.len(), 5);
    // The middle new shard overlaps both old shards.
    assert_eq!(
        shards[3].parent_shard_id.as_deref(),
        Some("shardId-000000000000")
    );
    assert_eq!(
        shards[3].adjacent_parent_shard_id.as_deref(),
        Some("shardId-000000000001")
    );
}

#[tokio::test]
async fn write_and_read_throughput_limits() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    let entries: Vec<PutRecordsRequestEntry> = (0..500)
        .map(|i| PutRecordsRequestEntry {
            data: Some(Blob(vec![1])),
            partition_key: Some(format!("k{i}")),
            ..Default::default()
        })
        .collect();
    for _ in 0..2 {
        let out = kinesis
            .put_records(PutRecordsInput {
                stream: named("s"),
                records: Some(entries.clone()),
                dry_run: None,
            })
            .await
            .unwrap();
        assert_eq!(out.failed_record_count, 0);
    }
    let out = kinesis
        .put_records(PutRecordsInput {
            stream: named("s"),
            records: Some(entries[..3].to_vec()),
            dry_run: None,
        })
        .await
        .unwrap();
    assert_eq!(out.failed_record_count, 3);
    assert_eq!(
        out.records[0].error_code.as_deref(),
        Some("ProvisionedThroughputExceededException")
    );
    assert_eq!(
        out.records[0].error_message.as_deref(),
        Some(
            "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000."
        )
    );
    let error = kinesis
        .put_record(PutRecordInput {
            stream: named("s"),
            data: Some(Blob(vec![1])),
            partition_key: Some("k".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ProvisionedThroughputExceeded);
    clock.advance_millis(1000);
    put(&kinesis, "s", "k", b"x").await;

    let it = iterator(&kinesis, "s", "shardId-000000000000", "LATEST", None);
    for _ in 0..5 {
        get(&kinesis, &it, None).await;
    }
    let error = kinesis
        .get_records(GetRecordsInput {
            shard_iterator: Some(it.clone()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ProvisionedThroughputExceeded);
    clock.advance_millis(200);
    get(&kinesis, &it, None).await;
}

#[tokio::test]
async fn put_records_reports_each_record_in_order() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 2).await;
    let out = kinesis
        .put_records(PutRecordsInput {
            stream: named("s"),
            records: Some(vec![
                PutRecordsRequestEntry {
                    data: Some(Blob(b"1".to_vec())),
                    partition_key: Some("p".into()),
                    explicit_hash_key: Some(u128::MAX.to_string()),
                },
                PutRecordsRequestEntry {
                    data: Some(Blob(b"2".to_vec())),
                    partition_key: Some("p".into()),
                    explicit_hash_key: Some("0".into()),
                },
            ]),
            dry_run: None,
        })
        .await
        .unwrap();
    assert_eq!(out.failed_record_count, 0);
    assert_eq!(
        out.records[0].shard_id.as_deref(),
        Some("shardId-000000000001")
    );
    assert_eq!(
        out.records[1].shard_id.as_deref(),
        Some("shardId-000000000000")
    );
    let error = kinesis
        .put_records(PutRecordsInput {
            stream: named("s"),
            records: Some(vec![]),
            dry_run: None,
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Validation);
}

#[tokio::test]
async fn retention_trims_old_records() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    put(&kinesis, "s", "a", b"old").await;
    clock.advance_secs(23 * 3600);
    put(&kinesis, "s", "a", b"new").await;
    clock.advance_secs(3600 + 1);
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    let out = get(&kinesis, &it, None).await;
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].data.0, b"new");
    assert_eq!(kinesis.enforce_retention().await.unwrap(), 1);
    assert_eq!(kinesis.enforce_retention().await.unwrap(), 0);
    kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(48),
        })
        .await
        .unwrap();
    let error = kinesis
        .decrease_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(72),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn reads_fall_back_to_the_store_when_the_tail_is_evicted() {
    let config = KinesisConfig {
        tail_cache_records: 2,
        throughput_limits: false,
        ..instant()
    };
    let (kinesis, clock) = engine_with(config, Store::in_memory());
    create(&kinesis, "s", 1).await;
    for i in 0..10u8 {
        put(&kinesis, "s", "k", &[i]).await;
        clock.advance_millis(1);
    }
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    let first = get(&kinesis, &it, Some(4)).await;
    let data: Vec<u8> = first.records.iter().map(|r| r.data.0[0]).collect();
    assert_eq!(data, vec![0, 1, 2, 3]);
    assert!(first.millis_behind_latest > 0);
    let rest = get(&kinesis, &first.next_shard_iterator.unwrap(), None).await;
    let data: Vec<u8> = rest.records.iter().map(|r| r.data.0[0]).collect();
    assert_eq!(data, vec![4, 5, 6, 7, 8, 9]);
}

#[tokio::test]
async fn recovery_restores_streams_and_continues_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let (last, name) = {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        let (kinesis, _) = engine_with(instant(), store);
        create(&kinesis, "durable", 2).await;
        kinesis
            .add_tags_to_stream(AddTagsToStreamInput {
                stream: named("durable"),
                tags: Some([("team".to_string(), "core".to_string())].into()),
            })
            .await
            .unwrap();
        put_hash(&kinesis, "durable", 0, b"one").await;
        let last = put_hash(&kinesis, "durable", 0, b"two").await;
        (last.sequence_number, "durable")
    };
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let (kinesis, _) = engine_with(instant(), store);
    let description = describe(&kinesis, name);
    assert_eq!(description.shards.len(), 2);
    let tags = kinesis
        .list_tags_for_stream(ListTagsForStreamInput {
            stream: named(name),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tags.tags[0].key, "team");
    let next = put_hash(&kinesis, name, 0, b"three").await;
    assert!(seq::parse(&next.sequence_number).unwrap() > seq::parse(&last).unwrap());
    let it = iterator(&kinesis, name, "shardId-000000000000", "TRIM_HORIZON", None);
    let data: Vec<Vec<u8>> = get(&kinesis, &it, None)
        .await
        .records
        .into_iter()
        .map(|r| r.data.0)
        .collect();
    assert_eq!(
        data,
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    // Deleting removes everything durably.
    kinesis
        .delete_stream(DeleteStreamInput {
            stream: named(name),
            ..Default::default()
        })
        .await
        .unwrap();
    drop(kinesis);
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let (kinesis, _) = engine_with(instant(), store);
    assert_eq!(kinesis.stream_count(), 0);
}

#[tokio::test]
async fn auto_record_distribution_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = |kinesis: &Kinesis| {
        kinesis
            .describe_stream_summary(StreamOnlyInput {
                stream: named("auto"),
            })
            .unwrap()
            .stream_description_summary
            .record_distribution_strategy
    };
    {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        let (kinesis, _) = engine_with(instant(), store);
        kinesis
            .create_stream(CreateStreamInput {
                stream_name: Some("auto".into()),
                stream_mode_details: Some(StreamModeDetails {
                    stream_mode: Some("ON_DEMAND".into()),
                }),
                record_distribution_strategy: Some("AUTO".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(strategy(&kinesis).as_deref(), Some("AUTO"));
    }
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let (kinesis, _) = engine_with(instant(), store);
    assert_eq!(strategy(&kinesis).as_deref(), Some("AUTO"));
    // Records without a partition key are accepted after the restart too.
    kinesis
        .put_record(PutRecordInput {
            stream: named("auto"),
            data: Some(Blob(b"x".to_vec())),
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn stream_states_follow_the_transition_delay() {
    let config = KinesisConfig {
        transition_delay_millis: 500,
        ..Default::default()
    };
    let (kinesis, clock) = engine_with(config, Store::in_memory());
    create(&kinesis, "s", 1).await;
    assert_eq!(describe(&kinesis, "s").stream_status, "CREATING");
    let error = kinesis
        .put_record(PutRecordInput {
            stream: named("s"),
            data: Some(Blob(vec![])),
            partition_key: Some("k".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    clock.advance_millis(500);
    assert_eq!(describe(&kinesis, "s").stream_status, "ACTIVE");
    kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(48),
        })
        .await
        .unwrap();
    assert_eq!(describe(&kinesis, "s").stream_status, "UPDATING");
    let error = kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(72),
        })
        .await
        .unwrap_err();
    assert_eq!(
        error.message,
        "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING"
    );
    clock.advance_millis(500);
    kinesis
        .delete_stream(DeleteStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(describe(&kinesis, "s").stream_status, "DELETING");
    clock.advance_millis(500);
    assert_eq!(
        kinesis
            .describe_stream(DescribeStreamInput {
                stream: named("s"),
                ..Default::default()
            })
            .unwrap_err()
            .kind,
        ErrorKind::ResourceNotFound
    );
}

#[tokio::test]
async fn list_streams_and_shards_paginate() {
    let (kinesis, _) = engine();
    for name in ["a", "b", "c"] {
        create(&kinesis, name, 3).await;
    }
    let page = kinesis
        .list_streams(ListStreamsInput {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.stream_names, vec!["a", "b"]);
    assert!(page.has_more_streams);
    let rest = kinesis
        .list_streams(ListStreamsInput {
            next_token: page.next_token,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rest.stream_names, vec!["c"]);
    assert!(!rest.has_more_streams);
    assert_eq!(rest.stream_summaries[0].stream_status, "ACTIVE");

    let page = kinesis
        .list_shards(ListShardsInput {
            stream: named("b"),
            max_results: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.shards.len(), 2);
    let rest = shards_after(&kinesis, page.next_token);
    assert_eq!(rest.shards.len(), 1);
    assert_eq!(rest.shards[0].shard_id, "shardId-000000000002");
    assert!(rest.next_token.is_none());
    let after = kinesis
        .list_shards(ListShardsInput {
            stream: named("b"),
            shard_filter: Some(ShardFilter {
                filter_type: Some("AFTER_SHARD_ID".into()),
                shard_id: Some("shardId-000000000000".into()),
                timestamp: None,
            }),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(after.shards.len(), 2);
    let limits = kinesis.describe_limits(DescribeLimitsInput {}).unwrap();
    assert_eq!(limits.open_shard_count, 9);
}

#[tokio::test]
async fn pages_are_capped_whatever_the_limit() {
    let (kinesis, _) = engine_with(
        KinesisConfig {
            control_plane_limits: false,
            ..instant()
        },
        Store::in_memory(),
    );
    for i in 0..101 {
        create(&kinesis, &format!("s{i:03}"), 1).await;
    }
    // ListStreams / DescribeStream: "greater than 100: at most 100 results".
    let page = kinesis
        .list_streams(ListStreamsInput {
            limit: Some(10_000),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.stream_names.len(), 100);
    assert!(page.has_more_streams);
    create(&kinesis, "wide", 1_001).await;
    let description = kinesis
        .describe_stream(DescribeStreamInput {
            stream: named("wide"),
            limit: Some(10_000),
            ..Default::default()
        })
        .unwrap()
        .stream_description;
    assert_eq!(description.shards.len(), 100);
    assert!(description.has_more_shards);
    // ListShards: "greater than 1000: at most 1000 results".
    let page = kinesis
        .list_shards(ListShardsInput {
            stream: named("wide"),
            max_results: Some(10_000),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.shards.len(), 1_000);
    let rest = shards_after(&kinesis, page.next_token);
    assert_eq!(rest.shards.len(), 1);
    assert!(rest.next_token.is_none());
}

#[tokio::test]
async fn list_shards_stream_creation_timestamp_and_filter_members() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 2).await;
    let created = kinesis
        .describe_stream_summary(StreamOnlyInput { stream: named("s") })
        .unwrap()
        .stream_description_summary
        .stream_creation_timestamp;
    let listed = kinesis
        .list_shards(ListShardsInput {
            stream: named("s"),
            stream_creation_timestamp: Some(created),
            max_results: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.shards.len(), 1);
    let error = kinesis
        .list_shards(ListShardsInput {
            stream: named("s"),
            stream_creation_timestamp: Some(Timestamp(created.0 - 1)),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    let error = kinesis
        .list_shards(ListShardsInput {
            next_token: listed.next_token,
            stream_creation_timestamp: Some(created),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert_eq!(
        error.message,
        "NextToken and StreamCreationTimestamp cannot be provided together."
    );
    let filtered = |filter_type: &str, shard_id: Option<&str>, timestamp: Option<u64>| {
        kinesis.list_shards(ListShardsInput {
            stream: named("s"),
            shard_filter: Some(ShardFilter {
                filter_type: Some(filter_type.into()),
                shard_id: shard_id.map(Into::into),
                timestamp: timestamp.map(Timestamp),
            }),
            ..Default::default()
        })
    };
    let error = filtered("AT_LATEST", Some("shardId-000000000000"), None).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    let error = filtered("AFTER_SHARD_ID", Some("shardId-000000000000"), Some(T0)).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert_eq!(
        filtered("AT_TIMESTAMP", None, Some(T0))
            .unwrap()
            .shards
            .len(),
        2
    );
    assert_eq!(
        filtered("AFTER_SHARD_ID", Some("shardId-000000000000"), None)
            .unwrap()
            .shards
            .len(),
        1
    );
}

#[tokio::test]
async fn on_demand_streams_get_four_shards() {
    let (kinesis, _) = engine();
    kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("od".into()),
            stream_mode_details: Some(StreamModeDetails {
                stream_mode: Some("ON_DEMAND".into()),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let description = describe(&kinesis, "od");
    assert_eq!(description.shards.len(), 4);
    assert_eq!(
        description.stream_mode_details.stream_mode.as_deref(),
        Some("ON_DEMAND")
    );
    kinesis
        .update_stream_mode(UpdateStreamModeInput {
            stream_arn: Some(description.stream_arn.clone()),
            stream_mode_details: Some(StreamModeDetails {
                stream_mode: Some("PROVISIONED".into()),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    // StreamARN works wherever StreamName does.
    let by_arn = kinesis
        .describe_stream_summary(StreamOnlyInput {
            stream: StreamRef {
                stream_arn: Some(description.stream_arn),
                ..Default::default()
            },
        })
        .unwrap();
    assert_eq!(
        by_arn
            .stream_description_summary
            .stream_mode_details
            .stream_mode
            .as_deref(),
        Some("PROVISIONED")
    );
}

#[tokio::test]
async fn subscriptions_push_records_as_they_arrive() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 1).await;
    let arn = describe(&kinesis, "s").stream_arn;
    let consumer = kinesis
        .register_stream_consumer(RegisterStreamConsumerInput {
            stream_arn: Some(arn.clone()),
            consumer_name: Some("c".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .consumer;
    assert_eq!(consumer.consumer_status, "ACTIVE");
    assert!(consumer
        .consumer_arn
        .starts_with(&format!("{arn}/consumer/c:")));
    let mut subscription = kinesis
        .subscribe_to_shard(SubscribeToShardInput {
            consumer_arn: Some(consumer.consumer_arn.clone()),
            shard_id: Some("shardId-000000000000".into()),
            starting_position: Some(StartingPosition {
                position_type: Some("LATEST".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
    let writer = kinesis.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        put(&writer, "s", "k", b"pushed").await
    });
    let event = subscription.next_event().await.unwrap().unwrap();
    let put = task.await.unwrap();
    assert_eq!(event.records.len(), 1);
    assert_eq!(event.records[0].data.0, b"pushed");
    assert_eq!(
        event.continuation_sequence_number,
        Some(put.sequence_number)
    );
    assert!(event.child_shards.is_none());
    let error = kinesis
        .delete_stream(DeleteStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    kinesis
        .deregister_stream_consumer(ConsumerRefInput {
            consumer_arn: Some(consumer.consumer_arn),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(subscription.next_event().await.unwrap().is_err());
}

#[tokio::test]
async fn tags_by_stream_and_by_arn() {
    let (kinesis, _) = engine();
    create(&kinesis, "s", 1).await;
    let arn = describe(&kinesis, "s").stream_arn;
    kinesis
        .tag_resource(TagResourceInput {
            resource_arn: Some(arn.clone()),
            tags: Some([("a".to_string(), "1".to_string())].into()),
            ..Default::default()
        })
        .await
        .unwrap();
    kinesis
        .add_tags_to_stream(AddTagsToStreamInput {
            stream: named("s"),
            tags: Some([("b".to_string(), "2".to_string())].into()),
        })
        .await
        .unwrap();
    kinesis
        .remove_tags_from_stream(RemoveTagsFromStreamInput {
            stream: named("s"),
            tag_keys: Some(vec!["a".into()]),
        })
        .await
        .unwrap();
    let tags = kinesis
        .list_tags_for_resource(ListTagsForResourceInput {
            resource_arn: Some(arn),
            ..Default::default()
        })
        .unwrap()
        .tags;
    assert_eq!(
        tags,
        vec![Tag {
            key: "b".into(),
            value: Some("2".into())
        }]
    );
}

fn rate_limited(error: &crate::KinesisError, message: &str) {
    assert_eq!(error.kind, ErrorKind::LimitExceeded, "{error:?}");
    assert_eq!(error.message, message);
}

#[tokio::test]
async fn control_plane_calls_are_rate_limited_with_a_burst() {
    let (kinesis, clock) = engine();
    // CreateStream: 5/s per account, a bucket of 5 s of that rate.
    for i in 0..25 {
        create(&kinesis, &format!("s{i}"), 1).await;
    }
    let error = kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("late".into()),
            shard_count: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    rate_limited(
        &error,
        "Rate exceeded for stream late under account 000000000000.",
    );
    clock.advance_millis(199);
    assert!(kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("late".into()),
            shard_count: Some(1),
            ..Default::default()
        })
        .await
        .is_err());
    clock.advance_millis(1);
    create(&kinesis, "late", 1).await;

    // DescribeStream: 10/s per account, whatever the stream.
    for i in 0..50 {
        describe(&kinesis, &format!("s{}", i % 3));
    }
    let error = kinesis
        .describe_stream(DescribeStreamInput {
            stream: named("s1"),
            ..Default::default()
        })
        .unwrap_err();
    rate_limited(
        &error,
        "Rate exceeded for stream s1 under account 000000000000.",
    );
    // DescribeStreamSummary has its own bucket (20/s).
    for _ in 0..100 {
        kinesis
            .describe_stream_summary(StreamOnlyInput {
                stream: named("s1"),
            })
            .unwrap();
    }
    assert!(kinesis
        .describe_stream_summary(StreamOnlyInput {
            stream: named("s1")
        })
        .is_err());

    // ListShards: 1,000/s per stream; another stream has its own bucket.
    let list = |name: &str| {
        kinesis.list_shards(ListShardsInput {
            stream: named(name),
            ..Default::default()
        })
    };
    for _ in 0..5000 {
        list("s1").unwrap();
    }
    rate_limited(
        &list("s1").unwrap_err(),
        "Rate exceeded for stream s1 under account 000000000000.",
    );
    list("s2").unwrap();
    clock.advance_millis(1);
    list("s1").unwrap();

    // ListStreams (5/s) names no stream; DescribeLimits is 1/s.
    for _ in 0..25 {
        kinesis.list_streams(ListStreamsInput::default()).unwrap();
    }
    rate_limited(
        &kinesis
            .list_streams(ListStreamsInput::default())
            .unwrap_err(),
        "Rate exceeded for account 000000000000.",
    );
    for _ in 0..5 {
        kinesis.describe_limits(DescribeLimitsInput {}).unwrap();
    }
    assert!(kinesis.describe_limits(DescribeLimitsInput {}).is_err());
    clock.advance_millis(1000);
    kinesis.describe_limits(DescribeLimitsInput {}).unwrap();
}

#[tokio::test]
async fn control_plane_limits_can_be_turned_off() {
    let config = KinesisConfig {
        control_plane_limits: false,
        ..instant()
    };
    let (kinesis, _) = engine_with(config, Store::in_memory());
    for i in 0..40 {
        create(&kinesis, &format!("s{i}"), 1).await;
    }
    for _ in 0..100 {
        describe(&kinesis, "s0");
    }
    // The count quotas too: rescalings per day...
    for i in 0..12 {
        kinesis
            .update_shard_count(UpdateShardCountInput {
                stream: named("s0"),
                target_shard_count: Some(2 - i % 2),
                scaling_type: Some("UNIFORM_SCALING".into()),
            })
            .await
            .unwrap();
    }
    // ...and streams and consumers in the CREATING state at once.
    let config = KinesisConfig {
        control_plane_limits: false,
        transition_delay_millis: 500,
        ..Default::default()
    };
    let (kinesis, clock) = engine_with(config, Store::in_memory());
    for i in 0..7 {
        create(&kinesis, &format!("c{i}"), 1).await;
    }
    clock.advance_millis(500);
    let arn = describe(&kinesis, "c0").stream_arn;
    for i in 0..7 {
        kinesis
            .register_stream_consumer(RegisterStreamConsumerInput {
                stream_arn: Some(arn.clone()),
                consumer_name: Some(format!("k{i}")),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_subscription_ends_a_closed_shard_with_child_shards_and_no_continuation() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    let consumer_arn = register_consumer(&kinesis, "s", "c").await;
    let last = put(&kinesis, "s", "k", b"last").await;
    clock.advance_millis(10);
    kinesis
        .split_shard(SplitShardInput {
            stream: named("s"),
            shard_to_split: Some("shardId-000000000000".into()),
            new_starting_hash_key: Some((1u128 << 127).to_string()),
        })
        .await
        .unwrap();
    // The parent is closed before the subscription reads anything: its records come first, with a
    // continuation, and the end follows in an event of its own.
    let mut subscription = subscribe(&kinesis, &consumer_arn).await.unwrap();
    let records = subscription.next_event().await.unwrap().unwrap();
    assert_eq!(records.records.len(), 1);
    assert_eq!(
        records.continuation_sequence_number.as_deref(),
        Some(last.sequence_number.as_str())
    );
    assert!(records.child_shards.is_none());
    let end = subscription.next_event().await.unwrap().unwrap();
    assert!(end.records.is_empty());
    assert_eq!(end.continuation_sequence_number, None);
    let children = end
        .child_shards
        .clone()
        .expect("the end names the children");
    assert_eq!(children.len(), 2);
    assert_eq!(children[0].parent_shards, vec!["shardId-000000000000"]);
    let wire = serde_json::to_value(&end).unwrap();
    assert!(wire.get("ContinuationSequenceNumber").is_none(), "{wire}");
    assert!(subscription.next_event().await.is_none());
}

async fn subscribe(
    kinesis: &Arc<Kinesis>,
    consumer_arn: &str,
) -> crate::KinesisResult<crate::Subscription> {
    kinesis.subscribe_to_shard(SubscribeToShardInput {
        consumer_arn: Some(consumer_arn.into()),
        shard_id: Some("shardId-000000000000".into()),
        starting_position: Some(StartingPosition {
            position_type: Some("TRIM_HORIZON".into()),
            ..Default::default()
        }),
        ..Default::default()
    })
}

#[tokio::test]
async fn resubscribing_within_five_seconds_is_refused_and_later_takes_over() {
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 2).await;
    let consumer_arn = register_consumer(&kinesis, "s", "c").await;
    put_hash(&kinesis, "s", 0, b"one").await;
    let mut first = subscribe(&kinesis, &consumer_arn).await.unwrap();
    assert_eq!(first.next_event().await.unwrap().unwrap().records.len(), 1);

    clock.advance_millis(4999);
    let error = subscribe(&kinesis, &consumer_arn).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    assert_eq!(
        error.message,
        format!("Another active subscription exists for this consumer: {consumer_arn}")
    );
    // Another shard of the same consumer is independent.
    kinesis
        .subscribe_to_shard(SubscribeToShardInput {
            consumer_arn: Some(consumer_arn.clone()),
            shard_id: Some("shardId-000000000001".into()),
            starting_position: Some(StartingPosition {
                position_type: Some("LATEST".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();

    // 5 s after the first: the new call takes over and the old one fails with ResourceInUse.
    clock.advance_millis(1);
    let mut second = subscribe(&kinesis, &consumer_arn).await.unwrap();
    let error = first.next_event().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    assert!(first.next_event().await.is_none());
    assert_eq!(second.next_event().await.unwrap().unwrap().records.len(), 1);

    // The subscription lasts five minutes on the injected clock.
    clock.advance_millis(crate::ops::consumers::SUBSCRIPTION_LIFETIME_MILLIS - 1);
    put_hash(&kinesis, "s", 0, b"two").await;
    assert_eq!(second.next_event().await.unwrap().unwrap().records.len(), 1);
    clock.advance_millis(1);
    put_hash(&kinesis, "s", 0, b"three").await;
    assert!(second.next_event().await.is_none());
    // ... and may be renewed.
    subscribe(&kinesis, &consumer_arn).await.unwrap();
}

#[tokio::test]
async fn on_demand_streams_split_their_hot_shards() {
    use crate::ops::shards::{AUTOSCALE_THRESHOLD_PERCENT, AUTOSCALE_WINDOW_MILLIS};
    let config = KinesisConfig {
        throughput_limits: false,
        ..instant()
    };
    let (kinesis, clock) = engine_with(config, Store::in_memory());
    for (name, mode) in [("od", "ON_DEMAND"), ("prov", "PROVISIONED")] {
        kinesis
            .create_stream(CreateStreamInput {
                stream_name: Some(name.into()),
                shard_count: (mode == "PROVISIONED").then_some(4),
                stream_mode_details: Some(StreamModeDetails {
                    stream_mode: Some(mode.into()),
                }),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let window_secs = AUTOSCALE_WINDOW_MILLIS / 1000;
    // Shard 0 gets 90% of 1,000 records/s over the window; shard 1 gets 50%.
    let hot = 1000 * window_secs * 90 / 100;
    const { assert!(90 > AUTOSCALE_THRESHOLD_PERCENT) };
    let load = |name: &'static str| {
        let kinesis = kinesis.clone();
        async move {
            let entries = |hash: u128, n: u64| -> Vec<PutRecordsRequestEntry> {
                (0..n)
                    .map(|_| PutRecordsRequestEntry {
                        data: Some(Blob(b"x".to_vec())),
                        partition_key: Some("k".into()),
                        explicit_hash_key: Some(hash.to_string()),
                    })
                    .collect()
            };
            let quarter = u128::MAX / 4 + 1;
            let mut all = entries(0, hot);
            all.extend(entries(quarter, hot * 5 / 9));
            for chunk in all.chunks(500) {
                kinesis
                    .put_records(PutRecordsInput {
                        stream: named(name),
                        records: Some(chunk.to_vec()),
                        dry_run: None,
                    })
                    .await
                    .unwrap();
            }
        }
    };
    load("od").await;
    load("prov").await;
    // Not before the window is over.
    clock.advance_millis(AUTOSCALE_WINDOW_MILLIS - 1);
    assert_eq!(kinesis.autoscale_on_demand().await.unwrap(), 0);
    clock.advance_millis(1);
    assert_eq!(kinesis.autoscale_on_demand().await.unwrap(), 1);

    let shards = describe(&kinesis, "od").shards;
    assert_eq!(shards.len(), 6);
    assert!(shards[0]
        .sequence_number_range
        .ending_sequence_number
        .is_some());
    for child in &shards[4..] {
        assert_eq!(
            child.parent_shard_id.as_deref(),
            Some("shardId-000000000000")
        );
        assert!(child.sequence_number_range.ending_sequence_number.is_none());
    }
    assert_eq!(
        shards[4].hash_key_range.starting_hash_key,
        shards[0].hash_key_range.starting_hash_key
    );
    assert_eq!(
        shards[5].hash_key_range.ending_hash_key,
        shards[0].hash_key_range.ending_hash_key
    );
    let boundary: u128 = shards[5].hash_key_range.starting_hash_key.parse().unwrap();
    assert_eq!(
        shards[4].hash_key_range.ending_hash_key,
        (boundary - 1).to_string()
    );
    // Writes now land in the children, readers of the parent reach its end.
    let out = put_hash(&kinesis, "od", 0, b"after").await;
    assert_eq!(out.shard_id, "shardId-000000000004");
    assert_eq!(describe(&kinesis, "od").stream_status, "ACTIVE");
    // PROVISIONED streams never scale on their own.
    assert_eq!(describe(&kinesis, "prov").shards.len(), 4);
    // A quiet window: nothing more to split.
    clock.advance_millis(AUTOSCALE_WINDOW_MILLIS);
    assert_eq!(kinesis.autoscale_on_demand().await.unwrap(), 0);
}

// ---------------------------------------------------------------------------------------------------------
// Transitions with the default 500 ms delay: what each state allows, and changes applied at the end of
// the UPDATING window (also across a restart).

const DELAY: u64 = crate::DEFAULT_TRANSITION_DELAY_MILLIS;

fn engine_at(config: KinesisConfig, store: Store, now: u64) -> (Arc<Kinesis>, ManualClock) {
    let clock = ManualClock::new(now);
    let kinesis = Kinesis::open(config, Arc::new(clock.clone()), store).unwrap();
    (kinesis, clock)
}

fn status(kinesis: &Kinesis, name: &str) -> String {
    kinesis
        .describe_stream_summary(StreamOnlyInput {
            stream: named(name),
        })
        .unwrap()
        .stream_description_summary
        .stream_status
}

fn summary(kinesis: &Kinesis, name: &str) -> StreamDescriptionSummary {
    kinesis
        .describe_stream_summary(StreamOnlyInput {
            stream: named(name),
        })
        .unwrap()
        .stream_description_summary
}

fn not_active(name: &str, state: &str) -> String {
    format!("Stream {name} under account 000000000000 not ACTIVE, instead in state {state}")
}

async fn split_middle(kinesis: &Kinesis, name: &str, shard: &str) -> crate::KinesisResult<Empty> {
    kinesis
        .split_shard(SplitShardInput {
            stream: named(name),
            shard_to_split: Some(shard.into()),
            new_starting_hash_key: Some((1u128 << 127).to_string()),
        })
        .await
}

#[tokio::test]
async fn timestamp_shard_filters_include_a_shard_closed_at_that_time() {
    // AT_TIMESTAMP: "start timestamp <= the timestamp and end timestamp >= the timestamp or still open";
    // FROM_TIMESTAMP: "closed shards whose end timestamp is >= the timestamp and all open shards".
    let (kinesis, clock) = engine();
    create(&kinesis, "s", 1).await;
    clock.advance_millis(1_000);
    split_middle(&kinesis, "s", "shardId-000000000000")
        .await
        .unwrap();
    let split_at = T0 + 1_000;
    let listed = |filter_type: &str, at: u64| -> Vec<String> {
        kinesis
            .list_shards(ListShardsInput {
                stream: named("s"),
                shard_filter: Some(ShardFilter {
                    filter_type: Some(filter_type.into()),
                    shard_id: None,
                    timestamp: Some(Timestamp(at)),
                }),
                ..Default::default()
            })
            .unwrap()
            .shards
            .into_iter()
            .map(|s| s.shard_id)
            .collect()
    };
    let all = vec![
        "shardId-000000000000".to_string(),
        "shardId-000000000001".to_string(),
        "shardId-000000000002".to_string(),
    ];
    assert_eq!(listed("AT_TIMESTAMP", split_at), all);
    assert_eq!(listed("FROM_TIMESTAMP", split_at), all);
    assert_eq!(listed("AT_TIMESTAMP", split_at + 1), all[1..].to_vec());
    assert_eq!(listed("FROM_TIMESTAMP", split_at + 1), all[1..].to_vec());
    assert_eq!(listed("AT_TIMESTAMP", split_at - 1), all[..1].to_vec());
}

#[tokio::test]
async fn the_default_delay_is_500_ms() {
    assert_eq!(KinesisConfig::default().transition_delay_millis, 500);
}

#[tokio::test]
async fn a_creating_stream_has_no_shards_to_read_or_write() {
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 2).await;
    let description = describe(&kinesis, "s");
    assert_eq!(description.stream_status, "CREATING");
    assert!(description.shards.is_empty());
    assert_eq!(summary(&kinesis, "s").open_shard_count, 0);
    let error = kinesis
        .get_shard_iterator(GetShardIteratorInput {
            stream: named("s"),
            shard_id: Some("shardId-000000000000".into()),
            shard_iterator_type: Some("TRIM_HORIZON".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    assert_eq!(
        error.message,
        "Shard shardId-000000000000 in stream s under account 000000000000 does not exist"
    );
    let error = kinesis
        .put_records(PutRecordsInput {
            stream: named("s"),
            records: Some(vec![PutRecordsRequestEntry {
                data: Some(Blob(vec![1])),
                partition_key: Some("k".into()),
                ..Default::default()
            }]),
            dry_run: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::ResourceNotFound,
            "Stream s under account 000000000000 not found."
        )
    );
    let error = kinesis
        .list_shards(ListShardsInput {
            stream: named("s"),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message),
        (ErrorKind::ResourceInUse, not_active("s", "CREATING"))
    );
    let error = split_middle(&kinesis, "s", "shardId-000000000000")
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    // (DeleteStream is allowed while CREATING: see `a_creating_stream_can_be_deleted`.)
    clock.advance_millis(DELAY);
    assert_eq!(describe(&kinesis, "s").shards.len(), 2);
    assert_eq!(summary(&kinesis, "s").open_shard_count, 2);
    put(&kinesis, "s", "k", b"x").await;
}

#[tokio::test]
async fn a_creating_stream_can_be_deleted() {
    // AWS's answers recorded in kinesalite's deleteStream test: 200, then DELETING with no shards.
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 2).await;
    assert_eq!(status(&kinesis, "s"), "CREATING");
    kinesis
        .delete_stream(DeleteStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(status(&kinesis, "s"), "DELETING");
    assert!(describe(&kinesis, "s").shards.is_empty());
    clock.advance_millis(DELAY);
    let error = kinesis
        .describe_stream(DescribeStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    // The name can be used again.
    create(&kinesis, "s", 1).await;
    clock.advance_millis(DELAY);
    assert_eq!(describe(&kinesis, "s").shards.len(), 1);
}

#[tokio::test]
async fn a_split_takes_effect_when_the_updating_window_ends() {
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 1).await;
    clock.advance_millis(DELAY);
    let before = put_hash(&kinesis, "s", u128::MAX, b"before").await;
    split_middle(&kinesis, "s", "shardId-000000000000")
        .await
        .unwrap();
    assert_eq!(status(&kinesis, "s"), "UPDATING");
    // Another reshard (or settings change) waits for ACTIVE.
    let error = split_middle(&kinesis, "s", "shardId-000000000000")
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message),
        (ErrorKind::ResourceInUse, not_active("s", "UPDATING"))
    );
    let error = kinesis
        .update_shard_count(UpdateShardCountInput {
            stream: named("s"),
            target_shard_count: Some(2),
            scaling_type: Some("UNIFORM_SCALING".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceInUse);
    let error = kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(48),
        })
        .await
        .unwrap_err();
    assert_eq!(error.message, not_active("s", "UPDATING"));
    // Reads and writes go on, on the old shard, which is still open.
    clock.advance_millis(DELAY - 1);
    let during = put_hash(&kinesis, "s", u128::MAX, b"during").await;
    assert_eq!(during.shard_id, "shardId-000000000000");
    let shards = describe(&kinesis, "s").shards;
    assert_eq!(shards.len(), 1);
    assert!(shards[0]
        .sequence_number_range
        .ending_sequence_number
        .is_none());
    let open = kinesis
        .list_shards(ListShardsInput {
            stream: named("s"),
            ..Default::default()
        })
        .unwrap()
        .shards;
    assert_eq!(open.len(), 1);
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    let read = get(&kinesis, &it, None).await;
    assert_eq!(read.records.len(), 2);
    let next = read.next_shard_iterator.expect("the shard is still open");

    // The window ends: the parent closes after its last record, the children open.
    clock.advance_millis(1);
    assert_eq!(status(&kinesis, "s"), "ACTIVE");
    let shards = describe(&kinesis, "s").shards;
    assert_eq!(shards.len(), 3);
    let end = seq::parse(
        shards[0]
            .sequence_number_range
            .ending_sequence_number
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert!(end > seq::parse(&during.sequence_number).unwrap());
    assert!(
        seq::parse(&during.sequence_number).unwrap() > seq::parse(&before.sequence_number).unwrap()
    );
    // Parent and children take their times from the end of the window, not from when it was noticed.
    let window_end = T0 + 2 * DELAY;
    assert_eq!(seq::decompose(end).unwrap().time_millis, window_end);
    let child_start =
        seq::parse(&shards[2].sequence_number_range.starting_sequence_number).unwrap();
    assert_eq!(seq::decompose(child_start).unwrap().time_millis, window_end);
    let after = put_hash(&kinesis, "s", u128::MAX, b"after").await;
    assert_eq!(after.shard_id, "shardId-000000000002");
    // A reader of the parent reaches its end and the children.
    let out = get(&kinesis, &next, None).await;
    assert!(out.records.is_empty());
    assert!(out.next_shard_iterator.is_none());
    assert_eq!(out.child_shards.unwrap().len(), 2);
}

#[tokio::test]
async fn merges_and_shard_count_updates_wait_for_the_window_too() {
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 2).await;
    clock.advance_millis(DELAY);
    kinesis
        .merge_shards(MergeShardsInput {
            stream: named("s"),
            shard_to_merge: Some("shardId-000000000000".into()),
            adjacent_shard_to_merge: Some("shardId-000000000001".into()),
        })
        .await
        .unwrap();
    assert_eq!(summary(&kinesis, "s").open_shard_count, 2);
    assert_eq!(
        put_hash(&kinesis, "s", 0, b"").await.shard_id,
        "shardId-000000000000"
    );
    clock.advance_millis(DELAY);
    assert_eq!(summary(&kinesis, "s").open_shard_count, 1);
    assert_eq!(
        put_hash(&kinesis, "s", 0, b"").await.shard_id,
        "shardId-000000000002"
    );
    let out = kinesis
        .update_shard_count(UpdateShardCountInput {
            stream: named("s"),
            target_shard_count: Some(2),
            scaling_type: Some("UNIFORM_SCALING".into()),
        })
        .await
        .unwrap();
    assert_eq!((out.current_shard_count, out.target_shard_count), (1, 2));
    assert_eq!(status(&kinesis, "s"), "UPDATING");
    assert_eq!(summary(&kinesis, "s").open_shard_count, 1);
    clock.advance_millis(DELAY);
    assert_eq!(summary(&kinesis, "s").open_shard_count, 2);
    assert_eq!(describe(&kinesis, "s").shards.len(), 5);
}

#[tokio::test]
async fn settings_change_when_the_updating_window_ends() {
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 1).await;
    clock.advance_millis(DELAY);
    let window = |kinesis: Arc<Kinesis>, clock: ManualClock| async move {
        assert_eq!(status(&kinesis, "s"), "UPDATING");
        clock.advance_millis(DELAY);
        assert_eq!(status(&kinesis, "s"), "ACTIVE");
    };

    kinesis
        .increase_stream_retention_period(RetentionInput {
            stream: named("s"),
            retention_period_hours: Some(48),
        })
        .await
        .unwrap();
    assert_eq!(summary(&kinesis, "s").retention_period_hours, 24);
    window(kinesis.clone(), clock.clone()).await;
    assert_eq!(summary(&kinesis, "s").retention_period_hours, 48);

    // Encryption applies to records written once the stream is ACTIVE again.
    kinesis
        .start_stream_encryption(EncryptionInput {
            stream: named("s"),
            encryption_type: Some("KMS".into()),
            key_id: Some("alias/aws/kinesis".into()),
        })
        .await
        .unwrap();
    assert_eq!(put(&kinesis, "s", "k", b"").await.encryption_type, "NONE");
    window(kinesis.clone(), clock.clone()).await;
    assert_eq!(put(&kinesis, "s", "k", b"").await.encryption_type, "KMS");
    assert_eq!(
        summary(&kinesis, "s").key_id.as_deref(),
        Some("alias/aws/kinesis")
    );

    let out = kinesis
        .enable_enhanced_monitoring(MonitoringInput {
            stream: named("s"),
            shard_level_metrics: Some(vec!["IncomingBytes".into()]),
        })
        .await
        .unwrap();
    assert!(out.current_shard_level_metrics.is_empty());
    assert_eq!(out.desired_shard_level_metrics, vec!["IncomingBytes"]);
    assert!(summary(&kinesis, "s").enhanced_monitoring[0]
        .shard_level_metrics
        .is_empty());
    window(kinesis.clone(), clock.clone()).await;
    assert_eq!(
        summary(&kinesis, "s").enhanced_monitoring[0].shard_level_metrics,
        vec!["IncomingBytes"]
    );

    let arn = summary(&kinesis, "s").stream_arn;
    kinesis
        .update_max_record_size(UpdateMaxRecordSizeInput {
            stream_arn: Some(arn.clone()),
            max_record_size_in_kib: Some(2048),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(summary(&kinesis, "s").max_record_size_in_kib, 1024);
    window(kinesis.clone(), clock.clone()).await;
    assert_eq!(summary(&kinesis, "s").max_record_size_in_kib, 2048);

    kinesis
        .update_stream_mode(UpdateStreamModeInput {
            stream_arn: Some(arn),
            stream_mode_details: Some(StreamModeDetails {
                stream_mode: Some("ON_DEMAND".into()),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let mode = |k: &Kinesis| summary(k, "s").stream_mode_details.stream_mode.unwrap();
    assert_eq!(mode(&kinesis), "PROVISIONED");
    window(kinesis.clone(), clock.clone()).await;
    assert_eq!(mode(&kinesis), "ON_DEMAND");
}

#[tokio::test]
async fn a_deleting_stream_keeps_its_name_until_the_window_ends() {
    let (kinesis, clock) = engine_at(KinesisConfig::default(), Store::in_memory(), T0);
    create(&kinesis, "s", 1).await;
    clock.advance_millis(DELAY);
    put(&kinesis, "s", "k", b"old").await;
    split_middle(&kinesis, "s", "shardId-000000000000")
        .await
        .unwrap();
    // Deleting an UPDATING stream drops its pending change.
    kinesis
        .delete_stream(DeleteStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .await
        .unwrap();
    let description = describe(&kinesis, "s");
    assert_eq!(description.stream_status, "DELETING");
    let listed = kinesis.list_streams(ListStreamsInput::default()).unwrap();
    assert_eq!(listed.stream_summaries[0].stream_status, "DELETING");
    let error = kinesis
        .create_stream(CreateStreamInput {
            stream_name: Some("s".into()),
            shard_count: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::ResourceInUse,
            "Stream s under account 000000000000 already exists."
        )
    );
    let error = kinesis
        .put_record(PutRecordInput {
            stream: named("s"),
            data: Some(Blob(vec![])),
            partition_key: Some("k".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    clock.advance_millis(DELAY);
    let error = kinesis
        .describe_stream(DescribeStreamInput {
            stream: named("s"),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    // Its records left the store with it.
    assert!(kinesis
        .store
        .scan_prefix(wharf_store::Keyspace::KinesisRecords, b"")
        .unwrap()
        .is_empty());
    // The name is free again: a new, empty stream.
    create(&kinesis, "s", 1).await;
    clock.advance_millis(DELAY);
    let it = iterator(&kinesis, "s", "shardId-000000000000", "TRIM_HORIZON", None);
    assert!(get(&kinesis, &it, None).await.records.is_empty());
}

#[tokio::test]
async fn a_restart_finishes_interrupted_transitions() {
    let dir = tempfile::tempdir().unwrap();
    let open = |now: u64| {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        engine_at(KinesisConfig::default(), store, now)
    };
    let (kinesis, clock) = open(T0);
    for name in ["reshard", "later", "gone", "going"] {
        create(&kinesis, name, 1).await;
    }
    clock.advance_millis(DELAY);
    for name in ["reshard", "later", "gone", "going"] {
        put(&kinesis, name, "k", b"kept").await;
    }
    split_middle(&kinesis, "reshard", "shardId-000000000000")
        .await
        .unwrap();
    split_middle(&kinesis, "later", "shardId-000000000000")
        .await
        .unwrap();
    for name in ["gone", "going"] {
        kinesis
            .delete_stream(DeleteStreamInput {
                stream: named(name),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    drop(kinesis);
    let window_end = T0 + 2 * DELAY;

    // Restarted within the windows: still UPDATING / DELETING, nothing applied yet.
    let (kinesis, clock) = open(window_end - 100);
    assert_eq!(status(&kinesis, "later"), "UPDATING");
    assert_eq!(describe(&kinesis, "later").shards.len(), 1);
    assert_eq!(status(&kinesis, "going"), "DELETING");
    clock.advance_millis(100);
    let settled = describe(&kinesis, "later").shards;
    assert_eq!(settled.len(), 3);
    drop(kinesis);

    // Restarted after the windows: recovery applies the split and finishes the deletions.
    let (kinesis, _) = open(window_end + 5_000);
    assert_eq!(kinesis.stream_count(), 2);
    for name in ["gone", "going"] {
        let error = kinesis
            .describe_stream_summary(StreamOnlyInput {
                stream: named(name),
            })
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::ResourceNotFound);
    }
    for name in ["reshard", "later"] {
        assert_eq!(status(&kinesis, name), "ACTIVE");
        let shards = describe(&kinesis, name).shards;
        assert_eq!(shards.len(), 3, "{name}");
        // The same shards whether settled while running or at recovery, hours later.
        let end = seq::parse(
            shards[0]
                .sequence_number_range
                .ending_sequence_number
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(seq::decompose(end).unwrap().time_millis, window_end);
        let it = iterator(&kinesis, name, "shardId-000000000000", "TRIM_HORIZON", None);
        let out = get(&kinesis, &it, None).await;
        assert_eq!(out.records.len(), 1);
        assert!(out.next_shard_iterator.is_none());
    }
    assert_eq!(describe(&kinesis, "later").shards, settled);
    // Only the two live streams' records remain (recovery's removal of the deleted ones is committed in
    // the background: wait for everything submitted so far).
    kinesis.store.flush().unwrap();
    let ids: std::collections::BTreeSet<Vec<u8>> = kinesis
        .store
        .scan_prefix(wharf_store::Keyspace::KinesisRecords, b"")
        .unwrap()
        .into_iter()
        .map(|(key, _)| key[..8].to_vec())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        put_hash(&kinesis, "reshard", u128::MAX, b"").await.shard_id,
        "shardId-000000000002"
    );
}

/// A consumer is CREATING, then ACTIVE; deregistered it is DELETING for the transition delay (listed and
/// described as such, its name still taken, deregistering it again not found), then gone — also across a
/// restart in the middle of the window.
#[tokio::test]
async fn deregistered_consumers_are_deleting_for_the_transition_delay() {
    let dir = tempfile::tempdir().unwrap();
    let config = || KinesisConfig {
        transition_delay_millis: 500,
        ..Default::default()
    };
    let open = || {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        engine_with(config(), store)
    };
    let by_name = |arn: &str| ConsumerRefInput {
        stream_arn: Some(arn.to_string()),
        consumer_name: Some("c".into()),
        ..Default::default()
    };
    let register = |arn: &str| RegisterStreamConsumerInput {
        stream_arn: Some(arn.to_string()),
        consumer_name: Some("c".into()),
        ..Default::default()
    };
    let status = |kinesis: &Kinesis, arn: &str| {
        kinesis
            .describe_stream_consumer(by_name(arn))
            .map(|out| out.consumer_description.consumer_status)
    };
    let (kinesis, clock) = open();
    create(&kinesis, "s", 1).await;
    clock.advance_millis(500);
    let arn = describe(&kinesis, "s").stream_arn;
    let consumer = kinesis
        .register_stream_consumer(register(&arn))
        .await
        .unwrap();
    assert_eq!(consumer.consumer.consumer_status, "CREATING");
    clock.advance_millis(500);
    assert_eq!(status(&kinesis, &arn).unwrap(), "ACTIVE");
    kinesis
        .deregister_stream_consumer(by_name(&arn))
        .await
        .unwrap();
    assert_eq!(status(&kinesis, &arn).unwrap(), "DELETING");
    let listed = kinesis
        .list_stream_consumers(ListStreamConsumersInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.consumers[0].consumer_status, "DELETING");
    let again = kinesis
        .deregister_stream_consumer(by_name(&arn))
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::ResourceNotFound);
    let taken = kinesis
        .register_stream_consumer(register(&arn))
        .await
        .unwrap_err();
    assert_eq!(taken.kind, ErrorKind::ResourceInUse);
    // a restart in the window keeps it DELETING, and the window still ends it
    drop(kinesis);
    let (kinesis, clock) = open();
    clock.advance_millis(1499);
    assert_eq!(status(&kinesis, &arn).unwrap(), "DELETING");
    clock.advance_millis(1);
    assert_eq!(
        status(&kinesis, &arn).unwrap_err().kind,
        ErrorKind::ResourceNotFound
    );
    let consumer = kinesis
        .register_stream_consumer(register(&arn))
        .await
        .unwrap();
    assert_eq!(consumer.consumer.consumer_status, "CREATING");
}

#[tokio::test]
async fn at_most_five_streams_and_five_consumers_of_a_stream_are_creating_at_once() {
    let config = KinesisConfig {
        transition_delay_millis: 500,
        ..Default::default()
    };
    let (kinesis, clock) = engine_with(config, Store::in_memory());
    for i in 0..5 {
        create(&kinesis, &format!("s{i}"), 1).await;
    }
    let sixth = || CreateStreamInput {
        stream_name: Some("s5".into()),
        shard_count: Some(1),
        ..Default::default()
    };
    let error = kinesis.create_stream(sixth()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    clock.advance_millis(500);
    kinesis.create_stream(sixth()).await.unwrap();

    let arn = describe(&kinesis, "s0").stream_arn;
    for i in 0..5 {
        register_consumer(&kinesis, "s0", &format!("c{i}")).await;
    }
    let sixth = || RegisterStreamConsumerInput {
        stream_arn: Some(arn.clone()),
        consumer_name: Some("c5".into()),
        ..Default::default()
    };
    let error = kinesis.register_stream_consumer(sixth()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    // Another stream's consumers are counted apart.
    register_consumer(&kinesis, "s1", "c0").await;
    clock.advance_millis(500);
    kinesis.register_stream_consumer(sixth()).await.unwrap();
}

/// UpdateShardCount: ten rescalings per stream per rolling 24 hours, counted across a restart.
#[tokio::test]
async fn update_shard_count_ten_times_per_rolling_day_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        engine_with(instant(), store)
    };
    let update = |target: i64| UpdateShardCountInput {
        stream: named("s"),
        target_shard_count: Some(target),
        scaling_type: Some("UNIFORM_SCALING".into()),
    };
    {
        let (kinesis, clock) = open();
        create(&kinesis, "s", 1).await;
        for i in 0..10 {
            kinesis.update_shard_count(update(2 - i % 2)).await.unwrap();
            clock.advance_millis(1);
        }
        // The same count again is no rescaling, and not refused.
        kinesis.update_shard_count(update(1)).await.unwrap();
        let error = kinesis.update_shard_count(update(2)).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::LimitExceeded);
    }
    let (kinesis, clock) = open();
    let error = kinesis.update_shard_count(update(2)).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    clock.advance_millis(24 * 60 * 60 * 1000);
    kinesis.update_shard_count(update(2)).await.unwrap();
}
