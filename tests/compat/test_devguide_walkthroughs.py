"""The step-by-step walkthroughs and worked examples of the AWS developer guides for Amazon SNS, Amazon SQS
and Amazon Kinesis Data Streams, driven with boto3 as the pages show them (names, account and region
replaced), each checked against what the page says happens.

SNS filter policies: every example policy of the SNS developer guide's filtering pages ("Amazon SNS example
filter policies", "String value matching", "Numeric value matching", "Key matching", "AND/OR logic") is
attached to a queue subscription and given the messages the page lists as matching and as not matching;
only the first must arrive."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from test_sns import make_topic, queue_arn, sns  # noqa: F401 (fixtures)
from test_kinesis import kinesis, make_stream  # noqa: F401 (fixtures)


# --------------------------------------------------------------------------------------------------------
# SNS filter policies


def _attrs(spec):
    """``{"name": ("String", "v")}`` -> SNS MessageAttributes."""
    return {name: {"DataType": kind, "StringValue": value} for name, (kind, value) in spec.items()}


def _drain(sqs, url):
    """Everything in the queue now (SNS delivers to SQS before Publish answers)."""
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        bodies += [m["Body"] for m in got]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        )


def _delivered(sns, sqs, make_topic, make_queue, policy, messages, scope="MessageAttributes"):
    """Subscribes a raw-delivery queue with ``policy`` and publishes ``messages`` (attribute specs, or JSON
    bodies for the MessageBody scope); returns the indices of the messages the queue received."""
    topic = make_topic("filterdoc")
    _, url = make_queue("filterdoc")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, url),
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy), "FilterPolicyScope": scope},
    )
    for index, message in enumerate(messages):
        if scope == "MessageBody":
            body = dict(message, doc_index=index)
            sns.publish(TopicArn=topic, Message=json.dumps(body))
        else:
            sns.publish(TopicArn=topic, Message=f"message {index}", MessageAttributes=_attrs(message))
    received = _drain(sqs, url)
    if scope == "MessageBody":
        return sorted(json.loads(body)["doc_index"] for body in received)
    return sorted(int(body.split()[1]) for body in received)


def _check(sns, sqs, make_topic, make_queue, policy, matching, not_matching, scope="MessageAttributes"):
    got = _delivered(sns, sqs, make_topic, make_queue, policy, matching + not_matching, scope)
    assert got == list(range(len(matching))), (policy, scope, [(matching + not_matching)[i] for i in got])


EXAMPLE_ATTRIBUTES = {
    "customer_interests": ("String.Array", '["soccer", "rugby", "hockey"]'),
    "store": ("String", "example_corp"),
    "event": ("String", "order_placed"),
    "price_usd": ("Number", "210.75"),
}
EXAMPLE_BODY = {
    "customer_interests": ["soccer", "rugby", "hockey"],
    "store": "example_corp",
    "event": "order_placed",
    "price_usd": 210.75,
}


def test_example_filter_policies_page(sns, sqs, make_topic, make_queue):
    """"Amazon SNS example filter policies": the transaction message (as attributes, and as a JSON body with
    the MessageBody scope) passes the accepting policy and fails the rejecting one (no `encrypted` key)."""
    accepts = {
        "store": ["example_corp"],
        "event": [{"anything-but": "order_cancelled"}],
        "customer_interests": ["rugby", "football", "baseball"],
        "price_usd": [{"numeric": [">=", 100]}],
    }
    rejects = {
        "store": ["example_corp"],
        "event": ["order_cancelled"],
        "encrypted": [False],
        "customer_interests": ["basketball", "baseball"],
    }
    _check(sns, sqs, make_topic, make_queue, accepts, [EXAMPLE_ATTRIBUTES], [])
    _check(sns, sqs, make_topic, make_queue, rejects, [], [EXAMPLE_ATTRIBUTES])
    _check(sns, sqs, make_topic, make_queue, accepts, [EXAMPLE_BODY], [], scope="MessageBody")
    _check(sns, sqs, make_topic, make_queue, rejects, [], [EXAMPLE_BODY], scope="MessageBody")


def _interests(kind, value):
    return {"customer_interests": (kind, value)}


def test_string_value_matching_page(sns, sqs, make_topic, make_queue):
    """"String value matching": exact, anything-but (values and prefix), equals-ignore-case, prefix, suffix
    and cidr, on attributes (String and String.Array) and on bodies."""
    check = lambda *args, **kw: _check(sns, sqs, make_topic, make_queue, *args, **kw)  # noqa: E731

    exact = {"customer_interests": ["rugby", "tennis"]}
    check(
        exact,
        [_interests("String", "rugby"), _interests("String", "tennis"),
         _interests("String.Array", '["rugby", "tennis"]')],
        [_interests("String", "baseball"), _interests("String.Array", '["baseball"]')],
    )
    check(exact, [{"customer_interests": "rugby"}, {"customer_interests": "tennis"}],
          [{"customer_interests": "baseball"}], scope="MessageBody")

    anything_but = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
    check(
        anything_but,
        [_interests("String", "baseball"), _interests("String", "football"),
         _interests("String.Array", '["rugby", "baseball"]')],
        [_interests("String", "rugby")],
    )
    check(anything_but,
          [{"customer_interests": "baseball"}, {"customer_interests": "football"},
           {"customer_interests": ["rugby", "baseball"]}],
          [{"customer_interests": "rugby"}], scope="MessageBody")

    not_prefixed = {"event": [{"anything-but": {"prefix": "order-"}}]}
    check(not_prefixed, [{"event": ("String", "data-entry")}, {"event": ("String", "order_number")}],
          [{"event": ("String", "order-cancelled")}])
    check(not_prefixed, [{"event": "data-entry"}, {"event": "order_number"}], [{"event": "order-cancelled"}],
          scope="MessageBody")

    ignore_case = {"customer_interests": [{"equals-ignore-case": "tennis"}]}
    check(ignore_case, [_interests("String", "TENNIS"), _interests("String", "Tennis")],
          [_interests("String", "rugby")])
    check(ignore_case, [{"customer_interests": "TENNIS"}, {"customer_interests": "teNnis"}],
          [{"customer_interests": "rugby"}], scope="MessageBody")

    prefix = {"customer_interests": [{"prefix": "bas"}]}
    check(prefix, [_interests("String", "baseball"), _interests("String", "basketball")],
          [_interests("String", "rugby")])
    check(prefix, [{"customer_interests": "baseball"}, {"customer_interests": "basketball"}],
          [{"customer_interests": "rugby"}], scope="MessageBody")

    suffix = {"customer_interests": [{"suffix": "ball"}]}
    check(suffix, [_interests("String", "baseball"), _interests("String", "basketball")],
          [_interests("String", "rugby")])
    check(suffix, [{"customer_interests": "baseball"}, {"customer_interests": "basketball"}],
          [{"customer_interests": "rugby"}], scope="MessageBody")

    cidr = {"source_ip": [{"cidr": "10.0.0.0/24"}]}
    check(cidr, [{"source_ip": ("String", "10.0.0.0")}, {"source_ip": ("String", "10.0.0.255")}],
          [{"source_ip": ("String", "10.1.1.0")}])
    check(cidr, [{"source_ip": "10.0.0.0"}, {"source_ip": "10.0.0.255"}], [{"source_ip": "10.1.1.0"}],
          scope="MessageBody")


def test_numeric_value_matching_page(sns, sqs, make_topic, make_queue):
    """"Numeric value matching": `=` (also against an exponent form), anything-but and ranges."""
    check = lambda *args, **kw: _check(sns, sqs, make_topic, make_queue, *args, **kw)  # noqa: E731

    equals = {"price_usd": [{"numeric": ["=", 301.5]}]}
    check(equals, [{"price_usd": ("Number", "301.5")}, {"price_usd": ("Number", "3.015e2")}],
          [{"price_usd": ("Number", "301.4")}, {"price_usd": ("String", "301.5")}])
    check(equals, [{"price_usd": 301.5}, {"price_usd": 3.015e2}], [{"price_usd": "301.5"}], scope="MessageBody")

    anything_but = {"price": [{"anything-but": [100, 500]}]}
    check(anything_but, [{"price": ("Number", "101")}, {"price": ("Number", "100.1")}],
          [{"price": ("Number", "100")}, {"price": ("Number", "500")}])
    check(anything_but, [{"price": 101}, {"price": 100.1}, {"price": [100, 50]}], [{"price": 100}],
          scope="MessageBody")

    negative = {"price_usd": [{"numeric": ["<", 0]}]}
    check(negative, [{"price_usd": ("Number", "-0.5")}, {"price_usd": ("Number", "-1000")}],
          [{"price_usd": ("Number", "0")}, {"price_usd": ("Number", "7")}])
    up_to_150 = {"price_usd": [{"numeric": [">", 0, "<=", 150]}]}
    check(up_to_150, [{"price_usd": ("Number", "0.00001")}, {"price_usd": ("Number", "150")}],
          [{"price_usd": ("Number", "0")}, {"price_usd": ("Number", "150.5")}])
    check(up_to_150, [{"price_usd": 1}, {"price_usd": 150}], [{"price_usd": -3}, {"price_usd": 151}],
          scope="MessageBody")


def test_and_or_logic_page(sns, sqs, make_topic, make_queue):
    """"AND/OR logic": keys are ANDed, a key's values ORed, and `$or` ORs whole conditions (nested too)."""
    check = lambda *args, **kw: _check(sns, sqs, make_topic, make_queue, *args, **kw)  # noqa: E731

    both = {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
    check(both, [{"customer_interests": ("String", "rugby"), "price_usd": ("Number", "100.5")}],
          [{"customer_interests": ("String", "rugby"), "price_usd": ("Number", "100")},
           {"customer_interests": ("String", "tennis"), "price_usd": ("Number", "500")},
           {"customer_interests": ("String", "rugby")}])

    either = {"customer_interests": ["rugby", "football", "baseball"]}
    check(either, [_interests("String", v) for v in ("rugby", "football", "baseball")],
          [_interests("String", "tennis")])

    or_operator = {"source": ["aws.cloudwatch"],
                   "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}
    check(or_operator,
          [{"source": ("String", "aws.cloudwatch"), "metricName": ("String", "CPUUtilization")},
           {"source": ("String", "aws.cloudwatch"), "namespace": ("String", "AWS/EC2")}],
          [{"source": ("String", "aws.cloudwatch"), "metricName": ("String", "ReadLatency")},
           {"source": ("String", "aws.events"), "namespace": ("String", "AWS/EC2")}])
    nested = {"source": ["aws.cloudwatch"],
              "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
                      {"metricType": ["MetricType"],
                       "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}]}]}
    check(nested,
          [{"source": "aws.cloudwatch", "metricName": "ReadLatency"},
           {"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 2000},
           {"source": "aws.cloudwatch", "metricType": "MetricType", "metricId": 4321}],
          [{"source": "aws.cloudwatch", "metricType": "MetricType"},
           {"source": "aws.cloudwatch", "metricType": "Other", "spaceId": 2000},
           {"source": "aws.ec2", "metricName": "ReadLatency"}],
          scope="MessageBody")


STORE_AND_INTERESTS = {"store": ("String", "fans"), "customer_interests": ("String.Array", '["baseball", "basketball"]')}
INTERESTS_ONLY = {"customer_interests": ("String.Array", '["baseball", "basketball"]')}


def test_key_matching_page(sns, sqs, make_topic, make_queue):
    """"Key matching": `exists` true/false on attributes and bodies, on leaf nodes only."""
    check = lambda *args, **kw: _check(sns, sqs, make_topic, make_queue, *args, **kw)  # noqa: E731

    present = {"store": [{"exists": True}]}
    absent = {"store": [{"exists": False}]}
    check(present, [STORE_AND_INTERESTS], [INTERESTS_ONLY])
    check(absent, [INTERESTS_ONLY], [STORE_AND_INTERESTS])
    with_store = {"store": "fans", "customer_interests": ["baseball", "basketball"]}
    without_store = {"customer_interests": ["baseball", "basketball"]}
    check(present, [with_store], [without_store], scope="MessageBody")
    check(absent, [without_store], [with_store], scope="MessageBody")
    # Leaf nodes only: an object under the key is not a value.
    check(present, [], [{"store": {"name": "fans"}}], scope="MessageBody")


def test_exists_false_needs_at_least_one_attribute(sns, sqs, make_topic, make_queue):
    """"Key matching", note: `"exists": false` only matches if at least one attribute is present; a message
    without attributes does not match it."""
    absent = {"store": [{"exists": False}]}
    check = lambda *args, **kw: _check(sns, sqs, make_topic, make_queue, *args, **kw)  # noqa: E731
    check(absent, [INTERESTS_ONLY, {"other": ("Number", "1")}], [{}, STORE_AND_INTERESTS])


def test_raw_delivery_carries_at_most_ten_attributes(sns, sqs, make_topic, make_queue):
    """"Amazon SNS message attributes": with raw message delivery an SQS subscription gets at most 10
    attributes; a message with more "will be discarded as client side errors", while a subscription without
    raw delivery gets all of them in the notification's MessageAttributes."""
    topic = make_topic("attrs11")
    _, raw = make_queue("attrs11-raw")
    _, wrapped = make_queue("attrs11-env")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, raw),
                  Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, wrapped))
    ten = {f"a{i}": ("String", str(i)) for i in range(10)}
    sns.publish(TopicArn=topic, Message="ten", MessageAttributes=_attrs(ten))
    sns.publish(TopicArn=topic, Message="eleven", MessageAttributes=_attrs(dict(ten, a10=("Number", "10"))))
    assert _drain(sqs, raw) == ["ten"]
    assert sorted(len(json.loads(body)["MessageAttributes"]) for body in _drain(sqs, wrapped)) == [10, 11]


# --------------------------------------------------------------------------------------------------------
# SQS: dead-letter queues and their redrive


def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _wait_move_task(sqs, source_arn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        task = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0]
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            return task
        time.sleep(0.05)


def test_dead_letter_queue_and_redrive_walkthrough(sqs, make_queue):
    """"Using dead-letter queues" / "Configure a dead-letter queue redrive" (API): a message received more
    than maxReceiveCount times moves to the DLQ (same id, original SentTimestamp for a standard queue,
    DeadLetterQueueSourceArn); StartMessageMoveTask without a destination moves it back to its source, where
    "all redriven messages are considered new messages" with a new message id and enqueue time."""
    _, dlq = make_queue("walk-dlq")
    dlq_arn = _arn(sqs, dlq)
    _, source = make_queue("walk-src", attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})
    source_arn = _arn(sqs, source)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]

    sent = sqs.send_message(QueueUrl=source, MessageBody="order 42",
                            MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}})
    for _ in range(2):  # two receives without a delete: at maxReceiveCount
        got = sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, AttributeNames=["All"])["Messages"]
        assert got[0]["MessageId"] == sent["MessageId"]
    original_sent = int(got[0]["Attributes"]["SentTimestamp"])
    assert sqs.receive_message(QueueUrl=source).get("Messages") is None  # third receive: moved instead
    dead = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0, AttributeNames=["All"],
                               MessageAttributeNames=["All"])["Messages"][0]
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Body"] == "order 42" and dead["MessageAttributes"]["kind"]["StringValue"] == "order"
    assert int(dead["Attributes"]["SentTimestamp"]) == original_sent
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == source_arn

    time.sleep(0.01)
    started = sqs.start_message_move_task(SourceArn=dlq_arn)
    assert started["TaskHandle"]
    task = _wait_move_task(sqs, dlq_arn)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 1
    assert "DestinationArn" not in task
    back = sqs.receive_message(QueueUrl=source, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in back] == ["order 42"]
    assert back[0]["MessageAttributes"]["kind"]["StringValue"] == "order"
    assert back[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert back[0]["MessageId"] != sent["MessageId"]
    assert int(back[0]["Attributes"]["SentTimestamp"]) >= task["StartedTimestamp"] > original_sent
    assert sqs.receive_message(QueueUrl=dlq).get("Messages") is None


def test_redrive_destination_must_be_of_the_dead_letter_queues_type(sqs, make_queue):
    """"Configure a dead-letter queue redrive": another destination is allowed "if both queues are the same
    type. For example, if the dead-letter queue is a FIFO queue, the redrive destination queue must be a FIFO
    queue as well." A mismatched destination is refused and nothing moves."""
    _, fifo_dlq = make_queue("walk-fdlq", fifo=True)
    make_queue("walk-fsrc", fifo=True, attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": _arn(sqs, fifo_dlq), "maxReceiveCount": "1"})})
    _, standard_dlq = make_queue("walk-sdlq")
    make_queue("walk-ssrc", attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": _arn(sqs, standard_dlq), "maxReceiveCount": "1"})})
    _, standard = make_queue("walk-std")
    _, fifo = make_queue("walk-fifo", fifo=True)
    sqs.send_message(QueueUrl=fifo_dlq, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d")
    for source, destination in ((fifo_dlq, standard), (standard_dlq, fifo)):
        with pytest.raises(ClientError) as info:
            sqs.start_message_move_task(SourceArn=_arn(sqs, source), DestinationArn=_arn(sqs, destination))
        error = info.value.response["Error"]
        assert (error["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
            "InvalidParameterValue", 400)
        assert error["Message"] == "The source queue and destination queue must be of the same queue type."
        assert sqs.list_message_move_tasks(SourceArn=_arn(sqs, source)).get("Results", []) == []
    assert sqs.receive_message(QueueUrl=standard).get("Messages") is None
    started = sqs.start_message_move_task(SourceArn=_arn(sqs, fifo_dlq), DestinationArn=_arn(sqs, fifo))
    assert started["TaskHandle"] and _wait_move_task(sqs, _arn(sqs, fifo_dlq))["Status"] == "COMPLETED"
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=fifo)["Messages"]] == ["f"]


# --------------------------------------------------------------------------------------------------------
# Kinesis Data Streams: resharding as the developer guide walks through it


def _wait_active(kinesis, name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _read_shard(kinesis, name, shard_id):
    """Reads a shard one record per call until its iterator chain ends; returns (data, ChildShards of each
    call)."""
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data, children = [], []
    while it:
        out = kinesis.get_records(ShardIterator=it, Limit=1)
        data += [r["Data"] for r in out["Records"]]
        children.append(out.get("ChildShards"))
        it = out.get("NextShardIterator")
        if it and not out["Records"]:
            break  # an open shard read to its tip
    return data, children


def test_split_and_merge_walkthrough(kinesis, make_stream):
    """"Split a shard" (NewStartingHashKey halfway through the parent's range), "Merge two shards" (the
    adjacency test: one shard's EndingHashKey + 1 is the other's StartingHashKey) and "Handle resharding":
    a closed parent stays readable, its last GetRecords has no NextShardIterator and lists ChildShards with
    their ParentShards and ranges (earlier calls none), and the children cover the parent's range."""
    name = make_stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"before-low", PartitionKey="p", ExplicitHashKey="1")
    kinesis.put_record(StreamName=name, Data=b"before-high", PartitionKey="p", ExplicitHashKey=str(2**128 - 1))
    parent = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0]
    start, end = (int(parent["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    middle = (start + end) // 2
    kinesis.split_shard(StreamName=name, ShardToSplit=parent["ShardId"], NewStartingHashKey=str(middle))
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "UPDATING"
    _wait_active(kinesis, name)

    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    closed, low, high = shards
    assert "EndingSequenceNumber" in closed["SequenceNumberRange"]
    assert [s["ParentShardId"] for s in (low, high)] == [parent["ShardId"]] * 2
    assert (low["HashKeyRange"]["StartingHashKey"], low["HashKeyRange"]["EndingHashKey"]) == (str(start), str(middle - 1))
    assert (high["HashKeyRange"]["StartingHashKey"], high["HashKeyRange"]["EndingHashKey"]) == (str(middle), str(end))
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert kinesis.put_record(StreamName=name, Data=b"after-low", PartitionKey="p",
                              ExplicitHashKey="1")["ShardId"] == low["ShardId"]

    data, children = _read_shard(kinesis, name, parent["ShardId"])
    assert data == [b"before-low", b"before-high"]
    assert children[:-1] == [None] * (len(children) - 1)
    assert children[-1] == [
        {"ShardId": s["ShardId"], "ParentShards": [parent["ShardId"]], "HashKeyRange": s["HashKeyRange"]}
        for s in (low, high)
    ]
    assert _read_shard(kinesis, name, low["ShardId"])[0] == [b"after-low"]

    assert int(low["HashKeyRange"]["EndingHashKey"]) + 1 == int(high["HashKeyRange"]["StartingHashKey"])
    kinesis.merge_shards(StreamName=name, ShardToMerge=low["ShardId"], AdjacentShardToMerge=high["ShardId"])
    _wait_active(kinesis, name)
    merged = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(merged) == 1
    assert (merged[0]["ParentShardId"], merged[0]["AdjacentParentShardId"]) == (low["ShardId"], high["ShardId"])
    assert merged[0]["HashKeyRange"] == {"StartingHashKey": str(start), "EndingHashKey": str(end)}
    data, children = _read_shard(kinesis, name, low["ShardId"])
    assert data == [b"after-low"]
    assert children[-1] == [{"ShardId": merged[0]["ShardId"], "ParentShards": [low["ShardId"], high["ShardId"]],
                             "HashKeyRange": merged[0]["HashKeyRange"]}]
