"""Kinesis Data Streams behaviour recorded against real AWS (LocalStack's AWS-validated tests, AWS answers
quoted in client issues) or stated by the current API reference, checked with boto3."""

import pytest
from botocore.exceptions import ClientError

from sqs_helpers import suite_client
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


# ---------------------------------------------------------------------------------------------------------
# AWS's answers recorded in kinesalite's tests (test/*.js of mhart/kinesalite, run against production
# Kinesis). boto3's own parameter validation is off so that the server's answers are seen.


@pytest.fixture(scope="module")
def raw_kinesis(endpoint):
    return suite_client("kinesis", endpoint, parameter_validation=False)


def _validation(excinfo):
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return message


def _at(member, value, constraint):
    return f"Value {value} at '{member}' failed to satisfy constraint: {constraint}"


NAME_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
MIN_LENGTH_1 = "Member must have length greater than or equal to 1"


def test_merge_shards_needs_the_lower_shard_first(raw_kinesis, make_stream, account_id):
    # mergeShards.js, "should return InvalidArgumentException if adjacency is inverted".
    name = make_stream(shards=3)
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.merge_shards(
            StreamName=name, ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000000"
        )
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        f"Shards shardId-000000000001 and shardId-000000000000 in stream {name} under account {account_id} "
        "are not an adjacent pair of shards eligible for merging",
    )
    summary = raw_kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 3
    # The lower shard first merges.
    raw_kinesis.merge_shards(
        StreamName=name, ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )


