"""Flows of the AWS SDK code examples for Java v2, Go v2 and .NET that the rest of the suite does not walk.

The AWS documentation shows the same SQS/SNS/Kinesis actions in every SDK; most of their flows are already
pinned by the Python, JavaScript, Rust and CLI example tests. What is left here is what only these SDKs'
examples (and their integration tests, which run against AWS) do: the shapes the Java IAM policy builder
writes into a queue policy, a FIFO topic fanned out to FIFO and standard queues read back at once, KMS
settings on a queue that already has SQS-managed encryption, tag keys with spaces, a dead-letter setting
naming the queue itself, the SNS filter policies the Java filter-policy helper builds, the .NET
"topics and queues" scenario's defaults, and the Java Kinesis examples as the Java SDK v2 sends them: in
CBOR (``application/x-amz-cbor-1.1``), which no other client of the suite speaks. Each test is this suite's
own code, driven with boto3 (and, for CBOR, a small codec below over signed HTTP).
"""

import json
import struct
import time
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from sqs_helpers import (
    ACCESS_KEY,
    KINESIS_CBOR,
    REGION,
    SECRET_KEY,
    md5_of_message_attributes,
    suite_client,
    unique_name,
)


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


# --------------------------------------------------------------------------
# Kinesis over CBOR, as the Java SDK v2 speaks it
# --------------------------------------------------------------------------

class Tag:
    """A CBOR tagged value (tag 1: a timestamp, epoch milliseconds for this protocol)."""

    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor_encode(value, indefinite=True):
    """Jackson's CBOR generator (under the Java SDK) writes maps and lists with indefinite length."""
    if value is None or isinstance(value, bool):
        return {None: b"\xf6", True: b"\xf5", False: b"\xf4"}[value]
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        return _head(3, len(value.encode())) + value.encode()
    if isinstance(value, Tag):
        return _head(6, value.tag) + cbor_encode(value.value, indefinite)
    if isinstance(value, list):
        items = b"".join(cbor_encode(v, indefinite) for v in value)
        return b"\x9f" + items + b"\xff" if indefinite else _head(4, len(value)) + items
    if isinstance(value, dict):
        items = b"".join(cbor_encode(k, indefinite) + cbor_encode(v, indefinite) for k, v in value.items())
        return b"\xbf" + items + b"\xff" if indefinite else _head(5, len(value)) + items
    raise TypeError(value)


def cbor_decode(data):
    def item(i):
        major, info = data[i] >> 5, data[i] & 31
        i += 1
        if major == 7:
            if info in (20, 21, 22):
                return {20: False, 21: True, 22: None}[info], i
            size, fmt = {25: (2, ">e"), 26: (4, ">f"), 27: (8, ">d")}[info]
            return struct.unpack(fmt, data[i:i + size])[0], i + size
        if info < 24:
            n = info
        elif info == 31:
            n = None
        else:
            size = 1 << (info - 24)
            n = int.from_bytes(data[i:i + size], "big")
            i += size
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            if n is None:  # chunked
                chunks = []
                while data[i] != 0xFF:
                    chunk, i = item(i)
                    chunks.append(chunk)
                return (b"" if major == 2 else "").join(chunks), i + 1
            raw = data[i:i + n]
            return (raw if major == 2 else raw.decode()), i + n
        if major == 6:
            inner, i = item(i)
            return Tag(n, inner), i
        out = [] if major == 4 else {}
        count = 0
        while (data[i] != 0xFF) if n is None else (count < n):
            if major == 4:
                value, i = item(i)
                out.append(value)
            else:
                key, i = item(i)
                out[key], i = item(i)
            count += 1
        return out, i + (1 if n is None else 0)

    value, end = item(0)
    assert end == len(data), "trailing bytes"
    return value


