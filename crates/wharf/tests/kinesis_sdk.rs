//! End-to-end tests of Kinesis Data Streams in the real `wharf` binary through aws-sdk-kinesis (AWS JSON
//! 1.1; SubscribeToShard as an `application/vnd.amazon.eventstream` response over HTTP/1.1). One scenario
//! per test; every test starts its own in-memory server and uses its own stream names.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ConsumerStatus, EncryptionType, PutRecordsRequestEntry, Record, Shard, ShardIteratorType,
    StartingPosition, StreamStatus, SubscribeToShardEventStream,
};
use aws_sdk_kinesis::Client;
use base64::Engine as _;
use common::{md5, unique_name, Server};

const ACCOUNT: &str = "000000000000";

/// The error code of a failed SDK call (`ResourceNotFoundException`, ...), or the whole error when the
/// service gave none.
fn code<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> String {
    error
        .code()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{error:?}"))
}

fn message<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
    error.message().unwrap_or_default().to_string()
}

/// Creates a stream and waits (DescribeStreamSummary) until it is ACTIVE.
async fn create_active(client: &Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("CreateStream");
    wait_active(client, name).await;
}

async fn wait_active(client: &Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("DescribeStreamSummary");
        let summary = summary.stream_description_summary().expect("summary");
        if *summary.stream_status() == StreamStatus::Active {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "stream {name} still {:?} after 10 s",
            summary.stream_status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every shard of the stream (ListShards, all pages).
async fn shards(client: &Client, name: &str) -> Vec<Shard> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = match &token {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(name),
        };
        let page = request.send().await.expect("ListShards");
        all.extend_from_slice(page.shards());
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return all,
        }
    }
}

fn hash_range(shard: &Shard) -> (u128, u128) {
    let range = shard.hash_key_range().expect("HashKeyRange");
    (
        range.starting_hash_key().parse().expect("a 128-bit key"),
        range.ending_hash_key().parse().expect("a 128-bit key"),
    )
}

/// What Kinesis maps a partition key to: its MD5 digest as a big-endian 128-bit integer.
fn partition_hash(key: &str) -> u128 {
    u128::from_be_bytes(md5(key.as_bytes()))
}

/// The open shard whose HashKeyRange holds `key`'s hash.
fn shard_of<'a>(shards: &'a [Shard], key: &str) -> &'a Shard {
    let hash = partition_hash(key);
    let mut open = shards.iter().filter(|s| {
        s.sequence_number_range()
            .and_then(|r| r.ending_sequence_number())
            .is_none()
    });
    open.find(|s| {
        let (start, end) = hash_range(s);
        start <= hash && hash <= end
    })
    .unwrap_or_else(|| panic!("no open shard holds the hash of {key}"))
}

/// A sequence number as something that orders like the number: AWS's are 56-digit decimals, beyond `u128`;
/// without leading zeros, a longer decimal is a larger number and equal lengths compare digit by digit.
fn seq(text: &str) -> (usize, &str) {
    assert!(
        text.len() == 56 && text.bytes().all(|b| b.is_ascii_digit()),
        "a 56-digit sequence number: {text}"
    );
    (text.len(), text)
}

async fn iterator(
    client: &Client,
    stream: &str,
    shard: &str,
    kind: ShardIteratorType,
    sequence: Option<&str>,
) -> String {
    let mut request = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(kind);
    if let Some(sequence) = sequence {
        request = request.starting_sequence_number(sequence);
    }
    request
        .send()
        .await
        .expect("GetShardIterator")
        .shard_iterator()
        .expect("ShardIterator")
        .to_string()
}

/// Reads from `iterator` until a response comes back empty (or the shard ends): the records, and the
/// iterator to go on with (None once a closed shard is read to its end).
/// GetRecords, retried while the shard's read limit (5 calls a second) throttles it, as real consumers do:
/// these tests read the same shard many times in quick succession.
async fn get_records(
    client: &Client,
    iterator: &str,
) -> aws_sdk_kinesis::operation::get_records::GetRecordsOutput {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get_records().shard_iterator(iterator).send().await {
            Ok(out) => return out,
            Err(error)
                if code(&error) == "ProvisionedThroughputExceededException"
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("GetRecords: {error:?}"),
        }
    }
}

async fn read_all(client: &Client, iterator: String) -> (Vec<Record>, Option<String>) {
    let mut records = Vec::new();
    let mut next = Some(iterator);
    while let Some(current) = next.take() {
        let out = get_records(client, &current).await;
        let empty = out.records().is_empty();
        records.extend_from_slice(out.records());
        next = out.next_shard_iterator().map(str::to_string);
        if empty {
            return (records, next);
        }
    }
    (records, None)
}

