"""Kinesis Data Streams: page caps and ListShards / ListStreamConsumers arguments, as the API reference
describes them (boto3, AWS JSON 1.1)."""

import datetime
import time

import pytest
from botocore.exceptions import ClientError

from test_kinesis import error_of, kinesis, make_stream, stream_name, wait_active, wait_gone  # noqa: F401


def test_describe_stream_and_list_shards_cap_their_pages(kinesis, make_stream):
    # DescribeStream: "If you specify a value greater than 100, at most 100 results are returned."
    # ListShards: "If you specify a value greater than 1000, at most 1000 results are returned."
    name = make_stream(shards=1001)
    desc = kinesis.describe_stream(StreamName=name, Limit=10000)["StreamDescription"]
    assert len(desc["Shards"]) == 100
    assert desc["HasMoreShards"] is True
    assert desc["Shards"][-1]["ShardId"] == "shardId-000000000099"
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert len(desc["Shards"]) == 100

    page = kinesis.list_shards(StreamName=name, MaxResults=10000)
    assert len(page["Shards"]) == 1000
    assert "NextToken" in page
    rest = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=10000)
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000001000"]
    assert "NextToken" not in rest
    assert len(kinesis.list_shards(StreamName=name)["Shards"]) == 1000


def test_list_shards_stream_creation_timestamp(kinesis, make_stream):
    name = make_stream(shards=2)
    created = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamCreationTimestamp"
    ]
    page = kinesis.list_shards(StreamName=name, StreamCreationTimestamp=created, MaxResults=1)
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000000"]

    # "Don't specify StreamName or StreamCreationTimestamp if you specify NextToken."
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(NextToken=page["NextToken"], StreamCreationTimestamp=created)
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "NextToken and StreamCreationTimestamp cannot be provided together.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # A creation time that is not this stream's designates an earlier stream of the same name.
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(StreamName=name, StreamCreationTimestamp=datetime.datetime(2020, 1, 1))
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_list_shards_filter_members_belong_to_their_types(kinesis, make_stream):
    name = make_stream(shards=2)
    # ShardId "can only be used if the AFTER_SHARD_ID shard type is specified".
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST", "ShardId": "shardId-000000000000"})
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    # Timestamp "can only be used if FROM_TIMESTAMP or AT_TIMESTAMP shard types are specified".
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_shards(
            StreamName=name,
            ShardFilter={"Type": "FROM_TRIM_HORIZON", "Timestamp": datetime.datetime(2020, 1, 1)},
        )
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    after = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"}
    )
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000001"]
    now = datetime.datetime.now(datetime.timezone.utc)
    at = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": now})
    assert len(at["Shards"]) == 2


def test_list_stream_consumers_stream_creation_timestamp(kinesis, make_stream):
    name = make_stream(shards=1)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    arn, created = summary["StreamARN"], summary["StreamCreationTimestamp"]
    for consumer in ("c1", "c2"):
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=consumer)
    page = kinesis.list_stream_consumers(StreamARN=arn, StreamCreationTimestamp=created, MaxResults=1)
    assert [c["ConsumerName"] for c in page["Consumers"]] == ["c1"]
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_stream_consumers(StreamARN=arn, NextToken=page["NextToken"], StreamCreationTimestamp=created)
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    rest = kinesis.list_stream_consumers(StreamARN=arn, NextToken=page["NextToken"], MaxResults=10000)
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["c2"]
    with pytest.raises(ClientError) as excinfo:
        kinesis.list_stream_consumers(StreamARN=arn, StreamCreationTimestamp=datetime.datetime(2020, 1, 1))
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_consumer_arn_pattern_and_conflicting_identifiers(kinesis, make_stream):
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer_arn = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]["ConsumerARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="other")

    # ConsumerARN has a pattern: a malformed one is a ValidationException, not "not found".
    with pytest.raises(ClientError) as excinfo:
        kinesis.describe_stream_consumer(ConsumerARN="not-an-arn")
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'not-an-arn' at 'consumerARN' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
    )
    with pytest.raises(ClientError) as excinfo:
        kinesis.deregister_stream_consumer(ConsumerARN=f"{arn}/consumer/reader")
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kinesis.describe_stream_consumer(ConsumerARN=f"{arn}/consumer/reader:1")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"

    # All three identifiers may be given "as long as they don't conflict with each other".
    both = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn, StreamARN=arn, ConsumerName="reader")
    assert both["ConsumerDescription"]["ConsumerName"] == "reader"
    with pytest.raises(ClientError) as excinfo:
        kinesis.describe_stream_consumer(ConsumerARN=consumer_arn, StreamARN=arn, ConsumerName="other")
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    with pytest.raises(ClientError) as excinfo:
        kinesis.deregister_stream_consumer(ConsumerARN=consumer_arn, ConsumerName="other")
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    # Nothing was deregistered by the refused call.
    names = sorted(c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"])
    assert names == ["other", "reader"]


def test_delete_stream_while_creating_is_allowed(kinesis, account_id):
    # AWS's answers recorded in kinesalite's deleteStream test ("should allow stream to be deleted while it
    # is being created", run against production): 200, then DELETING with no shards, then gone. (Was
    # refused with ResourceInUseException, after an older kinesalite implementation.)
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "CREATING"
    kinesis.delete_stream(StreamName=name)
    description = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert description["StreamStatus"] == "DELETING"
    assert description["Shards"] == []
    assert description["HasMoreShards"] is False
    assert description["StreamARN"] == f"arn:aws:kinesis:us-east-1:{account_id}:stream/{name}"
    wait_gone(kinesis, name)


def test_tag_characters_are_checked_everywhere(kinesis, make_stream):
    # Tag keys and values: "Valid characters: Unicode letters, digits, white space, _ . / = + - % @"; the
    # message is AWS's (kinesalite's recordings).
    expected = (
        "InvalidArgumentException",
        "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
        "_ . / = + - % @.",
    )
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.add_tags_to_stream(StreamName=name, Tags={"ok key_1": "v.a/l=u+e-%@", "ünï": "çödé"})
    with pytest.raises(ClientError) as excinfo:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"bad#key": "v"})
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"k": "bad*value"})
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["bad#key"])
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        kinesis.tag_resource(ResourceARN=arn, Tags={"k": "bad!"})
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        kinesis.create_stream(StreamName=stream_name(), ShardCount=1, Tags={"bad#": "v"})
    assert error_of(excinfo) == expected
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
    assert tags == {"ok key_1": "v.a/l=u+e-%@", "ünï": "çödé"}


