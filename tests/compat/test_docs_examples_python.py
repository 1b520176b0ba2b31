"""The flows of the AWS SDK for Python (boto3) code examples for SQS, SNS and Kinesis, end to end.

The AWS documentation's Python examples (SQS queue and message wrappers, the SNS basics and FIFO-topic
scenarios, the "topics and queues" workflow, the Kinesis stream wrappers and basics scenarios) mostly use
boto3's *resource* layer (``sqs.Queue``, ``sns.Topic``, ``Subscription``, ``Message``) and the Kinesis
waiters, which the rest of the suite does not. Each test walks one example's flow with this suite's own code
and checks what the example relies on.
"""

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sqs_helpers import ACCESS_KEY, REGION, SECRET_KEY, suite_client, unique_name


def _resource(service, endpoint):
    return boto3.resource(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=30),
    )


@pytest.fixture(scope="module")
def sqs_res(endpoint):
    return _resource("sqs", endpoint)


@pytest.fixture(scope="module")
def sns_res(endpoint):
    return _resource("sns", endpoint)


def _code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_sqs_queue_wrapper_flow(sqs_res):
    """Create standard, FIFO and dead-letter queues, get one by name, list by prefix, delete."""
    prefix = f"pydoc-{uuid.uuid4().hex[:8]}-"
    river = sqs_res.create_queue(
        QueueName=prefix + "river",
        Attributes={"MaximumMessageSize": str(1024), "ReceiveMessageWaitTimeSeconds": str(20)},
    )
    lake = sqs_res.create_queue(
        QueueName=prefix + "lake.fifo",
        Attributes={
            "MaximumMessageSize": str(4096),
            "ReceiveMessageWaitTimeSeconds": str(10),
            "VisibilityTimeout": str(300),
            "FifoQueue": str(True),  # "True": boto3 users pass str(True)
            "ContentBasedDeduplication": str(True),
        },
    )
    assert lake.attributes["FifoQueue"] == "true"
    assert lake.attributes["ContentBasedDeduplication"] == "true"
    assert sqs_res.get_queue_by_name(QueueName=prefix + "river") == river

    dead = sqs_res.create_queue(QueueName=prefix + "dead")
    redrive = {"deadLetterTargetArn": dead.attributes["QueueArn"], "maxReceiveCount": str(5)}
    source = sqs_res.create_queue(QueueName=prefix + "source", Attributes={"RedrivePolicy": json.dumps(redrive)})
    assert list(dead.dead_letter_source_queues.all()) == [source]

    assert sorted(q.url for q in sqs_res.queues.filter(QueueNamePrefix=prefix)) == sorted(
        q.url for q in (river, lake, dead, source)
    )
    assert list(sqs_res.queues.filter(QueueNamePrefix=prefix + "nothing")) == []
    for bad_name, attributes in [
        ("Queue names cannot contain spaces!", {}),
        (prefix + "std.fifo", {}),
        (prefix + "nofifo", {"FifoQueue": str(True)}),
    ]:
        with pytest.raises(ClientError) as excinfo:
            sqs_res.create_queue(QueueName=bad_name, Attributes=attributes)
        assert _code(excinfo) == "InvalidParameterValue"

    for queue in (river, lake, dead, source):
        queue.delete()
    with pytest.raises(ClientError) as excinfo:
        sqs_res.get_queue_by_name(QueueName=prefix + "river")
    assert _code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"


