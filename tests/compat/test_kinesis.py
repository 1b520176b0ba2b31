"""Kinesis Data Streams through boto3 (AWS JSON 1.1) and the AWS CLI walkthrough."""

import base64
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from sqs_helpers import REGION, suite_client

MAX_HASH = 2**128 - 1


@pytest.fixture(scope="session")
def kinesis(endpoint):
    """boto3 Kinesis client (AWS JSON 1.1)."""
    return suite_client("kinesis", endpoint)


def stream_name(prefix="ks"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def wait_active(kinesis, name, timeout=10.0):
    """Polls DescribeStreamSummary (every 50 ms: boto3's waiters poll every 10 s) until the stream is ACTIVE.

    Streams stay CREATING / UPDATING for the server's transition delay (500 ms by default)."""
    deadline = time.monotonic() + timeout
    while True:
        status = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def wait_gone(kinesis, name, timeout=10.0):
    """Polls DescribeStreamSummary until the (DELETING) stream is gone; returns the last status seen."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() <= deadline:
        try:
            status = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        time.sleep(0.05)
    return status


@pytest.fixture
def make_stream(kinesis):
    """Factory: ``make_stream(shards=1, **kwargs)`` creates an ACTIVE stream and returns its name."""
    created = []

    def _make(shards=1, name=None, **kwargs):
        name = name or stream_name()
        if "StreamModeDetails" not in kwargs:
            kwargs["ShardCount"] = shards
        kinesis.create_stream(StreamName=name, **kwargs)
        created.append(name)
        assert wait_active(kinesis, name) == "ACTIVE"
        return name

    yield _make
    for name in created:
        try:
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        except Exception:  # already deleted by the test, or server gone
            pass


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def read_all(kinesis, name, shard_id="shardId-000000000000", kind="TRIM_HORIZON"):
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind)["ShardIterator"]
    out = kinesis.get_records(ShardIterator=it)
    return out


def test_stream_lifecycle(kinesis, make_stream, account_id):
    name = make_stream(shards=3)
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["StreamARN"] == f"arn:aws:kinesis:{REGION}:{account_id}:stream/{name}"
    assert desc["RetentionPeriodHours"] == 24
    assert desc["HasMoreShards"] is False
    assert [s["ShardId"] for s in desc["Shards"]] == [f"shardId-{i:012d}" for i in range(3)]
    assert desc["Shards"][0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert desc["Shards"][2]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH)
    assert int(desc["Shards"][0]["HashKeyRange"]["EndingHashKey"]) + 1 == int(
        desc["Shards"][1]["HashKeyRange"]["StartingHashKey"]
    )
    assert "StartingSequenceNumber" in desc["Shards"][0]["SequenceNumberRange"]

    summary = kinesis.describe_stream_summary(StreamARN=desc["StreamARN"])["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}

    page = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert len(page["Shards"]) == 2 and page["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId=page["Shards"][-1]["ShardId"])
    assert [s["ShardId"] for s in rest["StreamDescription"]["Shards"]] == ["shardId-000000000002"]

    listed = kinesis.list_streams()
    assert name in listed["StreamNames"]
    assert any(s["StreamName"] == name and s["StreamStatus"] == "ACTIVE" for s in listed["StreamSummaries"])

    with pytest.raises(ClientError) as excinfo:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert error_of(excinfo) == ("ResourceInUseException", f"Stream {name} under account {account_id} already exists.")

    kinesis.delete_stream(StreamName=name)
    # DELETING for the transition delay, then gone.
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "DELETING"
    assert wait_gone(kinesis, name) is None
    with pytest.raises(ClientError) as excinfo:
        kinesis.describe_stream(StreamName=name)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Stream {name} under account {account_id} not found.")


def test_stream_states_while_creating_and_updating(kinesis, account_id):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    try:
        desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
        assert desc["StreamStatus"] == "CREATING"
        assert desc["Shards"] == []
        with pytest.raises(ClientError) as excinfo:
            kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"Stream {name} under account {account_id} not found.",
        )
        assert wait_active(kinesis, name) == "ACTIVE"
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        with pytest.raises(ClientError) as excinfo:
            kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
        assert error_of(excinfo) == (
            "ResourceInUseException",
            f"Stream {name} under account {account_id} not ACTIVE, instead in state UPDATING",
        )
        # Reads and writes go on while UPDATING.
        assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["ShardId"] == "shardId-000000000000"
        assert wait_active(kinesis, name) == "ACTIVE"
        assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48
    finally:
        kinesis.delete_stream(StreamName=name)


def test_on_demand_stream_has_four_shards(kinesis, make_stream):
    name = make_stream(StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert summary["OpenShardCount"] == 4


def test_validation_errors(kinesis):
    with pytest.raises(ClientError) as excinfo:
        kinesis.create_stream(StreamName="bad name", ShardCount=1)
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_record(StreamName=stream_name(), Data=b"x", PartitionKey="k")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_put_and_get_records(kinesis, make_stream):
    name = make_stream(shards=1)
    before = time.time()
    first = kinesis.put_record(StreamName=name, Data=b"hello", PartitionKey="a")
    second = kinesis.put_record(StreamName=name, Data=b"\x00\xff binary", PartitionKey="b")
    assert first["ShardId"] == "shardId-000000000000"
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    assert first["EncryptionType"] == "NONE"

    out = read_all(kinesis, name)
    assert [r["Data"] for r in out["Records"]] == [b"hello", b"\x00\xff binary"]
    assert [r["PartitionKey"] for r in out["Records"]] == ["a", "b"]
    assert out["Records"][0]["SequenceNumber"] == first["SequenceNumber"]
    arrival = out["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
    assert before - 5 <= arrival <= time.time() + 5
    assert out["MillisBehindLatest"] == 0
    assert out["NextShardIterator"]

    # Continue from NextShardIterator: only what is new.
    assert kinesis.get_records(ShardIterator=out["NextShardIterator"])["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"third", PartitionKey="c")
    more = kinesis.get_records(ShardIterator=out["NextShardIterator"])
    assert [r["Data"] for r in more["Records"]] == [b"third"]

    at = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=second["SequenceNumber"],
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=at, Limit=1)["Records"]] == [b"\x00\xff binary"]
    after = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId="shardId-000000000000",
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=second["SequenceNumber"],
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=after)["Records"]] == [b"third"]


def test_latest_and_at_timestamp_iterators(kinesis, make_stream):
    name = make_stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    latest = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="LATEST"
    )["ShardIterator"]
    # boto3 sends AT_TIMESTAMP as whole epoch seconds: step into the next second before marking.
    time.sleep(1.05 - (time.time() % 1))
    mark = int(time.time())
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"new"]
    at = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="AT_TIMESTAMP", Timestamp=mark
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=at)["Records"]] == [b"new"]


def test_hash_key_routing(kinesis, make_stream):
    name = make_stream(shards=2)
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="k", ExplicitHashKey="0")["ShardId"] == (
        "shardId-000000000000"
    )
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="k", ExplicitHashKey=str(MAX_HASH))[
        "ShardId"
    ] == "shardId-000000000001"
    # MD5("b") = 92eb5f...: upper half.
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="b")["ShardId"] == "shardId-000000000001"
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_record(StreamName=name, Data=b"", PartitionKey="k", ExplicitHashKey=str(MAX_HASH + 1))
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {MAX_HASH + 1}",
    )


def test_put_records_batch(kinesis, make_stream):
    name = make_stream(shards=2)
    entries = [{"Data": f"r{i}".encode(), "PartitionKey": f"pk-{i}"} for i in range(20)]
    out = kinesis.put_records(StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == 20
    assert all("SequenceNumber" in r and "ShardId" in r for r in out["Records"])
    seen = []
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        seen += [r["Data"] for r in read_all(kinesis, name, shard)["Records"]]
    assert sorted(seen) == sorted(e["Data"] for e in entries)

    with pytest.raises(ClientError) as excinfo:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert error_of(excinfo)[0] == "ValidationException"


def test_write_throughput_limit_fails_records_individually(kinesis, make_stream):
    name = make_stream(shards=1)
    batch = [{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)]
    failed = 0
    for _ in range(10):  # 1,000 records/s per shard: a few batches in quick succession exceed it
        out = kinesis.put_records(StreamName=name, Records=batch)
        failed += out["FailedRecordCount"]
        if out["FailedRecordCount"]:
            break
    assert failed > 0
    rejected = [r for r in out["Records"] if "ErrorCode" in r]
    assert rejected and rejected[0]["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert rejected[0]["ErrorMessage"].startswith("Rate exceeded for shard shardId-000000000000")


def test_split_merge_and_child_shards(kinesis, make_stream):
    name = make_stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"parent", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    assert wait_active(kinesis, name) == "ACTIVE"
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    assert shards[1]["ParentShardId"] == "shardId-000000000000"
    open_shards = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in open_shards] == ["shardId-000000000001", "shardId-000000000002"]

    out = read_all(kinesis, name)
    assert [r["Data"] for r in out["Records"]] == [b"parent"]
    assert out.get("NextShardIterator") is None
    assert sorted(c["ShardId"] for c in out["ChildShards"]) == ["shardId-000000000001", "shardId-000000000002"]

    kinesis.merge_shards(
        StreamName=name, ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002"
    )
    assert wait_active(kinesis, name) == "ACTIVE"
    merged = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][-1]
    assert merged["ParentShardId"] == "shardId-000000000001"
    assert merged["AdjacentParentShardId"] == "shardId-000000000002"
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="k")["ShardId"] == merged["ShardId"]

    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"]) == (1, 2)
    assert wait_active(kinesis, name) == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    with pytest.raises(ClientError) as excinfo:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=5, ScalingType="UNIFORM_SCALING")
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_list_shards_pagination(kinesis, make_stream):
    name = make_stream(shards=5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert len(first["Shards"]) == 2 and first["NextToken"]
    ids = [s["ShardId"] for s in first["Shards"]]
    token = first["NextToken"]
    while token:
        page = kinesis.list_shards(NextToken=token, MaxResults=2)
        ids += [s["ShardId"] for s in page["Shards"]]
        token = page.get("NextToken")
    assert ids == [f"shardId-{i:012d}" for i in range(5)]


def test_tags_and_retention(kinesis, make_stream):
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.add_tags_to_stream(StreamName=name, Tags={"team": "core", "env": "test"})
    kinesis.tag_resource(ResourceARN=arn, Tags={"extra": "1"})
    tags = kinesis.list_tags_for_stream(StreamName=name)
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == {"team": "core", "env": "test", "extra": "1"}
    assert tags["HasMoreTags"] is False
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["env"])
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["extra"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "core"}]

    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert wait_active(kinesis, name) == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=9000)
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_settings_and_limits(kinesis, make_stream):
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    limits = kinesis.describe_limits()
    assert limits["OpenShardCount"] >= 1 and limits["ShardLimit"] > 0
    out = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert out["CurrentShardLevelMetrics"] == []
    assert out["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    assert wait_active(kinesis, name) == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes"]}]
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["EncryptionType"] == "KMS"
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert wait_active(kinesis, name) == "ACTIVE"
    kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 2048
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert json.loads(kinesis.get_resource_policy(ResourceARN=arn)["Policy"]) == json.loads(policy)
    kinesis.delete_resource_policy(ResourceARN=arn)


def test_consumers_and_subscribe_to_shard(kinesis, make_stream):
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert consumer["ConsumerARN"].startswith(f"{arn}/consumer/app:")
    deadline = time.monotonic() + 10
    while True:
        desc = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
        if desc["ConsumerStatus"] == "ACTIVE" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert desc["StreamARN"] == arn
    listed = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["app"]

    kinesis.put_record(StreamName=name, Data=b"fan-out", PartitionKey="k")
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    received = []
    for event in response["EventStream"]:
        if "SubscribeToShardEvent" in event:
            received += [r["Data"] for r in event["SubscribeToShardEvent"]["Records"]]
            if received:
                break
    response["EventStream"].close()
    assert received == [b"fan-out"]

    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="app")
    # DELETING for a moment (the transition delay), then gone.
    described = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")
    assert described["ConsumerDescription"]["ConsumerStatus"] == "DELETING"
    deadline = time.time() + 10
    while True:
        try:
            kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        assert time.time() < deadline, "the consumer is still there after its DELETING window"
        time.sleep(0.1)


def test_expired_and_invalid_iterators(kinesis, make_stream):
    make_stream(shards=1)
    with pytest.raises(ClientError) as excinfo:
        kinesis.get_records(ShardIterator="not-an-iterator")
    assert error_of(excinfo) == ("InvalidArgumentException", "Invalid ShardIterator.")


# ---------------------------------------------------------------------------------------------------------
# The AWS CLI walkthrough: create-stream, put-record, get-shard-iterator, get-records.


def test_cli_walkthrough(aws_cli, kinesis):
    aws = aws_cli("kinesis").json

    name = stream_name("cli")
    aws("create-stream", "--stream-name", name, "--shard-count", "1")
    try:
        # As the walkthrough does: describe-stream-summary until the stream is ACTIVE (CREATING first).
        deadline = time.monotonic() + 30
        while True:
            status = aws("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]["StreamStatus"]
            if status == "ACTIVE":
                break
            assert status == "CREATING" and time.monotonic() < deadline, status
            time.sleep(0.1)
        # AWS CLI v2 takes blobs as base64 by default; v1 sends the text as is. Base64 text works for both
        # when we compare what comes back against both readings.
        put = aws("put-record", "--stream-name", name, "--partition-key", "123", "--data", "dGVzdGRhdGE=")
        assert put["ShardId"] == "shardId-000000000000"
        it = aws(
            "get-shard-iterator",
            "--stream-name",
            name,
            "--shard-id",
            "shardId-000000000000",
            "--shard-iterator-type",
            "TRIM_HORIZON",
        )["ShardIterator"]
        records = aws("get-records", "--shard-iterator", it)["Records"]
        assert len(records) == 1
        assert records[0]["SequenceNumber"] == put["SequenceNumber"]
        assert records[0]["PartitionKey"] == "123"
        assert base64.b64decode(records[0]["Data"]) in (b"testdata", b"dGVzdGRhdGE=")
    finally:
        aws("delete-stream", "--stream-name", name)