#[tokio::test]
async fn create_stream_with_two_shards_becomes_active() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("create");
    create_active(&client, &name, 2).await;

    let summary = client
        .describe_stream_summary()
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    let summary = summary.stream_description_summary().unwrap();
    assert_eq!(summary.stream_name(), name);
    assert_eq!(
        summary.stream_arn(),
        format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}")
    );
    assert_eq!(summary.open_shard_count(), 2);
    assert_eq!(summary.retention_period_hours(), 24);

    // Two shards splitting the 128-bit hash key space evenly, with no gap or overlap.
    let shards = shards(&client, &name).await;
    let ids: Vec<&str> = shards.iter().map(Shard::shard_id).collect();
    assert_eq!(ids, ["shardId-000000000000", "shardId-000000000001"]);
    let (a, b) = (hash_range(&shards[0]), hash_range(&shards[1]));
    assert_eq!(a.0, 0);
    assert_eq!(a.1 + 1, b.0);
    assert_eq!(b.1, u128::MAX);
    assert_eq!(b.0, 1u128 << 127);

    // The stream is listed; creating it again is refused.
    let listed = client.list_streams().send().await.unwrap();
    assert!(listed.stream_names().contains(&name), "{listed:?}");
    let again = client
        .create_stream()
        .stream_name(&name)
        .shard_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "ResourceInUseException");
}

#[tokio::test]
async fn put_and_read_back_with_every_iterator_type() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("records");
    create_active(&client, &name, 2).await;
    let shards = shards(&client, &name).await;

    // PutRecord, then PutRecords; remember what went where.
    let mut put: Vec<(String, Vec<u8>, String, String)> = Vec::new(); // key, data, shard, sequence
    let first = client
        .put_record()
        .stream_name(&name)
        .partition_key("single")
        .data(Blob::new(vec![0u8, 1, 2, 255]))
        .send()
        .await
        .expect("PutRecord");
    put.push((
        "single".into(),
        vec![0, 1, 2, 255],
        first.shard_id().to_string(),
        first.sequence_number().to_string(),
    ));
    let entries: Vec<PutRecordsRequestEntry> = (0..40)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("key-{}", i % 10))
                .data(Blob::new(format!("record {i}")))
                .build()
                .unwrap()
        })
        .collect();
    let out = client
        .put_records()
        .stream_name(&name)
        .set_records(Some(entries))
        .send()
        .await
        .expect("PutRecords");
    assert_eq!(out.failed_record_count(), Some(0));
    assert_eq!(out.records().len(), 40);
    for (i, entry) in out.records().iter().enumerate() {
        assert!(entry.error_code().is_none(), "{entry:?}");
        put.push((
            format!("key-{}", i % 10),
            format!("record {i}").into_bytes(),
            entry.shard_id().expect("ShardId").to_string(),
            entry.sequence_number().expect("SequenceNumber").to_string(),
        ));
    }

    // Partition key → shard: the MD5 of the key within the shard's HashKeyRange.
    for (key, _, shard, _) in &put {
        assert_eq!(shard_of(&shards, key).shard_id(), shard, "key {key}");
    }
    // Both shards got records (10 distinct keys over 2 shards), sequence numbers rise within a shard.
    for shard in &shards {
        let mine: Vec<(usize, &str)> = put
            .iter()
            .filter(|p| p.2 == shard.shard_id())
            .map(|p| seq(&p.3))
            .collect();
        assert!(!mine.is_empty(), "no record in {}", shard.shard_id());
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "{mine:?}");
    }

    for shard in &shards {
        let id = shard.shard_id();
        let expected: Vec<&(String, Vec<u8>, String, String)> =
            put.iter().filter(|p| p.2 == id).collect();

        // TRIM_HORIZON: everything, in put order, with data, key and sequence number intact.
        let it = iterator(&client, &name, id, ShardIteratorType::TrimHorizon, None).await;
        let (records, _) = read_all(&client, it).await;
        assert_eq!(records.len(), expected.len(), "shard {id}");
        for (record, (key, data, _, sequence)) in records.iter().zip(&expected) {
            assert_eq!(record.partition_key(), Some(key.as_str()));
            assert_eq!(record.data().as_ref(), data.as_slice());
            assert_eq!(record.sequence_number(), sequence);
            assert!(record.approximate_arrival_timestamp().is_some());
        }

        // AT_SEQUENCE_NUMBER starts at that record, AFTER_SEQUENCE_NUMBER just after it.
        let pivot = &expected[expected.len() / 2].3;
        let at = iterator(
            &client,
            &name,
            id,
            ShardIteratorType::AtSequenceNumber,
            Some(pivot),
        )
        .await;
        let (from_at, _) = read_all(&client, at).await;
        assert_eq!(from_at[0].sequence_number(), pivot);
        assert_eq!(from_at.len(), expected.len() - expected.len() / 2);
        let after = iterator(
            &client,
            &name,
            id,
            ShardIteratorType::AfterSequenceNumber,
            Some(pivot),
        )
        .await;
        let (from_after, _) = read_all(&client, after).await;
        assert_eq!(from_after.len(), from_at.len() - 1);
        if let Some(first) = from_after.first() {
            assert_eq!(first.sequence_number(), from_at[1].sequence_number());
        }

        // LATEST: nothing until a record is put after the iterator was taken.
        let latest = iterator(&client, &name, id, ShardIteratorType::Latest, None).await;
        let out = get_records(&client, &latest).await;
        assert!(out.records().is_empty(), "{:?}", out.records());
        assert_eq!(out.millis_behind_latest(), Some(0));
        let next = out.next_shard_iterator().expect("an open shard goes on");
        let key = (0..)
            .map(|i| format!("latest-{i}"))
            .find(|k| shard_of(&shards, k).shard_id() == id)
            .unwrap();
        let new = client
            .put_record()
            .stream_name(&name)
            .partition_key(&key)
            .data(Blob::new("after LATEST"))
            .send()
            .await
            .unwrap();
        assert_eq!(new.shard_id(), id);
        assert!(seq(new.sequence_number()) > seq(&expected.last().unwrap().3));
        let (records, _) = read_all(&client, next.to_string()).await;
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0].data().as_ref(), b"after LATEST");
        assert_eq!(records[0].sequence_number(), new.sequence_number());
    }

    // A sequence number of one shard used on the other one is refused.
    let wrong = client
        .get_shard_iterator()
        .stream_name(&name)
        .shard_id(shards[1].shard_id())
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(&put.iter().find(|p| p.2 == shards[0].shard_id()).unwrap().3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "InvalidArgumentException", "{wrong:?}");
}