def test_validation_errors_name_the_stream_last(raw_kinesis, make_stream):
    # createStream.js, describeStream.js, listTagsForStream.js, putRecords.js, putRecord.js: the exact
    # messages, members in AWS's order (the stream's name after the others).
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.create_stream(StreamName="", ShardCount=0)
    assert _validation(excinfo) == "3 validation errors detected: " + "; ".join([
        _at("shardCount", "'0'", "Member must have value greater than or equal to 1"),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    long = "a" * 129
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.describe_stream(StreamName=long, Limit=100000, ExclusiveStartShardId=long)
    assert _validation(excinfo) == "3 validation errors detected: " + "; ".join([
        _at("limit", "'100000'", "Member must have value less than or equal to 10000"),
        _at("exclusiveStartShardId", f"'{long}'", "Member must have length less than or equal to 128"),
        _at("streamName", f"'{long}'", "Member must have length less than or equal to 128"),
    ])
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.list_tags_for_stream(StreamName="", ExclusiveStartTagKey="", Limit=0)
    assert _validation(excinfo) == "4 validation errors detected: " + "; ".join([
        _at("limit", "'0'", "Member must have value greater than or equal to 1"),
        _at("exclusiveStartTagKey", "''", MIN_LENGTH_1),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.put_records(StreamName="", Records=[])
    assert _validation(excinfo) == "3 validation errors detected: " + "; ".join([
        _at("records", "'[]'", MIN_LENGTH_1),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    hash_pattern = "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.put_records(
            StreamName="", Records=[{"PartitionKey": "", "Data": b"", "ExplicitHashKey": ""}]
        )
    assert _validation(excinfo) == "4 validation errors detected: " + "; ".join([
        _at("records.1.member.partitionKey", "''", MIN_LENGTH_1),
        _at("records.1.member.explicitHashKey", "''", hash_pattern),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.put_record(
            StreamName="", PartitionKey="", Data=b"", ExplicitHashKey="", SequenceNumberForOrdering=""
        )
    assert _validation(excinfo) == "5 validation errors detected: " + "; ".join([
        _at("sequenceNumberForOrdering", "''", "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
        _at("partitionKey", "''", MIN_LENGTH_1),
        _at("explicitHashKey", "''", hash_pattern),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])


def test_at_most_ten_validation_errors_are_listed(raw_kinesis):
    # putRecords.js, "should return ValidationException for too many records": 501 records with empty
    # partition keys and an empty stream name give "10 validation errors detected:" and ten of them.
    records = [{"PartitionKey": "", "Data": b""} for _ in range(501)]
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.put_records(StreamName="", Records=records)
    message = _validation(excinfo)
    assert message.startswith("10 validation errors detected: ")
    listed = message[len("10 validation errors detected: "):].split("; ")
    assert len(listed) == 10
    assert listed[0].endswith("at 'records' failed to satisfy constraint: Member must have length less than or equal to 500")
    assert listed[1:] == [
        _at(f"records.{i}.member.partitionKey", "''", MIN_LENGTH_1) for i in range(1, 10)
    ]


def test_tag_maps_and_key_lists_are_printed_as_aws_prints_them(raw_kinesis):
    # addTagsToStream.js and removeTagsFromStream.js: the map or list as Java prints it, one violation for
    # its keys, values or members.
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.add_tags_to_stream(StreamName="", Tags={})
    assert _validation(excinfo) == "3 validation errors detected: " + "; ".join([
        _at("tags", "'{}'", MIN_LENGTH_1),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    long_key = "a" * 129
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.add_tags_to_stream(StreamName="s", Tags={"a": "1", "b": "2", long_key: "3"})
    assert _validation(excinfo) == "1 validation error detected: " + _at(
        "tags",
        f"'{{a=1, {long_key}=3, b=2}}'",
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]",
    )
    long_value = "a" * 257
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.add_tags_to_stream(StreamName="s", Tags={"a": "1", "c": long_value})
    assert _validation(excinfo) == "1 validation error detected: " + _at(
        "tags",
        f"'{{a=1, c={long_value}}}'",
        "Map value must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 0]",
    )
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.remove_tags_from_stream(StreamName="", TagKeys=[])
    assert _validation(excinfo) == "3 validation errors detected: " + "; ".join([
        _at("tagKeys", "'[]'", MIN_LENGTH_1),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.remove_tags_from_stream(StreamName="s", TagKeys=["a", long_key, "b"])
    assert _validation(excinfo) == "1 validation error detected: " + _at(
        "tagKeys",
        f"'[a, {long_key}, b]'",
        "Member must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]",
    )
    keys = [str(i) for i in range(1, 52)]
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.remove_tags_from_stream(StreamName="s", TagKeys=keys)
    assert _validation(excinfo) == "1 validation error detected: " + _at(
        "tagKeys", f"'[{', '.join(keys)}]'", "Member must have length less than or equal to 50"
    )


def test_tab_or_line_break_in_a_tag_is_invalid(raw_kinesis, make_stream):
    # addTagsToStream.js / removeTagsFromStream.js: a tab or a newline in a key or a value is refused
    # ("white space" is the space characters), with AWS's wording.
    name = make_stream(shards=1)
    expected = (
        "InvalidArgumentException",
        "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
        "_ . / = + - % @.",
    )
    for text in ("abc\tdef", "abc\ndef"):
        with pytest.raises(ClientError) as excinfo:
            raw_kinesis.add_tags_to_stream(StreamName=name, Tags={text: "1"})
        assert error_of(excinfo) == expected
        with pytest.raises(ClientError) as excinfo:
            raw_kinesis.add_tags_to_stream(StreamName=name, Tags={"a": text})
        assert error_of(excinfo) == expected
        with pytest.raises(ClientError) as excinfo:
            raw_kinesis.remove_tags_from_stream(StreamName=name, TagKeys=[text])
        assert error_of(excinfo) == expected
    # A plain space (and the other listed characters) stays valid.
    raw_kinesis.add_tags_to_stream(StreamName=name, Tags={"ü0 _.": "a", "/=+-@": "ü0 _./=+-@"})
    tags = {t["Key"]: t["Value"] for t in raw_kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
    assert tags == {"ü0 _.": "a", "/=+-@": "ü0 _./=+-@"}


def test_list_shards_needs_a_stream_or_a_token(raw_kinesis, make_stream):
    # listShards.js: neither StreamName nor NextToken → AWS's wording.
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.list_shards()
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "Either NextToken or StreamName should be provided.",
    )
    # NextToken with a ShardFilter: AWS's answer quoted in apache/beam#33478.
    name = make_stream(shards=2)
    token = raw_kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.list_shards(NextToken=token, ShardFilter={"Type": "AT_LATEST"})
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        "NextToken and ShardFilter cannot be provided together.",
    )


def test_update_shard_count_over_the_account_shard_limit(raw_kinesis, make_stream):
    # updateShardCount.js, "should return LimitExceededException if increasing over shards limit": AWS's
    # own wording for UpdateShardCount (not CreateStream's "This request would exceed the shard limit").
    name = make_stream(shards=10)
    limits = raw_kinesis.describe_limits()
    room = limits["ShardLimit"] - limits["OpenShardCount"]
    fillers = []
    try:
        while room > 0:
            count = min(room, 10_000)
            filler = stream_name("fill")
            raw_kinesis.create_stream(StreamName=filler, ShardCount=count)
            fillers.append(filler)
            room -= count
        for filler in fillers:
            wait_active(raw_kinesis, filler)
        with pytest.raises(ClientError) as excinfo:
            raw_kinesis.update_shard_count(StreamName=name, TargetShardCount=11, ScalingType="UNIFORM_SCALING")
        assert error_of(excinfo) == (
            "LimitExceededException",
            f"Target shard count or number of open shards cannot be greater than {limits['ShardLimit']}. "
            "Current open shard count: 10, Target shard count: 11",
        )
    finally:
        for filler in fillers:
            raw_kinesis.delete_stream(StreamName=filler)
        for filler in fillers:
            wait_gone(raw_kinesis, filler)


def test_get_shard_iterator_and_get_records_validation_as_recorded(raw_kinesis):
    # getShardIterator.js and getRecords.js: the iterator types in the order AWS lists them, and GetRecords'
    # `limit` before `shardIterator`.
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.get_shard_iterator(
            StreamName="", ShardIteratorType="", ShardId="", StartingSequenceNumber=""
        )
    assert _validation(excinfo) == "6 validation errors detected: " + "; ".join([
        _at("shardId", "''", NAME_PATTERN),
        _at("shardId", "''", MIN_LENGTH_1),
        _at(
            "shardIteratorType",
            "''",
            "Member must satisfy enum value set: "
            "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
        ),
        _at("startingSequenceNumber", "''", "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
        _at("streamName", "''", NAME_PATTERN),
        _at("streamName", "''", MIN_LENGTH_1),
    ])
    with pytest.raises(ClientError) as excinfo:
        raw_kinesis.get_records(ShardIterator="", Limit=0)
    assert _validation(excinfo) == "2 validation errors detected: " + "; ".join([
        _at("limit", "'0'", "Member must have value greater than or equal to 1"),
        _at("shardIterator", "''", MIN_LENGTH_1),
    ])


def _is_aws_sequence_number(text):
    return len(text) == 56 and text.isdigit()


def test_sequence_numbers_have_56_digits_like_aws(kinesis, make_stream, account_id):
    # The AWS CLI reference's put-records example output shows AWS's sequence numbers:
    # "49600883331171471519674795588238531498465399900093808706" (56 digits), and kinesalite's tests, run
    # against production Kinesis, expect /^\d{56}$/ for every sequence number a response carries.
    name = make_stream(shards=1)
    one = kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k")["SequenceNumber"]
    many = [r["SequenceNumber"] for r in kinesis.put_records(
        StreamName=name, Records=[{"Data": b"b", "PartitionKey": "k"}, {"Data": b"c", "PartitionKey": "k"}]
    )["Records"]]
    assert all(_is_aws_sequence_number(s) for s in [one, *many]), [one, *many]
    assert int(one) < int(many[0]) < int(many[1])
    assert one < many[0] < many[1]  # same length: the strings sort like the numbers

    read = kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"])["Records"]
    assert [r["SequenceNumber"] for r in read] == [one, *many]

    # Positions given back by the client: AT and AFTER a returned sequence number.
    def first_data(kind, number):
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000000", ShardIteratorType=kind,
            StartingSequenceNumber=number,
        )["ShardIterator"]
        return [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]][:1]

    assert first_data("AT_SEQUENCE_NUMBER", many[0]) == [b"b"]
    assert first_data("AFTER_SEQUENCE_NUMBER", many[0]) == [b"c"]
    # SequenceNumberForOrdering takes one back too.
    later = kinesis.put_record(
        StreamName=name, Data=b"d", PartitionKey="k", SequenceNumberForOrdering=many[1]
    )["SequenceNumber"]
    assert _is_aws_sequence_number(later) and int(later) > int(many[1])

    # A 56-digit number Wharf never handed out is not a position of the shard.
    bogus = str(int(one) + 1)
    with pytest.raises(ClientError) as excinfo:
        kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=bogus,
        )
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        f"StartingSequenceNumber {bogus} used in GetShardIterator on shard shardId-000000000000 in stream "
        f"{name} under account {account_id} is invalid.",
    )

    # Shard ranges: the open shard's start, and a split parent's end.
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]
    assert _is_aws_sequence_number(shard["SequenceNumberRange"]["StartingSequenceNumber"])
    kinesis.split_shard(
        StreamName=name, ShardToSplit="shardId-000000000000",
        NewStartingHashKey=str(2**127),
    )
    assert wait_active(kinesis, name) == "ACTIVE"
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    parent = shards[0]["SequenceNumberRange"]
    assert _is_aws_sequence_number(parent["EndingSequenceNumber"])
    assert int(parent["EndingSequenceNumber"]) > int(later)
    for child in shards[1:]:
        assert _is_aws_sequence_number(child["SequenceNumberRange"]["StartingSequenceNumber"])


def test_sequence_numbers_of_earlier_wharf_versions_are_still_read(kinesis, make_stream):
    # Wharf used to hand out the 38-digit value that the 56-digit form is shifted from (by 60 bits); a
    # consumer's checkpoint of such a number still positions an iterator.
    name = make_stream(shards=1)
    for data in (b"a", b"b"):
        kinesis.put_record(StreamName=name, Data=data, PartitionKey="k")
    first = kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"])["Records"][0]["SequenceNumber"]
    legacy = str(int(first) >> 60)
    assert len(legacy) == 38 and int(legacy) << 60 == int(first)
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=legacy,
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [b"b"]
