"""Amazon SNS through boto3 (AWS Query protocol): topics, subscriptions, publishing to SQS queues (envelope,
raw delivery, filter policies, FIFO), HTTP subscriptions, batches and AWS's errors."""

import base64
import http.server
import json
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sqs_helpers import suite_client, unique_name

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="session")
def sns(endpoint):
    """boto3 SNS client (botocore speaks the AWS Query protocol to SNS)."""
    return suite_client("sns", endpoint)


@pytest.fixture
def make_topic(sns):
    """Factory of uniquely named topics, deleted after the test: ``make_topic(prefix, fifo, **kwargs)``."""
    created = []

    def _make(prefix="t", fifo=False, attributes=None, **kwargs):
        attrs = dict(attributes or {})
        if fifo:
            attrs.setdefault("FifoTopic", "true")
        name = unique_name(prefix, fifo=fifo)
        arn = sns.create_topic(Name=name, Attributes=attrs, **kwargs)["TopicArn"]
        created.append(arn)
        return arn

    yield _make
    for arn in created:
        try:
            sns.delete_topic(TopicArn=arn)
        except Exception:
            pass


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def subscribe_queue(sns, sqs, topic_arn, url, **attributes):
    return sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, url),
        Attributes={k: v for k, v in attributes.items()},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def receive(sqs, url, expected=1, timeout=5.0):
    """Receive until ``expected`` messages arrived or ``timeout`` passed."""
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < expected and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        messages.extend(resp.get("Messages", []))
    return messages


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response


# ---------------------------------------------------------------- topics


def test_create_topic_is_idempotent(sns, make_topic):
    arn = make_topic("idem", attributes={"DisplayName": "Orders"})
    name = arn.rsplit(":", 1)[1]
    assert re.match(r"^arn:aws:sns:us-east-1:\d{12}:" + re.escape(name) + "$", arn)
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Orders"})["TopicArn"] == arn
    resp = error_of(sns.create_topic, Name=name, Attributes={"DisplayName": "Other"})
    assert resp["Error"]["Code"] == "InvalidParameter"
    assert resp["Error"]["Message"] == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )


@pytest.mark.parametrize("name", ["has space", "dot.name", "x" * 257, "a.fifo"])
def test_invalid_topic_names(sns, name):
    resp = error_of(sns.create_topic, Name=name)
    assert resp["Error"]["Code"] == "InvalidParameter"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_fifo_topic_name_rules(sns):
    resp = error_of(sns.create_topic, Name=unique_name("nofifo"), Attributes={"FifoTopic": "true"})
    assert resp["Error"]["Message"].startswith("Invalid parameter: Fifo Topic names must end with .fifo")


def test_topic_attributes(sns, make_topic):
    arn = make_topic("attrs")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == arn.split(":")[4]
    assert attrs["SubscriptionsConfirmed"] == "0"
    assert attrs["SubscriptionsPending"] == "0"
    assert attrs["SubscriptionsDeleted"] == "0"
    assert attrs["DisplayName"] == ""
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attrs
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shop")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Shop"
    resp = error_of(sns.set_topic_attributes, TopicArn=arn, AttributeName="Bogus", AttributeValue="x")
    assert resp["Error"]["Code"] == "InvalidParameter"

    fifo = make_topic("attrs", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    attrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert attrs["FifoTopic"] == "true"
    assert attrs["ContentBasedDeduplication"] == "true"


def test_missing_topic_is_not_found(sns, account_id):
    arn = f"arn:aws:sns:us-east-1:{account_id}:{unique_name('missing')}"
    resp = error_of(sns.get_topic_attributes, TopicArn=arn)
    assert resp["Error"]["Code"] == "NotFound"
    assert resp["Error"]["Message"] == "Topic does not exist"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=arn, Message="x")
    # Deleting a topic that does not exist succeeds.
    sns.delete_topic(TopicArn=arn)
    resp = error_of(sns.get_topic_attributes, TopicArn="not-an-arn")
    assert resp["Error"]["Code"] == "InvalidParameter"
    assert resp["Error"]["Message"] == "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"


def test_list_topics_pages_by_100(sns, make_topic):
    mine = {make_topic("page") for _ in range(105)}
    seen = set()
    pages = 0
    for page in sns.get_paginator("list_topics").paginate():
        pages += 1
        assert len(page["Topics"]) <= 100
        seen.update(t["TopicArn"] for t in page["Topics"])
    assert mine <= seen
    assert pages >= 2