#[tokio::test]
async fn put_records_request_errors_versus_per_record_failures() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("failures");
    create_active(&client, &name, 1).await;
    let entry = |key: &str, hash: Option<&str>| {
        PutRecordsRequestEntry::builder()
            .partition_key(key)
            .data(Blob::new("x"))
            .set_explicit_hash_key(hash.map(str::to_string))
            .build()
            .unwrap()
    };

    // AWS reports per record only ProvisionedThroughputExceededException and InternalFailure (and KMS
    // errors); anything wrong with one record's input fails the whole request.
    // ExplicitHashKey 2^128 matches the model's pattern but is out of range: InvalidArgumentException.
    let too_big = "340282366920938463463374607431768211456";
    let error = client
        .put_records()
        .stream_name(&name)
        .records(entry("ok", None))
        .records(entry("bad", Some(too_big)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException", "{error:?}");
    assert!(message(&error).contains(too_big), "{error:?}");
    // Not a number: the model's pattern, so a ValidationException naming the member.
    let error = client
        .put_records()
        .stream_name(&name)
        .records(entry("ok", None))
        .records(entry("bad", Some("abc")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ValidationException", "{error:?}");
    assert!(
        message(&error).contains("records.2.member.explicitHashKey"),
        "{error:?}"
    );
    // More than 500 records.
    let error = client
        .put_records()
        .stream_name(&name)
        .set_records(Some(
            (0..501).map(|i| entry(&i.to_string(), None)).collect(),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ValidationException", "{error:?}");
    // None of the above stored anything.
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    assert!(read_all(&client, it).await.0.is_empty());
    // The largest hash key is fine.
    let max = u128::MAX.to_string();
    let out = client
        .put_record()
        .stream_name(&name)
        .partition_key("edge")
        .explicit_hash_key(&max)
        .data(Blob::new("edge"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.shard_id(), "shardId-000000000000");

    // Per-record failures: one shard takes 1,000 records/s, so 3 × 500 records at once overflow it (up to
    // 6 × 500 on a slow machine). The failed entries carry an error code and no sequence number; the others
    // are stored.
    let started = Instant::now();
    let mut accepted = 0usize;
    let mut failed = 0usize;
    for batch in 0..6 {
        if batch >= 3 && failed > 0 {
            break;
        }
        let records = (0..500)
            .map(|i| entry(&format!("b{batch}-{i}"), None))
            .collect();
        let out = client
            .put_records()
            .stream_name(&name)
            .set_records(Some(records))
            .send()
            .await
            .expect("PutRecords");
        assert_eq!(out.records().len(), 500);
        let mut failed_here = 0;
        for record in out.records() {
            match record.error_code() {
                Some(code) => {
                    assert_eq!(code, "ProvisionedThroughputExceededException");
                    assert!(record.error_message().unwrap().contains("Rate exceeded"));
                    assert!(record.sequence_number().is_none() && record.shard_id().is_none());
                    failed_here += 1;
                }
                None => {
                    assert!(record.sequence_number().is_some());
                    accepted += 1;
                }
            }
        }
        assert_eq!(out.failed_record_count(), Some(failed_here));
        failed += failed_here as usize;
    }
    let elapsed_ms = started.elapsed().as_millis() as usize;
    assert!(
        failed > 0,
        "1,500 records in {elapsed_ms} ms were all accepted"
    );
    // A full bucket (1,000 records, one was used by "edge") plus one per elapsed millisecond.
    assert!(
        accepted <= 1000 + elapsed_ms + 10,
        "{accepted} accepted in {elapsed_ms} ms"
    );
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let mut stored = 0;
    let mut next = Some(it);
    while let Some(current) = next.take() {
        let out = client
            .get_records()
            .shard_iterator(&current)
            .send()
            .await
            .expect("GetRecords");
        if out.records().is_empty() {
            break;
        }
        stored += out.records().len();
        next = out.next_shard_iterator().map(str::to_string);
    }
    assert_eq!(stored, accepted + 1);
}

#[tokio::test]
async fn list_shards_pages_with_next_token() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("paging");
    create_active(&client, &name, 5).await;

    let mut seen = Vec::new();
    let first = client
        .list_shards()
        .stream_name(&name)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.shards().len(), 2);
    seen.extend(first.shards().iter().map(|s| s.shard_id().to_string()));
    let mut token = first.next_token().expect("more pages").to_string();

    // NextToken goes alone: with StreamName it is refused.
    let both = client
        .list_shards()
        .stream_name(&name)
        .next_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&both), "InvalidArgumentException", "{both:?}");

    let mut pages = 1;
    loop {
        let page = client
            .list_shards()
            .next_token(&token)
            .max_results(2)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.shards().len() <= 2);
        seen.extend(page.shards().iter().map(|s| s.shard_id().to_string()));
        match page.next_token() {
            Some(next) => token = next.to_string(),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..5).map(|i| format!("shardId-{i:012}")).collect();
    assert_eq!(seen, expected);

    // ExclusiveStartShardId starts after the given shard.
    let rest = client
        .list_shards()
        .stream_name(&name)
        .exclusive_start_shard_id("shardId-000000000002")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = rest.shards().iter().map(Shard::shard_id).collect();
    assert_eq!(ids, ["shardId-000000000003", "shardId-000000000004"]);
    assert!(rest.next_token().is_none());
}

#[tokio::test]
async fn split_and_merge_keep_the_lineage() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("reshard");
    create_active(&client, &name, 1).await;
    let before = client
        .put_record()
        .stream_name(&name)
        .partition_key("before")
        .data(Blob::new("before the split"))
        .send()
        .await
        .unwrap();
    assert_eq!(before.shard_id(), "shardId-000000000000");

    // Split shard 0 in the middle of the key space.
    let middle = 1u128 << 127;
    client
        .split_shard()
        .stream_name(&name)
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key(middle.to_string())
        .send()
        .await
        .expect("SplitShard");
    wait_active(&client, &name).await;
    let after_split = shards(&client, &name).await;
    assert_eq!(after_split.len(), 3, "{after_split:?}");
    let parent = &after_split[0];
    let parent_end = parent
        .sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .expect("the split shard is closed");
    assert!(seq(parent_end) >= seq(before.sequence_number()));
    for (child, range) in after_split[1..]
        .iter()
        .zip([(0, middle - 1), (middle, u128::MAX)])
    {
        assert_eq!(child.parent_shard_id(), Some("shardId-000000000000"));
        assert_eq!(child.adjacent_parent_shard_id(), None);
        assert_eq!(hash_range(child), range);
        assert!(child
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_none());
    }
    let (low, high) = (
        after_split[1].shard_id().to_string(),
        after_split[2].shard_id().to_string(),
    );

    // A closed shard reads to its end: the old record, then no NextShardIterator and the ChildShards.
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let out = client
        .get_records()
        .shard_iterator(&it)
        .send()
        .await
        .unwrap();
    let mut records = out.records().to_vec();
    let mut last = out;
    while let Some(next) = last.next_shard_iterator().map(str::to_string) {
        last = client
            .get_records()
            .shard_iterator(&next)
            .send()
            .await
            .unwrap();
        records.extend_from_slice(last.records());
        assert!(records.len() <= 1, "{records:?}");
    }
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data().as_ref(), b"before the split");
    let children: Vec<(&str, &[String])> = last
        .child_shards()
        .iter()
        .map(|c| (c.shard_id(), c.parent_shards()))
        .collect();
    let parent_list = ["shardId-000000000000".to_string()];
    assert_eq!(
        children,
        [
            (low.as_str(), &parent_list[..]),
            (high.as_str(), &parent_list[..])
        ],
        "{last:?}"
    );

    // New records go to the children; the parent takes none.
    let key = (0..)
        .map(|i| format!("k{i}"))
        .find(|k| partition_hash(k) >= middle)
        .unwrap();
    let put = client
        .put_record()
        .stream_name(&name)
        .partition_key(&key)
        .data(Blob::new("after the split"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.shard_id(), high);
    assert!(seq(put.sequence_number()) > seq(parent_end));

    // Merge the two children back.
    client
        .merge_shards()
        .stream_name(&name)
        .shard_to_merge(&low)
        .adjacent_shard_to_merge(&high)
        .send()
        .await
        .expect("MergeShards");
    wait_active(&client, &name).await;
    let after_merge = shards(&client, &name).await;
    assert_eq!(after_merge.len(), 4, "{after_merge:?}");
    let merged = &after_merge[3];
    assert_eq!(merged.parent_shard_id(), Some(low.as_str()));
    assert_eq!(merged.adjacent_parent_shard_id(), Some(high.as_str()));
    assert_eq!(hash_range(merged), (0, u128::MAX));
    for closed in &after_merge[..3] {
        assert!(
            closed
                .sequence_number_range()
                .unwrap()
                .ending_sequence_number()
                .is_some(),
            "{closed:?}"
        );
    }
    // Reading the high child to its end: its record, then the merged shard as the only child.
    let it = iterator(&client, &name, &high, ShardIteratorType::TrimHorizon, None).await;
    let mut records = Vec::new();
    let mut next = Some(it);
    let mut child_shards = Vec::new();
    while let Some(current) = next.take() {
        let out = client
            .get_records()
            .shard_iterator(&current)
            .send()
            .await
            .unwrap();
        records.extend_from_slice(out.records());
        child_shards = out.child_shards().to_vec();
        next = out.next_shard_iterator().map(str::to_string);
    }
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data().as_ref(), b"after the split");
    assert_eq!(child_shards.len(), 1, "{child_shards:?}");
    assert_eq!(child_shards[0].shard_id(), merged.shard_id());
    assert_eq!(child_shards[0].parent_shards(), [low.clone(), high.clone()]);

    // A closed shard cannot be split again.
    let error = client
        .split_shard()
        .stream_name(&name)
        .shard_to_split(&low)
        .new_starting_hash_key("1")
        .send()
        .await
        .unwrap_err();
    assert!(
        ["ResourceNotFoundException", "InvalidArgumentException"].contains(&code(&error).as_str()),
        "{error:?}"
    );
}