def test_more_than_50_tags_on_a_stream_is_an_invalid_argument(kinesis, make_stream):
    # Up to 50 tags per stream, all of them in one call if wanted (API reference, AddTagsToStream);
    # going past 50 is an InvalidArgumentException naming the stream and the account.
    name = make_stream(shards=1)
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(45)})
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "w" for i in range(40, 50)})
    with pytest.raises(ClientError) as excinfo:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"one-more": "v"})
    code, message = error_of(excinfo)
    assert code == "InvalidArgumentException"
    assert message.startswith(f"Failed to add tags to stream {name} under account ")
    assert message.endswith("because a given stream cannot have more than 50 tags associated with it.")
    tags = kinesis.list_tags_for_stream(StreamName=name, Limit=50)["Tags"]
    assert len(tags) == 50
    other = make_stream(shards=1)
    with pytest.raises(ClientError) as excinfo:
        kinesis.add_tags_to_stream(StreamName=other, Tags={f"k{i}": "v" for i in range(51)})
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_get_records_limit_above_10000_is_an_invalid_argument(kinesis, make_stream):
    # API reference, GetRecords Limit: "Specify a value of up to 10,000. If you specify a value that is
    # greater than 10,000, GetRecords throws InvalidArgumentException." (Valid range 1..10000.)
    name = make_stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"one", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    for limit in (10001, 2**31 - 1):
        with pytest.raises(ClientError) as excinfo:
            kinesis.get_records(ShardIterator=iterator, Limit=limit)
        code, message = error_of(excinfo)
        assert code == "InvalidArgumentException", limit
        assert str(limit) in message and "10000" in message
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The iterator is still good, and 10,000 itself is the largest accepted value.
    records = kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"]
    assert [r["Data"] for r in records] == [b"one"]


def test_at_most_five_streams_creating_at_once(kinesis, make_stream):
    # API reference, CreateStream: "You receive a LimitExceededException when making a CreateStream request
    # when you try to [...] Have more than five streams in the CREATING state at any point in time."
    names = [stream_name() for _ in range(6)]
    try:
        for name in names[:5]:
            kinesis.create_stream(StreamName=name, ShardCount=1)
        with pytest.raises(ClientError) as excinfo:
            kinesis.create_stream(StreamName=names[5], ShardCount=1)
        assert error_of(excinfo)[0] == "LimitExceededException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # Once they are ACTIVE, the refused stream can be created.
        for name in names[:5]:
            assert wait_active(kinesis, name) == "ACTIVE"
        kinesis.create_stream(StreamName=names[5], ShardCount=1)
        assert wait_active(kinesis, names[5]) == "ACTIVE"
    finally:
        for name in names:
            try:
                kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
            except ClientError:
                pass


def test_at_most_five_consumers_creating_at_once(kinesis, make_stream):
    # API reference, RegisterStreamConsumer: "Registering a 6th consumer while there are 5 in a CREATING
    # status results in a LimitExceededException."
    name = make_stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    for i in range(5):
        consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")["Consumer"]
        assert consumer["ConsumerStatus"] == "CREATING"
    with pytest.raises(ClientError) as excinfo:
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c5")
    assert error_of(excinfo)[0] == "LimitExceededException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    consumers = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert sorted(c["ConsumerName"] for c in consumers) == [f"c{i}" for i in range(5)]
    # Once they are ACTIVE, more can be registered (up to 20 per stream).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        statuses = {c["ConsumerStatus"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]}
        if statuses == {"ACTIVE"}:
            break
        time.sleep(0.05)
    assert kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c5")["Consumer"]["ConsumerName"] == "c5"