def test_sqs_message_wrapper_flow(sqs_res):
    """Send lines in batches of 10 with attributes, receive them in batches until empty, reassemble, delete."""
    queue = sqs_res.create_queue(QueueName=unique_name("pydoc-msg"))
    lines = [f"line {i}\n" for i in range(23)] + ["\n", "  indented\ttab\n"]
    for start in range(0, len(lines), 10):
        entries = [
            {
                "Id": str(i),
                "MessageBody": lines[i],
                "MessageAttributes": {
                    "path": {"StringValue": "/x.py", "DataType": "String"},
                    "line": {"StringValue": str(i), "DataType": "String"},
                },
            }
            for i in range(start, min(start + 10, len(lines)))
        ]
        response = queue.send_messages(Entries=entries)
        assert len(response["Successful"]) == len(entries) and not response.get("Failed"), response
    received = [None] * len(lines)
    while True:
        messages = queue.receive_messages(MessageAttributeNames=["All"], MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not messages:
            break
        for message in messages:
            received[int(message.message_attributes["line"]["StringValue"])] = message.body
        response = queue.delete_messages(
            Entries=[{"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(messages)]
        )
        assert len(response["Successful"]) == len(messages), response
    assert received == lines

    one = queue.send_message(MessageBody="solo", MessageAttributes={})
    headers = one["ResponseMetadata"]["HTTPHeaders"]  # the producer/consumer scripts print both
    assert headers["x-amzn-requestid"] and headers["date"].endswith("GMT")
    (message,) = queue.receive_messages(MaxNumberOfMessages=1, AttributeNames=["All"])
    assert message.message_id == one["MessageId"] and message.attributes["ApproximateReceiveCount"] == "1"
    message.delete()

    with pytest.raises(ClientError) as excinfo:
        queue.send_message(MessageBody="")
    assert _code(excinfo) == "MissingParameter"
    for entries, code in [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        ([{"Id": str(i), "MessageBody": "b"} for i in range(20)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            queue.send_messages(Entries=entries)
        assert _code(excinfo) == code
    for count in (0, 20):
        with pytest.raises(ClientError) as excinfo:
            queue.receive_messages(MaxNumberOfMessages=count, WaitTimeSeconds=1)
        assert _code(excinfo) == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        queue.Message(receipt_handle="fake-handle").delete()
    assert _code(excinfo) == "ReceiptHandleIsInvalid"
    response = queue.delete_messages(Entries=[{"Id": str(i), "ReceiptHandle": f"fake-handle-{i}"} for i in range(5)])
    assert [f["Code"] for f in response["Failed"]] == ["ReceiptHandleIsInvalid"] * 5
    queue.delete()


def test_sns_basics_flow(sns_res, sqs_res):
    """SnsWrapper usage: SMS publish, email subscription pending confirmation, SMS subscription with a filter
    policy, multi-format and attribute messages, listing and deleting subscriptions."""
    topic = sns_res.create_topic(Name=f"pydoc-basics-{time.time_ns()}")
    assert topic.arn in [t.arn for t in sns_res.topics.all()]
    assert sns_res.meta.client.publish(PhoneNumber="+12065550101", Message="Hello from the SNS demo!")["MessageId"]

    email = topic.subscribe(Protocol="email", Endpoint="someone@example.com", ReturnSubscriptionArn=True)
    assert email.arn.startswith(topic.arn + ":")
    assert email.attributes["PendingConfirmation"] == "true"
    email.reload()
    phone = topic.subscribe(Protocol="sms", Endpoint="+12065550101", ReturnSubscriptionArn=True)
    assert phone.attributes["PendingConfirmation"] == "false"
    queue = sqs_res.create_queue(QueueName=unique_name("pydoc-basics"))
    raw = topic.subscribe(Protocol="sqs", Endpoint=queue.attributes["QueueArn"], ReturnSubscriptionArn=True)
    raw.set_attributes(AttributeName="RawMessageDelivery", AttributeValue="true")

    message = {"default": "default text", "sms": "sms text", "email": "email text"}
    topic.publish(Message=json.dumps(message), Subject="SNS multi-format demo", MessageStructure="json")
    phone.set_attributes(AttributeName="FilterPolicy", AttributeValue=json.dumps({"mobile": ["friendly"]}))
    assert phone.attributes["FilterPolicyScope"] == "MessageAttributes"
    topic.publish(
        Message="attrs",
        MessageAttributes={
            "mobile": {"DataType": "String", "StringValue": "friendly"},
            "bintest": {"DataType": "Binary", "BinaryValue": b"binary"},
        },
    )
    got = queue.receive_messages(MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"])
    assert sorted(m.body for m in got) == ["attrs", "default text"]
    attrs = next(m for m in got if m.body == "attrs").message_attributes
    assert attrs["bintest"] == {"DataType": "Binary", "BinaryValue": b"binary"}

    subs = list(topic.subscriptions.all())
    assert sorted(s.arn for s in subs) == sorted([phone.arn, raw.arn, "PendingConfirmation"])
    for sub in subs:
        if sub.arn != "PendingConfirmation":
            sub.delete()
    assert [s.arn for s in topic.subscriptions.all()] == ["PendingConfirmation"]
    topic.delete()
    queue.delete()


def _allow_topic(queue, topic_arn, principal):
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "SQS:SendMessage",
        "Resource": queue.attributes["QueueArn"],
        "Condition": {"ArnLike": {"aws:SourceArn": topic_arn}},
    }
    queue.set_attributes(Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def test_sns_fifo_topic_flow(sns_res, sqs_res):
    """FifoTopicWrapper usage: two FIFO queues and a standard queue subscribed to a FIFO topic without
    content-based deduplication; one price update with a subject, attributes, group and deduplication ids."""
    prefix = f"pydoc-{uuid.uuid4().hex[:8]}-"
    fifo_attributes = {
        "MaximumMessageSize": str(4096),
        "ReceiveMessageWaitTimeSeconds": str(10),
        "VisibilityTimeout": str(300),
        "FifoQueue": str(True),
        "ContentBasedDeduplication": str(True),
    }
    queues = [
        sqs_res.create_queue(QueueName=prefix + "wholesale.fifo", Attributes=fifo_attributes),
        sqs_res.create_queue(QueueName=prefix + "retail.fifo", Attributes=fifo_attributes),
        sqs_res.create_queue(QueueName=prefix + "analytics", Attributes={}),
    ]
    topic = sns_res.create_topic(
        Name=prefix + "price-updates.fifo",
        Attributes={"FifoTopic": str(True), "ContentBasedDeduplication": str(False)},
    )
    topic_arn = topic.attributes["TopicArn"]
    subscriptions = []
    for queue in queues:
        _allow_topic(queue, topic_arn, {"AWS": "*"})
        subscriptions.append(topic.subscribe(Protocol="sqs", Endpoint=queue.attributes["QueueArn"]))
    dedup_id = str(uuid.uuid4())
    message_id = topic.publish(
        Subject="Price Update",
        Message='{"product": 214, "price": 79.99}',
        MessageAttributes={"business": {"DataType": "String", "StringValue": "wholesale"}},
        MessageGroupId="Consumables",
        MessageDeduplicationId=dedup_id,
    )["MessageId"]
    for queue in queues:
        (message,) = queue.receive_messages(MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"])
        envelope = json.loads(message.body)
        assert envelope["MessageId"] == message_id and envelope["Subject"] == "Price Update"
        assert envelope["MessageAttributes"] == {"business": {"Type": "String", "Value": "wholesale"}}
        if queue.url.endswith(".fifo"):
            assert message.attributes["MessageGroupId"] == "Consumables"
            assert message.attributes["MessageDeduplicationId"] == dedup_id
    for subscription in subscriptions:
        subscription.delete()
    topic.delete()
    for queue in queues:
        queue.delete()


@pytest.mark.parametrize("fifo,content_dedup", [(False, False), (True, False), (True, True)])
def test_topics_and_queues_scenario(sns_res, sqs_res, fifo, content_dedup):
    """The cross-service "topics and queues" scenario: two queues subscribed to a topic (on a FIFO topic,
    FIFO queues without content-based deduplication, the first with a `tone` FilterPolicy given to Subscribe),
    messages published, each queue polled and emptied with DeleteMessageBatch; the clean-up deletes the
    queues before it unsubscribes, then deletes the topic."""
    sns = sns_res.meta.client
    sqs = sqs_res.meta.client
    attributes = {"FifoTopic": "true"} if fifo else {}
    if content_dedup:
        attributes["ContentBasedDeduplication"] = "true"
    topic_arn = sns.create_topic(Name=unique_name("pydoc-tq", fifo=fifo), Attributes=attributes)["TopicArn"]
    urls, subscription_arns = [], []
    for tones in (["cheerful", "funny"] if fifo else None, None):
        url = sqs.create_queue(
            QueueName=unique_name("pydoc-tq", fifo=fifo), Attributes={"FifoQueue": "true"} if fifo else {}
        )["QueueUrl"]
        urls.append(url)
        queue = sqs_res.Queue(url)
        _allow_topic(queue, topic_arn, {"Service": "sns.amazonaws.com"})
        sub_attributes = {"FilterPolicy": json.dumps({"tone": tones})} if tones else {}
        arn = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue.attributes["QueueArn"], Attributes=sub_attributes)
        assert arn["SubscriptionArn"].startswith(topic_arn + ":")
        subscription_arns.append(arn["SubscriptionArn"])
    published = [("a", "g1", "d1", "cheerful"), ("b", "g1", "d2", "serious"), ("c", "g2", "d3", "")]
    for body, group, dedup, tone in published:
        kwargs = {"TopicArn": topic_arn, "Message": body}
        if fifo:
            kwargs["MessageGroupId"] = group
            if not content_dedup:
                kwargs["MessageDeduplicationId"] = dedup
        if tone:
            kwargs["MessageAttributes"] = {"tone": {"DataType": "String", "StringValue": tone}}
        sns.publish(**kwargs)
    received = []
    for url in urls:
        messages = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                break
            messages.extend(batch)
        received.append(sorted(json.loads(m["Body"])["Message"] for m in messages))
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == len(messages)
    assert received == ([["a"], ["a", "b", "c"]] if fifo else [["a", "b", "c"], ["a", "b", "c"]])
    for url in urls:
        sqs.delete_queue(QueueUrl=url)
    for arn in subscription_arns:
        sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] == []
    sns.delete_topic(TopicArn=topic_arn)


def test_kinesis_examples_flow(endpoint):
    """Kinesis wrappers: the stream_exists waiter, ListStreams paged by ExclusiveStartStreamName, a summary,
    ListShards without a token, PutRecords and a TRIM_HORIZON read, a LATEST iterator read after later puts,
    tags, an enhanced fan-out consumer, DeleteStream with EnforceConsumerDeletion and stream_not_exists."""
    kinesis = suite_client("kinesis", endpoint)
    fast = {"Delay": 1, "MaxAttempts": 20}
    names = sorted(f"pydoc-{uuid.uuid4().hex[:12]}" for _ in range(2))
    for name in names:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    for name in names:
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=fast)
    name = names[0]

    listed, response = [], kinesis.list_streams(Limit=1)
    listed.extend(response["StreamSummaries"])
    while response["HasMoreStreams"]:
        response = kinesis.list_streams(Limit=1, ExclusiveStartStreamName=response["StreamSummaries"][-1]["StreamName"])
        listed.extend(response["StreamSummaries"])
    mine = [s for s in listed if s["StreamName"] in names]
    assert [s["StreamName"] for s in mine] == names
    assert all(s["StreamStatus"] == "ACTIVE" and s["StreamModeDetails"]["StreamMode"] == "PROVISIONED" for s in mine)

    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["RetentionPeriodHours"], summary["EncryptionType"]) == (1, 24, "NONE")
    response = kinesis.list_shards(StreamName=name)
    assert "NextToken" not in response and [s["ShardId"] for s in response["Shards"]] == ["shardId-000000000000"]
    shard_id = response["Shards"][0]["ShardId"]

    sensors = [{"sensor_id": f"sensor-00{i % 3}", "temperature": 70 + i} for i in range(5)]
    records = [{"Data": json.dumps(d).encode(), "PartitionKey": d["sensor_id"]} for d in sensors]
    response = kinesis.put_records(StreamName=name, Records=records)
    assert response["FailedRecordCount"] == 0 and all(r["ShardId"] == shard_id for r in response["Records"])
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    got = kinesis.get_records(ShardIterator=iterator["ShardIterator"], Limit=10)["Records"]
    assert [json.loads(r["Data"]) for r in got] == sensors

    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="LATEST")["ShardIterator"]
    response = kinesis.get_records(ShardIterator=iterator, Limit=10)
    assert response["Records"] == []
    kinesis.put_record(StreamName=names[0], Data=json.dumps({"n": 1}), PartitionKey="pk")
    response = kinesis.get_records(ShardIterator=response["NextShardIterator"], Limit=10)
    assert [r["Data"] for r in response["Records"]] == [b'{"n": 1}']

    kinesis.add_tags_to_stream(StreamName=name, Tags={"Project": "kinesis-demo", "CostCenter": "12345"})
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["CostCenter"])
    response = kinesis.list_tags_for_stream(StreamName=name)
    assert (response["Tags"], response["HasMoreTags"]) == ([{"Key": "Project", "Value": "kinesis-demo"}], False)

    stream_arn = summary["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="sdk-example-consumer")["Consumer"]
    assert consumer["ConsumerStatus"] == "CREATING"
    deadline = time.monotonic() + 10
    while True:
        description = kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName="sdk-example-consumer")
        if description["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert description["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        kinesis.delete_stream(StreamName=name)
    assert _code(excinfo) == "ResourceInUseException"
    for stream in names:
        kinesis.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
    for stream in names:
        kinesis.get_waiter("stream_not_exists").wait(StreamName=stream, WaiterConfig=fast)
    with pytest.raises(ClientError) as excinfo:
        kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    assert _code(excinfo) == "ResourceNotFoundException"
