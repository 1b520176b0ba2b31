"""Flows of the AWS SDK code examples for Java v2, Go v2 and .NET that the rest of the suite does not walk.

The AWS documentation shows the same SQS/SNS/Kinesis actions in every SDK; most of their flows are already
pinned by the Python, JavaScript, Rust and CLI example tests. What is left here is what only these SDKs'
examples (and their integration tests, which run against AWS) do: the shapes the Java IAM policy builder
writes into a queue policy, a FIFO topic fanned out to FIFO and standard queues read back at once, KMS
settings on a queue that already has SQS-managed encryption, tag keys with spaces, a dead-letter setting
naming the queue itself, the SNS filter policies the Java filter-policy helper builds, and the .NET
"topics and queues" scenario's defaults. Each test is this suite's own code, driven with boto3.
"""

import json
import uuid

import pytest

from sqs_helpers import md5_of_message_attributes, suite_client, unique_name


@pytest.fixture(scope="module")
def sns(endpoint):
    return suite_client("sns", endpoint)


def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _drain(sqs, url, **kwargs):
    got = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
        if not msgs:
            return got
        got += msgs
        entries = [{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in msgs]
        out = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        assert len(out["Successful"]) == len(msgs) and not out.get("Failed")


def test_java_price_update_fifo_topic_to_fifo_and_standard_queues(sqs, sns, account_id):
    """Java PriceUpdateExample / FIFOTopicStandardQueue and PriceUpdateExampleTest: queue policies as the
    SDK's IamPolicy writer prints them (one statement is an object, not a list; a bare account id as the
    AWS principal; pretty-printed), then one Publish to a FIFO topic is read from every queue by a
    ReceiveMessage without wait (the test takes ``messages().get(0)``)."""
    tag = uuid.uuid4().hex[:8]
    topic = sns.create_topic(
        Name=f"javadoc-price-{tag}.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "false"},
    )["TopicArn"]
    queues = []
    for name, fifo in ((f"javadoc-wholesale-{tag}.fifo", True), (f"javadoc-retail-{tag}.fifo", True),
                       (f"javadoc-analytics-{tag}", False)):
        url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        arn = _arn(sqs, url)
        own = {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Principal": {"AWS": account_id}, "Action": "SQS:*", "Resource": arn}}
        text = json.dumps(own, indent=2)
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": text})
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
        assert attrs["QueueArn"] == arn
        assert json.loads(attrs["Policy"]) == own
        # FIFOTopicStandardQueue parses that policy back and appends the topic's statement.
        grown = dict(own, Statement=[own["Statement"], {
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SQS:SendMessage", "Resource": arn,
            "Condition": {"ArnLike": {"aws:SourceArn": topic}}}])
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(grown, indent=2)})
        sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
        queues.append((url, sub))
    out = sns.publish(
        TopicArn=topic, Subject="Price Update", Message='{"product": 214, "price": 79.99}',
        MessageGroupId="Consumables", MessageDeduplicationId=str(uuid.uuid4()),
        MessageAttributes={"business": {"DataType": "String", "StringValue": "wholesale"}},
    )
    assert out["MessageId"] and out["SequenceNumber"].isdigit()
    for url, _ in queues:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        note = json.loads(msgs[0]["Body"])
        assert note["Message"] == '{"product": 214, "price": 79.99}' and note["Subject"] == "Price Update"
        assert note["MessageAttributes"]["business"] == {"Type": "String", "Value": "wholesale"}
    for url, sub in queues:
        sns.unsubscribe(SubscriptionArn=sub)
        sqs.delete_queue(QueueUrl=url)
    sns.delete_topic(TopicArn=topic)