def test_tags(sns, make_topic):
    arn = make_topic("tags", Tags=[{"Key": "team", "Value": "core"}])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "core", "env": "dev"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    resp = error_of(sns.tag_resource, ResourceArn=arn, Tags=too_many)
    assert resp["Error"]["Code"] == "TagLimitExceeded"


def test_permissions_and_data_protection(sns, make_topic, account_id):
    arn = make_topic("perm")
    sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    statement = [s for s in policy["Statement"] if s["Sid"] == "pub"][0]
    assert statement["Action"] == "SNS:Publish"
    assert statement["Principal"]["AWS"] == "arn:aws:iam::111122223333:root"
    sns.remove_permission(TopicArn=arn, Label="pub")
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert all(s["Sid"] != "pub" for s in policy["Statement"])

    document = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=document)
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == document


# ---------------------------------------------------------------- SQS delivery


def test_publish_delivers_envelope_to_queue(sns, sqs, make_topic, make_queue):
    topic = make_topic("env")
    _, url = make_queue("env")
    sub = subscribe_queue(sns, sqs, topic, url)
    assert sub.startswith(topic + ":")
    resp = sns.publish(
        TopicArn=topic,
        Message="hello world",
        Subject="Greetings",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    message_id = resp["MessageId"]
    messages = receive(sqs, url)
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == message_id
    assert body["TopicArn"] == topic
    assert body["Subject"] == "Greetings"
    assert body["Message"] == "hello world"
    assert ISO_MS.match(body["Timestamp"])
    assert body["SignatureVersion"] == "1"
    assert body["Signature"]
    assert body["SigningCertURL"].endswith(".pem")
    assert "Action=Unsubscribe" in body["UnsubscribeURL"]
    assert urllib.parse.quote(sub, safe="") in body["UnsubscribeURL"]
    assert body["MessageAttributes"]["color"] == {"Type": "String", "Value": "blue"}
    assert body["MessageAttributes"]["count"] == {"Type": "Number", "Value": "3"}
    assert body["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()}
    assert "MessageAttributes" not in messages[0]


def test_raw_message_delivery(sns, sqs, make_topic, make_queue):
    topic = make_topic("raw")
    _, url = make_queue("raw")
    sub = subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    sns.publish(
        TopicArn=topic,
        Message="just the body",
        MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}},
    )
    messages = receive(sqs, url)
    assert messages[0]["Body"] == "just the body"
    assert messages[0]["MessageAttributes"]["color"]["StringValue"] == "red"


def test_message_structure_json(sns, sqs, make_topic, make_queue):
    topic = make_topic("struct")
    _, url = make_queue("struct")
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for sqs"}))
    assert receive(sqs, url)[0]["Body"] == "for sqs"
    resp = error_of(sns.publish, TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    assert resp["Error"]["Message"] == "Invalid parameter: Message Structure - No default entry in JSON message body"


def test_filter_policy_on_attributes_and_body(sns, sqs, make_topic, make_queue):
    topic = make_topic("filter")
    _, all_url = make_queue("all")
    _, big_url = make_queue("big")
    _, body_url = make_queue("body")
    subscribe_queue(sns, sqs, topic, all_url)
    subscribe_queue(
        sns, sqs, topic, big_url,
        FilterPolicy=json.dumps({"price": [{"numeric": [">=", 100]}], "kind": ["order"]}),
    )
    body_sub = subscribe_queue(
        sns, sqs, topic, body_url,
        FilterPolicy=json.dumps({"order": {"region": [{"prefix": "eu-"}]}}),
        FilterPolicyScope="MessageBody",
        RawMessageDelivery="true",
    )
    for price, region in (("150", "eu-west-1"), ("50", "us-east-1")):
        sns.publish(
            TopicArn=topic,
            Message=json.dumps({"order": {"region": region}}),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "order"},
                "price": {"DataType": "Number", "StringValue": price},
            },
        )
    assert len(receive(sqs, all_url, expected=2)) == 2
    big = receive(sqs, big_url, expected=2, timeout=2)
    assert len(big) == 1
    assert json.loads(json.loads(big[0]["Body"])["Message"])["order"]["region"] == "eu-west-1"
    body = receive(sqs, body_url, expected=2, timeout=2)
    assert [json.loads(m["Body"])["order"]["region"] for m in body] == ["eu-west-1"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=body_sub)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody"