#[tokio::test]
async fn retention_changes_and_their_errors() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("retention");
    create_active(&client, &name, 1).await;
    let hours = |client: Client, name: String| async move {
        client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .unwrap()
            .stream_description_summary()
            .unwrap()
            .retention_period_hours()
    };

    client
        .increase_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(48)
        .send()
        .await
        .expect("increase to 48 h");
    wait_active(&client, &name).await;
    assert_eq!(hours(client.clone(), name.clone()).await, 48);

    // Increase below the current value, decrease above it.
    let error = client
        .increase_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(36)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException");
    assert!(message(&error).contains("shorter"), "{error:?}");
    let error = client
        .decrease_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(72)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException");
    assert!(message(&error).contains("longer"), "{error:?}");
    // Outside 24 .. 8760 hours.
    let error = client
        .decrease_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(23)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException");
    assert!(message(&error).contains("Minimum"), "{error:?}");
    let error = client
        .increase_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(8761)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException");
    assert!(message(&error).contains("Maximum"), "{error:?}");
    assert_eq!(hours(client.clone(), name.clone()).await, 48);

    client
        .decrease_stream_retention_period()
        .stream_name(&name)
        .retention_period_hours(24)
        .send()
        .await
        .expect("decrease to 24 h");
    wait_active(&client, &name).await;
    assert_eq!(hours(client.clone(), name.clone()).await, 24);
    let error = client
        .increase_stream_retention_period()
        .stream_name(unique_name("missing"))
        .retention_period_hours(48)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceNotFoundException");
}