def test_get_shard_iterator_is_limited_per_shard(kinesis, make_stream):
    # API reference, GetShardIterator: "If a GetShardIterator request is made too often, you receive a
    # ProvisionedThroughputExceededException" ... "a limit of five transactions per second per account per
    # open shard". (Wharf's bucket holds 5 s of that rate, so a short burst passes.)
    name = make_stream(shards=2)

    def iterator(shard):
        return kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="LATEST")

    with pytest.raises(ClientError) as excinfo:
        for _ in range(60):
            iterator("shardId-000000000000")
    code, message = error_of(excinfo)
    assert code == "ProvisionedThroughputExceededException"
    assert message.startswith(f"Rate exceeded for shard shardId-000000000000 in stream {name} under account ")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Per shard: the other one still answers, and the throttled one again after a pause.
    assert iterator("shardId-000000000001")["ShardIterator"]
    time.sleep(0.5)
    assert iterator("shardId-000000000000")["ShardIterator"]


def test_update_shard_count_at_most_ten_times_a_day(kinesis, make_stream):
    # API reference, UpdateShardCount: "By default, you cannot [...] Scale more than ten times per rolling
    # 24-hour period per stream" (LimitExceededException, the action's quota error).
    name = make_stream(shards=1)
    counts = [2, 1] * 5
    for target in counts:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
        assert wait_active(kinesis, name) == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert error_of(excinfo)[0] == "LimitExceededException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Another stream has its own count; the refused call changed nothing.
    assert len(kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]) == 1
    other = make_stream(shards=1)
    kinesis.update_shard_count(StreamName=other, TargetShardCount=2, ScalingType="UNIFORM_SCALING")


def test_update_shard_count_stays_within_10000_shards(kinesis, make_stream):
    # "By default, you cannot [...] Scale up to more than 10000 shards in a stream".
    name = make_stream(shards=5001)
    with pytest.raises(ClientError) as excinfo:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=10001, ScalingType="UNIFORM_SCALING")
    assert error_of(excinfo)[0] == "LimitExceededException"
    kinesis.update_shard_count(StreamName=name, TargetShardCount=10000, ScalingType="UNIFORM_SCALING")


def test_account_settings_and_consumer_call_quotas(kinesis, make_stream):
    # API reference: DescribeAccountSettings "has a call limit of 5 transactions per second (TPS) for each
    # Amazon Web Services account. TPS over 5 will initiate the LimitExceededException"; DescribeStreamConsumer
    # "has a limit of 20 transactions per second per stream". (Wharf's buckets hold 5 s of each rate.)
    with pytest.raises(ClientError) as excinfo:
        for _ in range(60):
            kinesis.describe_account_settings()
    assert error_of(excinfo)[0] == "LimitExceededException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    arns = []
    for _ in range(2):
        name = make_stream(shards=1)
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        arns.append(kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"])
    with pytest.raises(ClientError) as excinfo:
        for _ in range(200):
            kinesis.describe_stream_consumer(ConsumerARN=arns[0])
    code, message = error_of(excinfo)
    assert code == "LimitExceededException"
    assert message.startswith("Rate exceeded for stream ")
    # Per stream: the other stream's consumer still answers.
    assert kinesis.describe_stream_consumer(ConsumerARN=arns[1])["ConsumerDescription"]["ConsumerName"] == "c"
    time.sleep(0.5)


def test_update_stream_warm_throughput_goes_through_updating(kinesis, make_stream):
    # API reference, UpdateStreamWarmThroughput: "Updating the warm throughput is an asynchronous operation.
    # Upon receiving the request, Kinesis Data Streams returns immediately and sets the status of the stream
    # to UPDATING. After the update is complete, Kinesis Data Streams sets the status of the stream back to
    # ACTIVE." WarmThroughputObject.TargetMiBps: "the stream is currently scaling towards this target value".
    name = make_stream(StreamModeDetails={"StreamMode": "ON_DEMAND"})
    out = kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=100)
    assert out["WarmThroughput"]["TargetMiBps"] == 100
    assert "CurrentMiBps" not in out["WarmThroughput"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    assert summary["WarmThroughput"] == {"TargetMiBps": 100}
    # Like the other stream updates, a second one waits for the first (ResourceInUseException).
    with pytest.raises(ClientError) as excinfo:
        kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=200)
    assert error_of(excinfo)[0] == "ResourceInUseException"
    assert wait_active(kinesis, name) == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["WarmThroughput"] == {"TargetMiBps": 100, "CurrentMiBps": 100}
    out = kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=200)
    assert out["WarmThroughput"] == {"TargetMiBps": 200, "CurrentMiBps": 100}
    assert wait_active(kinesis, name) == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["WarmThroughput"] == {"TargetMiBps": 200, "CurrentMiBps": 200}
