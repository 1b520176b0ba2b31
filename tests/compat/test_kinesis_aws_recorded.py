"""Kinesis Data Streams behaviour recorded against real AWS (LocalStack's AWS-validated tests, AWS answers
quoted in client issues) or stated by the current API reference, checked with boto3."""

import pytest
from botocore.exceptions import ClientError

from test_kinesis import error_of, kinesis, make_stream, stream_name, wait_active, wait_gone  # noqa: F401


def test_get_records_accepts_an_iterator_in_double_quotes(kinesis, make_stream):
    # LocalStack's test_get_records_shard_iterator_with_surrounding_quotes, validated against AWS
    # (localstack/localstack#9884): a shard iterator passed with surrounding double quotes (as a shell
    # easily does) reads the shard.
    name = make_stream(shards=1)
    kinesis.put_records(StreamName=name, Records=[{"Data": b"Hello world", "PartitionKey": "1"}])
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    out = kinesis.get_records(ShardIterator=f'"{iterator}"')
    assert [r["Data"] for r in out["Records"]] == [b"Hello world"]
    assert kinesis.get_records(ShardIterator=out["NextShardIterator"])["Records"] == []

    # Still not an iterator: one quote only, or single quotes.
    for text in (f'"{iterator}', f"'{iterator}'"):
        with pytest.raises(ClientError) as excinfo:
            kinesis.get_records(ShardIterator=text)
        assert error_of(excinfo) == ("InvalidArgumentException", "Invalid ShardIterator.")


def test_list_shards_next_token_with_stream_arn_names_stream_arn(kinesis, make_stream):
    # AWS's answer quoted in aws/aws-cli#9635 (2025): "NextToken and StreamARN cannot be provided
    # together."; with StreamName, "NextToken and StreamName cannot be provided together." (botocore#2009).
    name = make_stream(shards=2)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    token = kinesis.list_shards(StreamARN=arn, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(NextToken=token, StreamARN=arn)
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "NextToken and StreamARN cannot be provided together.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(NextToken=token, StreamName=name)
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "NextToken and StreamName cannot be provided together.",
    )
    rest = kinesis.list_shards(NextToken=token)
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000001"]


def test_put_records_request_may_hold_10_mib(kinesis, make_stream):
    # API reference, PutRecords (2025): "Each record in the request can be as large as 10 MiB, up to a
    # limit of 10 MiB for the entire request, including partition keys" (was 5 MiB).
    name = make_stream(shards=8)
    record = b"x" * 1_000_000
    records = [{"Data": record, "PartitionKey": f"k{i}"} for i in range(6)]  # ~5.7 MiB
    out = kinesis.put_records(StreamName=name, Records=records)
    assert len(out["Records"]) == 6
    assert out["FailedRecordCount"] < 6

    # Above 10 MiB in total the whole request is refused.
    records = [{"Data": record, "PartitionKey": f"k{i}"} for i in range(11)]
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_records(StreamName=name, Records=records)
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    assert "10 MB" in error_of(excinfo)[1]

    # The per-record maximum (the stream's MaxRecordSizeInKiB, 1 MiB by default) still applies.
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x" * (1024 * 1024 + 1), "PartitionKey": "k"}])
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_iterator_of_a_deleted_stream_reads_the_stream_created_again(kinesis, make_stream, account_id):
    # kinesalite's getRecords test, run against AWS ("Takes 95 secs to run on production"): iterators of
    # a deleted stream answer ResourceNotFoundException "Shard ... does not exist"; once a stream of the
    # same name exists again, the iterator of a shard it has reads it (200, a NextShardIterator), the
    # other one is still "does not exist".
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=2)
    assert wait_active(kinesis, name) == "ACTIVE"
    iterators = [
        kinesis.get_shard_iterator(StreamName=name, ShardId=f"shardId-00000000000{i}", ShardIteratorType="LATEST")[
            "ShardIterator"
        ]
        for i in range(2)
    ]
    kinesis.delete_stream(StreamName=name)
    assert wait_gone(kinesis, name) is None

    def does_not_exist(i):
        return (
            "ResourceNotFoundException",
            f"Shard shardId-00000000000{i} in stream {name} under account {account_id} does not exist",
        )

    for i, iterator in enumerate(iterators):
        with pytest.raises(ClientError) as excinfo:
            kinesis.get_records(ShardIterator=iterator)
        assert error_of(excinfo) == does_not_exist(i)

    make_stream(shards=1, name=name)
    with pytest.raises(ClientError) as excinfo:
        kinesis.get_records(ShardIterator=iterators[1])
    assert error_of(excinfo) == does_not_exist(1)
    out = kinesis.get_records(ShardIterator=iterators[0])
    assert out["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=out["NextShardIterator"])["Records"]] == [b"new"]


def test_consumer_arn_is_not_a_stream_arn(kinesis, make_stream, account_id):
    # StreamARN is "The ARN of the stream" (API reference); a consumer ARN matches the member's pattern
    # (`stream/\S+`) but names a consumer, so it designates no stream. The resource-policy actions, which
    # take either, answer ResourceNotFoundException for an ARN that is no valid resource. Wording: Wharf's.
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer_arn = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c1")["Consumer"]["ConsumerARN"]
    resource = consumer_arn.split(":stream/", 1)[1]
    calls = [
        (kinesis.describe_stream_summary, {}),
        (kinesis.describe_stream, {}),
        (kinesis.list_shards, {}),
        (kinesis.put_record, {"Data": b"x", "PartitionKey": "k"}),
        (kinesis.get_shard_iterator, {"ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"}),
        (kinesis.list_stream_consumers, {}),
    ]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as excinfo:
            call(StreamARN=consumer_arn, **kwargs)
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"Stream {resource} under account {account_id} not found.",
        ), call
    # The consumer's own actions and the resource-policy actions still take it.
    assert kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)["ConsumerDescription"]["StreamARN"] == arn
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"][0]["ConsumerARN"] == consumer_arn