#[tokio::test]
async fn resource_not_found_through_the_sdk() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let missing = unique_name("missing");

    let error = client
        .describe_stream_summary()
        .stream_name(&missing)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{error:?}"
    );
    assert_eq!(
        message(&error),
        format!("Stream {missing} under account {ACCOUNT} not found.")
    );
    let error = client
        .put_record()
        .stream_name(&missing)
        .partition_key("k")
        .data(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{error:?}"
    );
    let error = client
        .delete_stream()
        .stream_name(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceNotFoundException");

    // An existing stream, a shard it does not have.
    let name = unique_name("present");
    create_active(&client, &name, 1).await;
    let error = client
        .get_shard_iterator()
        .stream_name(&name)
        .shard_id("shardId-000000000009")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{error:?}"
    );
    assert!(
        message(&error).contains("shardId-000000000009"),
        "{error:?}"
    );

    // An iterator of a deleted stream.
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    client
        .delete_stream()
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    let error = client
        .get_records()
        .shard_iterator(&it)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{error:?}"
    );
}

/// Iterators expire after 5 minutes. Rather than wait, the test rewrites the issue time inside a real
/// iterator, following Wharf's documented iterator layout (crates/wharf-kinesis/src/iterator.rs: URL-safe
/// base64 of version, stream id, shard index, position, issue time in epoch ms at bytes 29..37, stream
/// name, then the first 4 bytes of the MD5 of all that).
#[tokio::test]
async fn an_iterator_older_than_five_minutes_has_expired() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("expiry");
    create_active(&client, &name, 1).await;
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = engine.decode(&it).expect("a base64 iterator");
    let body_len = bytes.len() - 4;
    let issued = u64::from_be_bytes(bytes[29..37].try_into().unwrap());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(issued.abs_diff(now_ms) < 60_000, "issue time {issued}");
    let rewrite = |bytes: &mut Vec<u8>, issued: u64| {
        bytes[29..37].copy_from_slice(&issued.to_be_bytes());
        let check = md5(&bytes[..body_len]);
        bytes[body_len..].copy_from_slice(&check[..4]);
        engine.encode(&bytes)
    };

    // 4 minutes old: still good.
    let young = rewrite(&mut bytes, now_ms - 240_000);
    client
        .get_records()
        .shard_iterator(&young)
        .send()
        .await
        .expect("a 4-minute-old iterator");
    // 6 minutes old: expired.
    let old = rewrite(&mut bytes, now_ms - 360_000);
    let error = client
        .get_records()
        .shard_iterator(&old)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_expired_iterator_exception()),
        "{error:?}"
    );
    assert!(message(&error).contains("Iterator expired"), "{error:?}");
    // A mangled iterator is an InvalidArgumentException.
    let mut mangled = old.into_bytes();
    mangled[10] = if mangled[10] == b'A' { b'B' } else { b'A' };
    let error = client
        .get_records()
        .shard_iterator(String::from_utf8(mangled).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "InvalidArgumentException", "{error:?}");
}