def test_invalid_filter_policies(sns, sqs, make_topic, make_queue):
    topic = make_topic("badfilter")
    _, url = make_queue("badfilter")
    sub = subscribe_queue(sns, sqs, topic, url)
    cases = {
        json.dumps({"a": {"b": ["c"]}}): "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
        json.dumps({"a": [{"wildcard": "x*"}]}): "Invalid parameter: FilterPolicy: Unrecognized match type wildcard",
        json.dumps({k: ["v"] for k in "abcdef"}): "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
    }
    for policy, message in cases.items():
        resp = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy)
        assert resp["Error"]["Code"] == "InvalidParameter"
        assert resp["Error"]["Message"] == message
    values = [str(i) for i in range(13)]
    resp = error_of(
        sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"a": values, "b": values}),
    )
    assert resp["Error"]["Message"] == "Invalid parameter: FilterPolicy: Filter policy is too complex"


def test_fifo_topic_to_fifo_queue(sns, sqs, make_topic, make_queue):
    topic = make_topic("fifo", fifo=True)
    _, url = make_queue("fifo", fifo=True)
    subscribe_queue(sns, sqs, topic, url)
    ids = []
    for i in range(3):
        resp = sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        assert len(resp["SequenceNumber"]) == 20
        ids.append(resp["MessageId"])
    duplicate = sns.publish(TopicArn=topic, Message="again", MessageGroupId="g", MessageDeduplicationId="d0")
    assert duplicate["MessageId"] == ids[0]
    messages = receive(sqs, url, expected=3)
    assert [json.loads(m["Body"])["Message"] for m in messages] == ["m0", "m1", "m2"]
    assert all(m["Attributes"]["MessageGroupId"] == "g" for m in messages)
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == ["d0", "d1", "d2"]

    resp = error_of(sns.publish, TopicArn=topic, Message="no group")
    assert resp["Error"]["Message"] == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    resp = error_of(sns.publish, TopicArn=topic, Message="no dedup", MessageGroupId="g")
    assert resp["Error"]["Code"] == "InvalidParameter"
    resp = error_of(sns.subscribe, TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/")
    assert resp["Error"]["Code"] == "InvalidParameter"


def test_standard_topic_refuses_fifo_queue(sns, sqs, make_topic, make_queue):
    topic = make_topic("std")
    _, url = make_queue("std", fifo=True)
    resp = error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))
    assert resp["Error"]["Code"] == "InvalidParameter"
    assert resp["Error"]["Message"] == (
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
    )


def test_publish_errors(sns, make_topic):
    topic = make_topic("errors")
    resp = error_of(sns.publish, TopicArn=topic, Message="")
    assert resp["Error"]["Message"] == "Invalid parameter: Empty message"
    resp = error_of(sns.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1))
    assert resp["Error"]["Message"] == "Invalid parameter: Message too long"
    resp = error_of(sns.publish, TopicArn=topic, Message="m", MessageDeduplicationId="d")
    assert resp["Error"]["Code"] == "InvalidParameter"
    resp = error_of(
        sns.publish, TopicArn=topic, Message="m",
        MessageAttributes={"n": {"DataType": "Number", "StringValue": "not a number"}},
    )
    assert resp["Error"]["Code"] == "ParameterValueInvalid"
    assert resp["Error"]["Message"] == "Could not cast message attribute 'n' value to number."
    resp = error_of(sns.publish, Message="nowhere")
    assert resp["Error"]["Code"] == "InvalidParameter"


def test_publish_batch(sns, sqs, make_topic, make_queue):
    topic = make_topic("batch")
    _, url = make_queue("batch")
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    entries = [
        {"Id": "one", "Message": "first"},
        {"Id": "two", "Message": "second", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
    ]
    # An invalid entry fails the whole request and nothing is published (as AWS answers: LocalStack's
    # AWS-recorded test_sns.snapshot.json, test_publish_batch_exceptions).
    resp = error_of(
        sns.publish_batch, TopicArn=topic,
        PublishBatchRequestEntries=entries + [{"Id": "bad", "Message": "m", "MessageStructure": "json"}],
    )
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameter", 400)
    resp = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert sorted(e["Id"] for e in resp["Successful"]) == ["one", "two"] and resp["Failed"] == []
    bodies = sorted(m["Body"] for m in receive(sqs, url, expected=3, timeout=2.0))
    assert bodies == ["first", "second"]
    with pytest.raises(sns.exceptions.TooManyEntriesInBatchRequestException):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": str(i), "Message": "m"} for i in range(11)])
    with pytest.raises(sns.exceptions.BatchEntryIdsNotDistinctException):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}])


