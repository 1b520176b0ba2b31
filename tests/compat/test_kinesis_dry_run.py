"""Kinesis Data Streams `DryRun` (developer guide, "Test your permissions and request inputs with dry run";
API reference of PutRecord, PutRecords, GetShardIterator, GetRecords and SubscribeToShard): the request is
checked as usual but nothing is read or written; a request that would have succeeded answers HTTP 400
`DryRunOperationException`, one that would have failed answers the error the real call gives. Dry runs
have their own rate of 1 per second per stream (`ThrottlingException`)."""

import time

import pytest
from botocore.exceptions import ClientError

from test_kinesis import error_of, kinesis, make_stream, stream_name  # noqa: F401

SHARD = "shardId-000000000000"


def dry_run_error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(DryRun=True, **kwargs)
    return excinfo


def test_dry_runs_check_without_writing_or_reading(kinesis, make_stream):
    name = make_stream(shards=1)

    excinfo = dry_run_error(kinesis.put_record, StreamName=name, Data=b"dry", PartitionKey="k")
    assert error_of(excinfo)[0] == "DryRunOperationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    excinfo = dry_run_error(kinesis.put_records, StreamName=name, Records=[{"Data": b"dry", "PartitionKey": "k"}])
    assert error_of(excinfo)[0] == "DryRunOperationException"
    excinfo = dry_run_error(kinesis.get_shard_iterator, StreamName=name, ShardId=SHARD, ShardIteratorType="LATEST")
    assert error_of(excinfo)[0] == "DryRunOperationException"

    # Nothing was written: the shard is still empty.
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    excinfo = dry_run_error(kinesis.get_records, ShardIterator=iterator)
    assert error_of(excinfo)[0] == "DryRunOperationException"
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []

    # A real put after the dry runs; a dry-run GetRecords does not read it (nor use the shard's read quota).
    kinesis.put_record(StreamName=name, Data=b"real", PartitionKey="k")
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [r["Data"] for r in records] == [b"real"]


def test_a_dry_run_that_would_fail_answers_the_real_error(kinesis, make_stream):
    name = make_stream(shards=1)
    excinfo = dry_run_error(kinesis.put_record, StreamName=stream_name("missing"), Data=b"x", PartitionKey="k")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    excinfo = dry_run_error(kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="k" * 257)
    assert error_of(excinfo)[0] == "ValidationException"
    excinfo = dry_run_error(
        kinesis.get_shard_iterator,
        StreamName=name,
        ShardId=SHARD,
        ShardIteratorType="AT_TIMESTAMP",
        Timestamp=time.time() + 3600,
    )
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    excinfo = dry_run_error(kinesis.get_records, ShardIterator="not-an-iterator")
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_dry_runs_are_limited_per_stream(kinesis, make_stream):
    name = make_stream(shards=1)
    codes = []
    for _ in range(12):
        excinfo = dry_run_error(kinesis.put_record, StreamName=name, Data=b"x", PartitionKey="k")
        codes.append(error_of(excinfo)[0])
    assert codes[0] == "DryRunOperationException"
    assert "ThrottlingException" in codes
    assert set(codes) == {"DryRunOperationException", "ThrottlingException"}
    # Another stream has its own allowance, and real calls are not affected.
    other = make_stream(shards=1)
    excinfo = dry_run_error(kinesis.put_record, StreamName=other, Data=b"x", PartitionKey="k")
    assert error_of(excinfo)[0] == "DryRunOperationException"
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")


def test_subscribe_to_shard_dry_run(kinesis, make_stream):
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="dry")["Consumer"]["ConsumerARN"]
    deadline = time.monotonic() + 10
    while kinesis.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    excinfo = dry_run_error(
        kinesis.subscribe_to_shard, ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"}
    )
    assert error_of(excinfo)[0] == "DryRunOperationException"
    excinfo = dry_run_error(
        kinesis.subscribe_to_shard,
        ConsumerARN=consumer,
        ShardId="shardId-000000000007",
        StartingPosition={"Type": "LATEST"},
    )
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    # The dry run took no subscription: a real one right after it is not refused as a re-subscription.
    response = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    response["EventStream"].close()