#[tokio::test]
async fn subscribe_to_shard_pushes_records_put_after_subscribing() {
    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("fanout");
    create_active(&client, &name, 1).await;
    let arn = format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}");
    let consumer = client
        .register_stream_consumer()
        .stream_arn(&arn)
        .consumer_name("reader")
        .send()
        .await
        .expect("RegisterStreamConsumer");
    let consumer_arn = consumer.consumer().unwrap().consumer_arn().to_string();
    assert!(
        consumer_arn.starts_with(&format!("{arn}/consumer/reader:")),
        "{consumer_arn}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let described = client
            .describe_stream_consumer()
            .consumer_arn(&consumer_arn)
            .send()
            .await
            .unwrap();
        if *described.consumer_description().unwrap().consumer_status() == ConsumerStatus::Active {
            break;
        }
        assert!(Instant::now() < deadline, "consumer never became ACTIVE");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A record from before the subscription is not delivered from LATEST.
    client
        .put_record()
        .stream_name(&name)
        .partition_key("p")
        .data(Blob::new("before"))
        .send()
        .await
        .unwrap();
    let subscribed = tokio::time::timeout(
        Duration::from_secs(10),
        client
            .subscribe_to_shard()
            .consumer_arn(&consumer_arn)
            .shard_id("shardId-000000000000")
            .starting_position(
                StartingPosition::builder()
                    .r#type(ShardIteratorType::Latest)
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .await
    .expect("SubscribeToShard answered within 10 s");
    let mut output = subscribed.expect("SubscribeToShard");

    let producer = client.clone();
    let stream_name = name.clone();
    let put = tokio::spawn(async move {
        let mut sequences = Vec::new();
        for i in 0..5 {
            let out = producer
                .put_record()
                .stream_name(&stream_name)
                .partition_key("p")
                .data(Blob::new(format!("pushed {i}")))
                .send()
                .await
                .unwrap();
            sequences.push(out.sequence_number().to_string());
        }
        sequences
    });

    let mut received: Vec<Record> = Vec::new();
    let mut continuation = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.len() < 5 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(next) = tokio::time::timeout(left, output.event_stream.recv()).await else {
            panic!("only {} of 5 records within 10 s", received.len())
        };
        let event = next
            .expect("an event, not an error")
            .expect("the subscription ended early");
        match event {
            SubscribeToShardEventStream::SubscribeToShardEvent(event) => {
                received.extend_from_slice(event.records());
                continuation = Some(event.continuation_sequence_number().to_string());
                assert!(event.millis_behind_latest() >= 0);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    let sequences = put.await.unwrap();
    let data: Vec<&[u8]> = received.iter().map(|r| r.data().as_ref()).collect();
    let expected: Vec<Vec<u8>> = (0..5).map(|i| format!("pushed {i}").into_bytes()).collect();
    assert_eq!(data, expected.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let got: Vec<&str> = received.iter().map(Record::sequence_number).collect();
    assert_eq!(got, sequences);
    assert!(seq(continuation.as_deref().unwrap()) >= seq(sequences.last().unwrap()));

    // Subscribing with an unknown consumer is an ordinary error response.
    let error = client
        .subscribe_to_shard()
        .consumer_arn(format!("{arn}/consumer/nobody:1"))
        .shard_id("shardId-000000000000")
        .starting_position(
            StartingPosition::builder()
                .r#type(ShardIteratorType::Latest)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceNotFoundException", "{error:?}");
}

/// The status DescribeStreamSummary reports, or None once the stream is gone (ResourceNotFoundException).
async fn status_of(client: &Client, name: &str) -> Option<StreamStatus> {
    match client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
    {
        Ok(out) => Some(
            out.stream_description_summary()
                .expect("summary")
                .stream_status()
                .clone(),
        ),
        Err(error) if code(&error) == "ResourceNotFoundException" => None,
        Err(error) => panic!("DescribeStreamSummary: {error:?}"),
    }
}

/// Polls (every 50 ms, at most 10 s) until the stream is gone.
async fn wait_gone(client: &Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(status) = status_of(client, name).await {
        assert!(
            Instant::now() < deadline,
            "stream {name} still {status:?} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server's default transition delay (500 ms): CREATING refuses reads and writes, the SDK's
/// `StreamExists` waiter sees it through, a split shows UPDATING while records keep going to the old shard
/// and takes effect at the end of the window, a DELETING stream keeps its name until it is gone.
#[tokio::test]
async fn streams_go_through_creating_updating_and_deleting() {
    use aws_sdk_kinesis::client::Waiters;

    let server = Server::in_memory();
    let client = server.kinesis_client();
    let name = unique_name("states");
    client
        .create_stream()
        .stream_name(&name)
        .shard_count(1)
        .send()
        .await
        .expect("CreateStream");
    assert_eq!(
        status_of(&client, &name).await,
        Some(StreamStatus::Creating)
    );
    let error = client
        .put_record()
        .stream_name(&name)
        .partition_key("k")
        .data(Blob::new("too early"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceNotFoundException");
    assert_eq!(
        message(&error),
        format!("Stream {name} under account {ACCOUNT} not found.")
    );
    let error = client
        .list_shards()
        .stream_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceInUseException");

    // The one waiter-based test (the SDK's waiter polls DescribeStream every 10 s).
    client
        .wait_until_stream_exists()
        .stream_name(&name)
        .wait(Duration::from_secs(60))
        .await
        .expect("StreamExists waiter");
    let before = client
        .put_record()
        .stream_name(&name)
        .partition_key("k")
        .data(Blob::new("before"))
        .send()
        .await
        .expect("PutRecord on the ACTIVE stream");

    client
        .split_shard()
        .stream_name(&name)
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .expect("SplitShard");
    let updating_since = Instant::now();
    assert_eq!(
        status_of(&client, &name).await,
        Some(StreamStatus::Updating)
    );
    let error = client
        .split_shard()
        .stream_name(&name)
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error), "ResourceInUseException");
    assert_eq!(
        message(&error),
        format!("Stream {name} under account {ACCOUNT} not ACTIVE, instead in state UPDATING")
    );
    // Writes during UPDATING land in the old shard, which is still open.
    let during = client
        .put_record()
        .stream_name(&name)
        .partition_key("k")
        .data(Blob::new("during"))
        .send()
        .await
        .expect("PutRecord while UPDATING");
    let still = shards(&client, &name).await;
    // (Unless this machine took most of the 500 ms window for the calls above.)
    let in_window = updating_since.elapsed() < Duration::from_millis(400);
    if in_window {
        assert_eq!(during.shard_id(), "shardId-000000000000");
        assert_eq!(still.len(), 1, "{still:?}");
    }
    let during_in_parent = during.shard_id() == "shardId-000000000000";
    wait_active(&client, &name).await;
    let after = shards(&client, &name).await;
    assert_eq!(after.len(), 3, "{after:?}");
    let parent_end = after[0]
        .sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .expect("the split shard is closed");
    assert!(seq(parent_end) > seq(before.sequence_number()));
    let it = iterator(
        &client,
        &name,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let (records, next) = read_all(&client, it).await;
    let data: Vec<&[u8]> = records.iter().map(|r| r.data().as_ref()).collect();
    if during_in_parent {
        assert_eq!(data, [&b"before"[..], b"during"]);
        assert!(seq(parent_end) > seq(during.sequence_number()));
    } else {
        assert_eq!(data, [&b"before"[..]]);
    }
    assert_eq!(records[0].sequence_number(), before.sequence_number());
    assert!(next.is_none());

    client
        .delete_stream()
        .stream_name(&name)
        .send()
        .await
        .expect("DeleteStream");
    let deleting_since = Instant::now();
    let status = status_of(&client, &name).await;
    let again = client
        .create_stream()
        .stream_name(&name)
        .shard_count(1)
        .send()
        .await;
    if deleting_since.elapsed() < Duration::from_millis(400) {
        assert_eq!(status, Some(StreamStatus::Deleting));
        let error = again.unwrap_err();
        assert_eq!(code(&error), "ResourceInUseException");
        assert_eq!(
            message(&error),
            format!("Stream {name} under account {ACCOUNT} already exists.")
        );
        wait_gone(&client, &name).await;
    }
}

/// A kill -9 while a split is pending (UPDATING) and a deletion is under way (DELETING): after the restart
/// the split is applied and the deletion finished.
#[tokio::test]
async fn a_restart_finishes_updating_and_deleting() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_data_dir(dir.path());
    let client = server.kinesis_client();
    let (kept, doomed) = (unique_name("kept"), unique_name("doomed"));
    create_active(&client, &kept, 1).await;
    create_active(&client, &doomed, 1).await;
    for name in [&kept, &doomed] {
        client
            .put_record()
            .stream_name(name)
            .partition_key("k")
            .data(Blob::new("durable"))
            .send()
            .await
            .expect("PutRecord");
    }
    client
        .split_shard()
        .stream_name(&kept)
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .expect("SplitShard");
    client
        .delete_stream()
        .stream_name(&doomed)
        .send()
        .await
        .expect("DeleteStream");
    let server = server.kill_and_restart();
    let client = server.kinesis_client();

    wait_active(&client, &kept).await;
    let after = shards(&client, &kept).await;
    assert_eq!(after.len(), 3, "the split was not applied: {after:?}");
    assert!(after[0]
        .sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .is_some());
    let it = iterator(
        &client,
        &kept,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let (records, next) = read_all(&client, it).await;
    assert_eq!(records.len(), 1);
    assert!(next.is_none(), "the parent shard is closed");

    wait_gone(&client, &doomed).await;
    // The name is free again, and the new stream starts empty.
    create_active(&client, &doomed, 1).await;
    let it = iterator(
        &client,
        &doomed,
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    assert!(read_all(&client, it).await.0.is_empty());
}

/// The AWS SDK for Rust Kinesis examples (awsdocs/aws-doc-sdk-examples `rustv1/examples/kinesis`:
/// `create-stream` with 4 shards, `describe-stream`, `list-streams`, `put-record`, `delete-stream`) through a
/// client whose region is the examples' fallback (`us-west-2`) and an endpoint with a trailing slash.
/// `describe-stream` unwraps `EncryptionType`: DescribeStream carries it (`NONE`) from the start, while the
/// stream is still CREATING, and so does PutRecord's answer.
#[tokio::test]
async fn docs_example_stream_lifecycle_with_four_shards() {
    let server = Server::in_memory();
    let client = common::kinesis_client_in(&format!("{}/", server.endpoint()), "us-west-2");
    let name = unique_name("examples");
    client
        .create_stream()
        .stream_name(&name)
        .shard_count(4)
        .send()
        .await
        .unwrap();
    let described = client
        .describe_stream()
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    let description = described.stream_description().unwrap();
    assert_eq!(description.stream_name(), name);
    assert_eq!(description.encryption_type(), Some(&EncryptionType::None));
    assert_eq!(description.retention_period_hours(), 24);

    wait_active(&client, &name).await;
    let described = client
        .describe_stream()
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    let description = described.stream_description().unwrap();
    assert_eq!(description.stream_status(), &StreamStatus::Active);
    assert_eq!(description.shards().len(), 4);
    assert_eq!(description.encryption_type(), Some(&EncryptionType::None));
    let listed = client.list_streams().send().await.unwrap();
    assert_eq!(listed.stream_names(), std::slice::from_ref(&name));

    let put = client
        .put_record()
        .data(Blob::new("some data"))
        .partition_key("a key")
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    let shard_ids: Vec<&str> = description.shards().iter().map(Shard::shard_id).collect();
    assert!(shard_ids.contains(&put.shard_id()), "{put:?}");
    assert_eq!(put.encryption_type(), Some(&EncryptionType::None));

    client
        .delete_stream()
        .stream_name(&name)
        .send()
        .await
        .unwrap();
    wait_gone(&client, &name).await;
    assert!(client
        .list_streams()
        .send()
        .await
        .unwrap()
        .stream_names()
        .is_empty());
}