# ---------------------------------------------------------------- subscriptions


def test_subscriptions_list_attributes_unsubscribe(sns, sqs, make_topic, make_queue):
    topic = make_topic("subs")
    _, url = make_queue("subs")
    arn = queue_arn(sqs, url)
    sub = subscribe_queue(sns, sqs, topic, url)
    # Subscribing again returns the same subscription.
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"] == sub
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [{"SubscriptionArn": sub, "Owner": topic.split(":")[4], "Protocol": "sqs", "Endpoint": arn, "TopicArn": topic}]
    assert any(s["SubscriptionArn"] == sub for s in sns.list_subscriptions()["Subscriptions"])
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Protocol"] == "sqs"
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "true"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    resp = error_of(sns.get_subscription_attributes, SubscriptionArn=sub)
    assert resp["Error"]["Code"] == "NotFound"
    resp = error_of(sns.subscribe, TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x")
    assert resp["Error"]["Code"] == "InvalidParameter"
    resp = error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint="not-an-arn")
    assert resp["Error"]["Message"] == "Invalid parameter: SQS endpoint ARN"


class _Hook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        type(self).received.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (_Hook,), {"received": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
    server.shutdown()


def wait_for(received, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(received) >= count, f"expected {count} requests, got {len(received)}"


def test_http_subscription_confirmation_and_notification(sns, make_topic, hook):
    url, received = hook
    topic = make_topic("http")
    resp = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    assert resp["SubscriptionArn"] == "pending confirmation"
    wait_for(received, 1)
    headers, body = received[0]
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    confirmation = json.loads(body)
    assert confirmation["Type"] == "SubscriptionConfirmation"
    assert confirmation["TopicArn"] == topic
    assert "Action=ConfirmSubscription" in confirmation["SubscribeURL"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["SubscriptionsPending"] == "1"
    sub = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    sub_attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sub_attrs["PendingConfirmation"] == "false"
    assert json.loads(sub_attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3

    message_id = sns.publish(TopicArn=topic, Message="over http", Subject="S")["MessageId"]
    wait_for(received, 2)
    headers, body = received[1]
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == message_id
    assert headers["x-amz-sns-subscription-arn"] == sub
    assert headers["content-type"].startswith("text/plain")
    notification = json.loads(body)
    assert notification["Message"] == "over http"
    assert notification["Subject"] == "S"

    resp = error_of(sns.confirm_subscription, TopicArn=topic, Token="not-the-token")
    assert resp["Error"]["Code"] == "InvalidParameter"


def test_subscribe_url_confirms_over_get(sns, make_topic, hook, endpoint):
    url, received = hook
    topic = make_topic("geturl")
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    wait_for(received, 1)
    subscribe_url = json.loads(received[0][1])["SubscribeURL"]
    assert subscribe_url.startswith(endpoint)
    with urllib.request.urlopen(subscribe_url, timeout=5) as resp:
        assert resp.status == 200
        assert b"ConfirmSubscriptionResult" in resp.read()
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


def string_to_sign(message):
    """AWS's string to sign: the documented members of the message type, in this order, each as
    ``Name\\nvalue\\n``; ``Subject`` only when present."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{name}\n{message[name]}\n" for name in names if name in message).encode()


def verify_signature(message):
    """Verifies ``message`` as an SNS subscriber does: fetch SigningCertURL, check Signature with its key."""
    with urllib.request.urlopen(message["SigningCertURL"], timeout=5) as resp:
        assert resp.status == 200
        certificate = x509.load_pem_x509_certificate(resp.read())
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}[message["SignatureVersion"]]
    certificate.public_key().verify(
        base64.b64decode(message["Signature"]), string_to_sign(message), padding.PKCS1v15(), digest
    )


def test_messages_are_signed_with_the_served_certificate(sns, make_topic, hook, endpoint):
    url, received = hook
    topic = make_topic("signed")
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    wait_for(received, 1)
    confirmation = json.loads(received[0][1])
    assert confirmation["SigningCertURL"] == endpoint + "/_wharf/sns/SimpleNotificationService.pem"
    assert confirmation["SignatureVersion"] == "1"
    verify_signature(confirmation)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5) as resp:
        assert resp.status == 200

    # SignatureVersion 1 (the default): SHA1withRSA, with a Subject in the string to sign.
    message_id = sns.publish(TopicArn=topic, Message="signed\nmessage \u00e9", Subject="Greetings")["MessageId"]
    wait_for(received, 2)
    notification = json.loads(received[1][1])
    assert notification["Type"] == "Notification"
    assert notification["MessageId"] == message_id
    assert notification["SignatureVersion"] == "1"
    verify_signature(notification)
    with urllib.request.urlopen(notification["SigningCertURL"], timeout=5) as resp:
        key = x509.load_pem_x509_certificate(resp.read()).public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    # Any change to a signed member breaks the signature.
    with pytest.raises(InvalidSignature):
        verify_signature(dict(notification, Message="tampered"))

    # SignatureVersion 2: SHA256withRSA; no Subject, so none in the string to sign.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="version two")
    wait_for(received, 3)
    notification = json.loads(received[2][1])
    assert notification["SignatureVersion"] == "2"
    assert "Subject" not in notification
    verify_signature(notification)
    with pytest.raises(InvalidSignature):
        verify_signature(dict(notification, SignatureVersion="1"))


# ---------------------------------------------------------------- SMS and mobile push (recorded only)


def test_sms_and_platform_endpoints(sns):
    assert sns.publish(PhoneNumber="+15555550100", Message="hi")["MessageId"]
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100")["isOptedOut"] is False
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    name = unique_name("app")
    app = sns.create_platform_application(Name=name, Platform="GCM", Attributes={"PlatformCredential": "key"})[
        "PlatformApplicationArn"
    ]
    try:
        endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-token")["EndpointArn"]
        assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-token")["EndpointArn"] == endpoint
        attrs = sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
        assert attrs["Token"] == "device-token"
        assert attrs["Enabled"] == "true"
        assert sns.publish(TargetArn=endpoint, Message="push")["MessageId"]
        endpoints = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
        assert [e["EndpointArn"] for e in endpoints] == [endpoint]
        sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
        resp = error_of(sns.publish, TargetArn=endpoint, Message="push")
        assert resp["Error"]["Code"] == "EndpointDisabled"
    finally:
        sns.delete_platform_application(PlatformApplicationArn=app)


# ---------------------------------------------------------------- fan-out and throttling


def test_publish_fans_out_to_many_queues(sns, sqs, make_topic, make_queue):
    topic = make_topic("wide")
    urls = []
    for i in range(25):
        _, url = make_queue(f"wide{i}")
        subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true" if i % 2 else "false")
        urls.append(url)
    message_id = sns.publish(TopicArn=topic, Message="to everyone")["MessageId"]
    # Publish answers once the message is in every subscribed queue: no waiting needed.
    for i, url in enumerate(urls):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        assert len(messages) == 1, f"queue {i}"
        if i % 2:
            assert messages[0]["Body"] == "to everyone"
        else:
            envelope = json.loads(messages[0]["Body"])
            assert envelope["MessageId"] == message_id
            assert envelope["Message"] == "to everyone"


def test_throttle_policy_paces_http_deliveries(sns, make_topic, hook):
    url, received = hook
    topic = make_topic("paced")
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    wait_for(received, 1)
    token = json.loads(received[0][1])["Token"]
    sub = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    policy = {"throttlePolicy": {"maxReceivesPerSecond": 2}}
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
    )
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["throttlePolicy"] == {"maxReceivesPerSecond": 2}
    for i in range(5):
        sns.publish(TopicArn=topic, Message=f"m{i}")
    arrivals = []
    deadline = time.monotonic() + 10
    while len(arrivals) < 5 and time.monotonic() < deadline:
        while len(arrivals) < len(received) - 1:
            arrivals.append(time.monotonic())
        time.sleep(0.01)
    assert len(arrivals) == 5, f"{len(received) - 1} of 5 notifications arrived"
    # Two a second: five deliveries span at least two seconds (a standard topic promises no order).
    assert arrivals[-1] - arrivals[0] >= 1.8, arrivals
    assert sorted(json.loads(body)["Message"] for _, body in received[1:]) == [f"m{i}" for i in range(5)]
