"""Kinesis Data Streams record distribution strategy (API reference: CreateStream `RecordDistributionStrategy`,
UpdateStreamRecordDistributionStrategy, DescribeStreamSummary, PutRecord(s) `PartitionKey`, `Record`; developer
guide "Service-managed record distribution"): on-demand streams only; with `AUTO` Kinesis places records itself,
ignoring partition keys and `ExplicitHashKey`, the partition key is optional and a record written without one
is read back without one."""

import pytest
from botocore.exceptions import ClientError

from test_kinesis import error_of, kinesis, make_stream, stream_name, wait_active  # noqa: F401

ON_DEMAND = {"StreamMode": "ON_DEMAND"}


def summary(kinesis, name):
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]


def read_every_shard(kinesis, name):
    records = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += [(shard["ShardId"], r) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    return records


def test_strategy_is_shown_for_on_demand_streams_only(kinesis, make_stream):
    default = make_stream(StreamModeDetails=ON_DEMAND)
    assert summary(kinesis, default)["RecordDistributionStrategy"] == "USER_PARTITION_KEY"
    auto = make_stream(StreamModeDetails=ON_DEMAND, RecordDistributionStrategy="AUTO")
    assert summary(kinesis, auto)["RecordDistributionStrategy"] == "AUTO"
    provisioned = make_stream(shards=1)
    assert "RecordDistributionStrategy" not in summary(kinesis, provisioned)


def test_auto_needs_an_on_demand_stream(kinesis, make_stream):
    with pytest.raises(ClientError) as excinfo:
        kinesis.create_stream(StreamName=stream_name(), ShardCount=1, RecordDistributionStrategy="AUTO")
    assert error_of(excinfo)[0] == "InvalidArgumentException"
    with pytest.raises(ClientError) as excinfo:
        kinesis.create_stream(
            StreamName=stream_name(), StreamModeDetails=ON_DEMAND, RecordDistributionStrategy="RANDOM"
        )
    assert error_of(excinfo)[0] == "ValidationException"

    provisioned = make_stream(shards=1)
    arn = summary(kinesis, provisioned)["StreamARN"]
    with pytest.raises(ClientError) as excinfo:
        kinesis.update_stream_record_distribution_strategy(StreamARN=arn, RecordDistributionStrategy="AUTO")
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_auto_spreads_records_and_keeps_keys_only_when_given(kinesis, make_stream):
    name = make_stream(StreamModeDetails=ON_DEMAND, RecordDistributionStrategy="AUTO")
    # One partition key (and one explicit hash key) for every record: AUTO ignores them.
    out = kinesis.put_records(
        StreamName=name,
        Records=[{"Data": b"%d" % i, "PartitionKey": "same", "ExplicitHashKey": "0"} for i in range(40)],
    )
    assert out["FailedRecordCount"] == 0
    assert len({r["ShardId"] for r in out["Records"]}) > 1
    # No partition key at all.
    kinesis.put_record(StreamName=name, Data=b"keyless")
    kinesis.put_records(StreamName=name, Records=[{"Data": b"keyless too"}])
    records = [r for _, r in read_every_shard(kinesis, name)]
    assert len(records) == 42
    keyed = [r for r in records if r["Data"] not in (b"keyless", b"keyless too")]
    assert {r["PartitionKey"] for r in keyed} == {"same"}
    keyless = [r for r in records if r["Data"] in (b"keyless", b"keyless too")]
    assert len(keyless) == 2 and all("PartitionKey" not in r for r in keyless)

    # SequenceNumberForOrdering does not apply to AUTO streams.
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_record(
            StreamName=name, Data=b"x", PartitionKey="k", SequenceNumberForOrdering=out["Records"][0]["SequenceNumber"]
        )
    assert error_of(excinfo)[0] == "InvalidArgumentException"


def test_switching_strategies_takes_effect_at_once(kinesis, make_stream):
    name = make_stream(StreamModeDetails=ON_DEMAND)
    arn = summary(kinesis, name)["StreamARN"]
    # USER_PARTITION_KEY: a partition key is required.
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_record(StreamName=name, Data=b"x")
    assert error_of(excinfo)[0] == "ValidationException"

    kinesis.update_stream_record_distribution_strategy(StreamARN=arn, RecordDistributionStrategy="AUTO")
    assert summary(kinesis, name)["StreamStatus"] == "ACTIVE"
    assert summary(kinesis, name)["RecordDistributionStrategy"] == "AUTO"
    kinesis.put_record(StreamName=name, Data=b"x")

    kinesis.update_stream_record_distribution_strategy(StreamARN=arn, RecordDistributionStrategy="USER_PARTITION_KEY")
    assert summary(kinesis, name)["RecordDistributionStrategy"] == "USER_PARTITION_KEY"
    with pytest.raises(ClientError) as excinfo:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x"}])
    assert error_of(excinfo)[0] == "ValidationException"
    # Routing by partition key again: one key, one shard.
    out = kinesis.put_records(StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "k"} for i in range(10)])
    assert len({r["ShardId"] for r in out["Records"]}) == 1