def test_java_sse_tags_and_self_redrive(sqs, make_queue):
    """Java SSEncryptionExample(+IntegrationTest), TagExamples(+Test), DeadLetterQueues via SQSIntegrationTest."""
    _, url = make_queue("javadoc-sse")
    # A new queue has SQS-managed SSE; setting only a KMS key (alias) switches it to KMS, and the
    # integration test reads the alias back as given.
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["SqsManagedSseEnabled"])["Attributes"]
    assert before == {"SqsManagedSseEnabled": "true"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/javadoc-key",
                                                       "KmsDataKeyReusePeriodSeconds": "140"})
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"]
    )["Attributes"]
    assert attrs == {"KmsMasterKeyId": "alias/javadoc-key", "KmsDataKeyReusePeriodSeconds": "140",
                     "SqsManagedSseEnabled": "false"}

    # Tag keys may contain spaces ("Accounting ID"), and UntagQueue removes just that one.
    sqs.tag_queue(QueueUrl=url, Tags={"Team": "Development", "Priority": "Beta", "Accounting ID": "456def"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"]["Accounting ID"] == "456def"
    sqs.untag_queue(QueueUrl=url, TagKeys=["Accounting ID"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"Team": "Development", "Priority": "Beta"}

    # The Java SQSIntegrationTest (and the Go DeadLetterQueue example) give the dead-letter queue a
    # RedrivePolicy that names the queue itself; the test expects no error from AWS.
    arn = _arn(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "RedrivePolicy": '{"maxReceiveCount":"5", "deadLetterTargetArn":"%s"}' % arn})
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                        ["Attributes"]["RedrivePolicy"])
    assert policy == {"deadLetterTargetArn": arn, "maxReceiveCount": 5}


def test_java_message_attributes_custom_types_and_batches(sqs, make_queue):
    """Java MessageAttributesExample (``Number.int``, ``Binary.jpg``) and SendRecvBatch(+Test): numbered
    batch ids, ``line``/``path`` attributes, receive with ``All`` until empty, delete in batches."""
    _, url = make_queue("javadoc-attrs")
    image = bytes(range(256)) * 4
    attrs = {
        "Name": {"DataType": "String", "StringValue": "Jane Doe"},
        "Age": {"DataType": "Number.int", "StringValue": "42"},
        "Image": {"DataType": "Binary.jpg", "BinaryValue": image},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="Hello SQS", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(attrs)
    msg = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                              MessageAttributeNames=["All"])["Messages"][0]
    assert msg["MessageAttributes"] == attrs
    assert msg["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])

    lines = [f"line {i} of the file" for i in range(23)]
    for start in range(0, len(lines), 10):
        entries = [{"Id": str(i), "MessageBody": lines[start + i], "MessageAttributes": {
            "path": {"DataType": "String", "StringValue": "/src/SendRecvBatch.java"},
            "line": {"DataType": "String", "StringValue": str(start + i)}}}
            for i in range(min(10, len(lines) - start))]
        out = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert len(out["Successful"]) == len(entries) and not out.get("Failed")
    got = {}
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", [])
        if not msgs:
            break
        for m in msgs:
            got[int(m["MessageAttributes"]["line"]["StringValue"])] = m["Body"]
        out = sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
        assert len(out["Successful"]) == len(msgs)
    assert [got[i] for i in range(len(lines))] == lines


def test_java_filter_policy_helper(sqs, sns, make_queue):
    """Java SNSMessageFilterPolicy / UseMessageFilterPolicy: the policies its helper prints (exact strings,
    prefix, anything-but a string, numeric equality and a ``>``/``<=`` range) set with
    SetSubscriptionAttributes on a raw-delivery queue subscription."""
    topic = sns.create_topic(Name=unique_name("javadoc-filter"))["TopicArn"]
    _, url = make_queue("javadoc-filter")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_arn(sqs, url),
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]

    def s(v):
        return {"DataType": "String", "StringValue": v}

    def n(v):
        return {"DataType": "Number", "StringValue": v}

    order = {"store": s("example_corp"), "event": s("order_placed"), "customer_interests": s("soccer")}
    messages = {
        "at-100": dict(order, price_usd=n("100")), "at-0": dict(order, price_usd=n("0")),
        "basketball": {"customer_interests": s("basketball")}, "baseball": {"customer_interests": s("baseball")},
        "zero": {"price_usd": n("0")}, "zero-point": {"price_usd": n("0.0")}, "bare": {},
    }
    policies = {
        '{"store": ["example_corp"], "event": ["order_placed"], "customer_interests": ["rugby","soccer","hockey"], '
        '"price_usd": [{"numeric":[">",0,"<=",100]}]}': ["at-100"],
        '{"customer_interests": [{"prefix":"bas"}]}': ["baseball", "basketball"],
        '{"customer_interests": [{"anything-but":"baseball"}]}': ["at-0", "at-100", "basketball"],
        '{"price_usd": [{"numeric":["=",0]}]}': ["at-0", "zero", "zero-point"],
    }
    for policy, expected in policies.items():
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy)
        for body, attrs in messages.items():
            sns.publish(TopicArn=topic, Message=body, **({"MessageAttributes": attrs} if attrs else {}))
        assert sorted(m["Body"] for m in _drain(sqs, url)) == expected, policy
    sns.delete_topic(TopicArn=topic)


def test_dotnet_topics_and_queues_defaults(sqs, sns):
    """The .NET "topics and queues" scenario run unattended (its integration test): a FIFO topic with
    content-based deduplication, two queues created *without* FifoQueue (the wrapper drops its attributes),
    each subscribed with ``{"tone": ["cheerful"]}`` in Subscribe's Attributes, one message per group "1"
    with no deduplication id, polled with WaitTimeSeconds=1 until empty, deleted in a batch whose entry ids
    are the message ids."""
    tag = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"dotnetdoc-{tag}.fifo",
                             Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    urls, subs = [], []
    for i in range(2):
        url = sqs.create_queue(QueueName=f"dotnetdoc-{tag}-{i}")["QueueUrl"]
        arn = _arn(sqs, url)
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        subs.append(sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                  Attributes={"FilterPolicy": '{"tone":["cheerful"]}'})["SubscriptionArn"])
        urls.append(url)
    sns.publish(TopicArn=topic, Message="This is a sample message", MessageGroupId="1",
                MessageAttributes={"tone": {"DataType": "String", "StringValue": "cheerful"}})
    sns.publish(TopicArn=topic, Message="no tone", MessageGroupId="1")
    for url in urls:
        got = _drain(sqs, url, WaitTimeSeconds=1)
        assert [json.loads(m["Body"])["Message"] for m in got] == ["This is a sample message"]
        assert "MessageGroupId" not in (got[0].get("Attributes") or {})
        sqs.delete_queue(QueueUrl=url)
    for sub in subs:
        sns.unsubscribe(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=topic)