def _cbor_call(endpoint, operation, body=None, raw=None, indefinite=True):
    payload = raw if raw is not None else cbor_encode(body, indefinite)
    headers = {"Content-Type": KINESIS_CBOR, "X-Amz-Target": f"Kinesis_20131202.{operation}"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=payload, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(req)
    request = urllib.request.Request(endpoint + "/", data=payload, headers=dict(req.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, ctype, data = resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as err:
        status, ctype, data = err.code, err.headers.get("Content-Type"), err.read()
    assert ctype == KINESIS_CBOR
    return status, cbor_decode(data)


def test_java_kinesis_examples_over_cbor(endpoint):
    """The Java v2 Kinesis examples in KinTest's order (CreateDataStream, DescribeLimits, ListShards,
    StockTradesWriter, GetRecords, AddDataShards, RegisterStreamConsumer, DeleteDataStream), in CBOR:
    indefinite-length maps, blobs as byte strings, timestamps as tag 1 with epoch milliseconds."""
    name = unique_name("javadoc-cbor")

    def ok(operation, body=None, **kwargs):
        status, out = _cbor_call(endpoint, operation, body, **kwargs)
        assert status == 200, (operation, out)
        return out

    assert ok("CreateStream", {"StreamName": name, "ShardCount": 1}) == {}
    limits = ok("DescribeLimits", {})
    assert isinstance(limits["ShardLimit"], int) and limits["OpenShardCount"] >= 1
    deadline = time.time() + 10
    while ok("DescribeStream", {"StreamName": name})["StreamDescription"]["StreamStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.1)
    shards = ok("ListShards", {"StreamName": name})["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000000"]

    before = int(time.time() * 1000) - 1000
    trades = [json.dumps({"tickerSymbol": t, "tradeType": "BUY", "price": 12.5 + i, "quantity": i, "id": i},
                         separators=(",", ":")).encode() for i, t in enumerate(["AMZN", "ORCL", "AMZN", "IBM"])]
    for trade in trades:
        out = ok("PutRecord", {"PartitionKey": json.loads(trade)["tickerSymbol"], "StreamName": name, "Data": trade})
        assert out["ShardId"] == "shardId-000000000000" and len(out["SequenceNumber"]) == 56
    # A long partition key as Jackson writes long text: a chunked (indefinite-length) string.
    chunked_key = b"\x7f" + cbor_encode("ticker-") + cbor_encode("MSFT") + b"\xff"
    ok("PutRecord", raw=b"\xbf" + cbor_encode("StreamName") + cbor_encode(name) + cbor_encode("PartitionKey")
       + chunked_key + cbor_encode("Data") + b"\x5f" + cbor_encode(b"{}") + b"\xff" + b"\xff")

    described = ok("DescribeStream", {"StreamName": name}, indefinite=False)["StreamDescription"]
    assert described["HasMoreShards"] is False
    created = described["StreamCreationTimestamp"]
    assert isinstance(created, Tag) and created.tag == 1 and isinstance(created.value, int)
    iterator = ok("GetShardIterator", {"StreamName": name, "ShardIteratorType": "TRIM_HORIZON",
                                       "ShardId": described["Shards"][0]["ShardId"]})["ShardIterator"]
    records = ok("GetRecords", {"ShardIterator": iterator, "Limit": 1000})["Records"]
    assert [r["Data"] for r in records] == trades + [b"{}"]
    assert records[-1]["PartitionKey"] == "ticker-MSFT"
    for record in records:
        stamp = record["ApproximateArrivalTimestamp"]
        assert isinstance(stamp, Tag) and stamp.tag == 1
        assert isinstance(stamp.value, int) and before <= stamp.value <= int(time.time() * 1000) + 1000
    # AT_TIMESTAMP given as the Java SDK writes an Instant: tag 1, epoch milliseconds.
    at = ok("GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                 "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": Tag(1, before)})["ShardIterator"]
    assert len(ok("GetRecords", {"ShardIterator": at})["Records"]) == len(records)

    scaled = ok("UpdateShardCount", {"ScalingType": "UNIFORM_SCALING", "StreamName": name, "TargetShardCount": 2})
    assert (scaled["StreamName"], scaled["CurrentShardCount"], scaled["TargetShardCount"]) == (name, 1, 2)
    deadline = time.time() + 10
    while True:
        summary = ok("DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            break
        assert time.time() < deadline
        time.sleep(0.1)
    assert summary["OpenShardCount"] == 2
    consumer = ok("RegisterStreamConsumer", {"ConsumerName": "MyConsumer", "StreamARN": summary["StreamARN"]})
    assert consumer["Consumer"]["ConsumerARN"].startswith(summary["StreamARN"] + "/consumer/MyConsumer:")
    assert consumer["Consumer"]["ConsumerCreationTimestamp"].tag == 1

    status, err = _cbor_call(endpoint, "DescribeStream", {"StreamName": name + "-missing"})
    assert status == 400 and err["__type"] == "ResourceNotFoundException"
    ok("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True})


def test_go_fcm_publish_to_platform_endpoint(sns):
    """Go ``sns/publish_to_fcm_endpoint.go``: Publish with ``TargetArn`` = a platform endpoint,
    ``MessageStructure=json`` and a message whose only key is ``GCM`` (the payload shape of the SNS
    developer guide's "platform-specific payloads" and FCM v1 pages). An endpoint takes its platform's
    entry in place of ``default``; without either, AWS answers "JSON must contain an entry for 'default'
    or 'GCM'." (quoted in aws/aws-sdk-net#180 and aws/aws-sdk-java#1991). Topics still need ``default``."""
    tag = uuid.uuid4().hex[:8]
    app = sns.create_platform_application(Name=f"godoc-fcm-{tag}", Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"token-{tag}")["EndpointArn"]
    notification = json.dumps({"notification": {"title": "Notification Title", "body": "Sample Body"},
                               "data": {"sampleData1": "Sample Data", "sampleData2": "Sample Data"}})
    out = sns.publish(TargetArn=endpoint, MessageStructure="json", Message=json.dumps({"GCM": notification}))
    assert out["MessageId"]
    fcm_v1 = json.dumps({"fcmV1Message": {"message": {"notification": {"title": "Hello", "body": "This is a test."},
                                                      "data": {"dataKey": "example"}}}})
    assert sns.publish(TargetArn=endpoint, MessageStructure="json", Message=json.dumps({"GCM": fcm_v1}))["MessageId"]
    # The entry must be the endpoint's platform, spelled as AWS spells it, with a string value.
    for message in ({"gcm": notification}, {"APNS": notification}, {"GCM": json.loads(notification)}):
        with pytest.raises(ClientError) as err:
            sns.publish(TargetArn=endpoint, MessageStructure="json", Message=json.dumps(message))
        assert err.value.response["Error"]["Code"] == "InvalidParameter"
        assert err.value.response["Error"]["Message"] == (
            "Invalid parameter: JSON must contain an entry for 'default' or 'GCM'.")
    topic = sns.create_topic(Name=f"godoc-fcm-{tag}")["TopicArn"]
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"GCM": notification}))
    assert err.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body")
    sns.delete_endpoint(EndpointArn=endpoint)
    sns.delete_platform_application(PlatformApplicationArn=app)
    sns.delete_topic(TopicArn=topic)
