"""The AWS CLI (``aws sqs ...``) against the server, JSON output parsed."""

import json

import pytest

from sqs_helpers import (
    REGION,
    md5_of_body,
    md5_of_message_attributes,
    unique_name,
)


@pytest.fixture
def aws(aws_cli):
    return aws_cli("sqs")


def test_cli_queue_and_message_roundtrip(aws, sqs, endpoint, account_id):
    name = unique_name("cli")
    url = aws.json("create-queue", "--queue-name", name)["QueueUrl"]
    try:
        assert url == f"{endpoint}/{account_id}/{name}"

        listed = aws.json("list-queues", "--queue-name-prefix", name)
        assert listed.get("QueueUrls") == [url]

        assert aws.json("get-queue-url", "--queue-name", name)["QueueUrl"] == url

        body = "hello from the aws cli ü"
        sent = aws.json(
            "send-message",
            "--queue-url", url,
            "--message-body", body,
            "--message-attributes", json.dumps({"k": {"DataType": "String", "StringValue": "v"}}),
        )
        assert sent["MD5OfMessageBody"] == md5_of_body(body)
        assert sent["MessageId"]

        attrs = aws.json(
            "get-queue-attributes", "--queue-url", url, "--attribute-names", "All"
        )["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "1"
        assert attrs["VisibilityTimeout"] == "30"

        got = aws.json(
            "receive-message",
            "--queue-url", url,
            "--max-number-of-messages", "10",
            "--message-attribute-names", "All",
            "--attribute-names", "All",
        )
        assert len(got["Messages"]) == 1
        msg = got["Messages"][0]
        assert msg["Body"] == body
        assert msg["MessageId"] == sent["MessageId"]
        assert msg["MessageAttributes"]["k"]["StringValue"] == "v"
        assert msg["Attributes"]["ApproximateReceiveCount"] == "1"

        aws("delete-message", "--queue-url", url, "--receipt-handle", msg["ReceiptHandle"])
        attrs = aws.json(
            "get-queue-attributes",
            "--queue-url", url,
            "--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        )["Attributes"]
        assert attrs == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

        aws("delete-queue", "--queue-url", url)
        assert aws.json("list-queues", "--queue-name-prefix", name).get("QueueUrls", []) == []
    finally:
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:
            pass


def test_cli_receive_on_empty_queue(aws, queue):
    _, url = queue
    got = aws.json("receive-message", "--queue-url", url)
    assert got.get("Messages", []) == []


def test_cli_error_for_unknown_queue(aws):
    proc = aws("get-queue-url", "--queue-name", unique_name("missing"), check=False)
    assert proc.returncode != 0
    assert "NonExistentQueue" in proc.stderr or "QueueDoesNotExist" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------
# The examples of the AWS CLI reference pages for `aws sqs` (awscli/examples/sqs/*.rst), run as
# documented with the account, names and receipt handles replaced; outputs compared in shape and, where
# the documented values are reproducible (MD5 digests), in value.
# --------------------------------------------------------------------------

def _param_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return f"file://{path}"


def _elided(digest, documented):
    """A digest matches a documented one shortened as ``51b0a325...39163aa0``."""
    head, tail = documented.split("...")
    return digest.startswith(head) and digest.endswith(tail) and len(digest) == 32


@pytest.fixture
def documented_queues(aws, sqs, account_id):
    """MyDeadLetterQueue and MyQueue as create-queue.rst creates them (with create-queue.json)."""
    suffix = unique_name("")[1:]
    created = []

    def make(name, *args):
        url = aws.json("create-queue", "--queue-name", name + suffix, *args)["QueueUrl"]
        created.append(url)
        return url

    yield make, suffix
    for url in created:
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:
            pass


def test_cli_doc_create_queue_and_get_queue_attributes(aws, documented_queues, tmp_path, account_id):
    make, suffix = documented_queues
    make("MyDeadLetterQueue")
    dlq_arn = f"arn:aws:sqs:{REGION}:{account_id}:MyDeadLetterQueue{suffix}"
    attributes = {
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1000"}),
        "MessageRetentionPeriod": "259200",
    }
    created = aws.json("create-queue", "--queue-name", f"MyQueue{suffix}",
                       "--attributes", _param_file(tmp_path, "create-queue.json", attributes))
    assert list(created) == ["QueueUrl"]
    url = created["QueueUrl"]

    got = aws.json("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    assert list(got) == ["Attributes"]
    attrs = got["Attributes"]
    documented = {
        "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy", "MessageRetentionPeriod",
        "ApproximateNumberOfMessagesDelayed", "MaximumMessageSize", "CreatedTimestamp",
        "ApproximateNumberOfMessages", "ReceiveMessageWaitTimeSeconds", "DelaySeconds", "VisibilityTimeout",
        "LastModifiedTimestamp", "QueueArn",
    }
    # SqsManagedSseEnabled is listed too since SSE-SQS became the default (2022).
    assert set(attrs) == documented | {"SqsManagedSseEnabled"}, attrs
    # The documented output renders maxReceiveCount as a number, whatever the input's type.
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1000}
    assert attrs["RedrivePolicy"] == json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1000}, separators=(",", ":")
    )
    assert attrs["MessageRetentionPeriod"] == "259200"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{account_id}:MyQueue{suffix}"
    assert all(value.isdigit() for name, value in attrs.items() if name not in ("RedrivePolicy", "QueueArn", "SqsManagedSseEnabled"))

    got = aws.json("get-queue-attributes", "--queue-url", url,
                   "--attribute-names", "MaximumMessageSize", "VisibilityTimeout")
    assert got == {"Attributes": {"VisibilityTimeout": "30", "MaximumMessageSize": "1048576"}}

    # set-queue-attributes.rst: no output, every attribute of the file applied.
    settings = {
        "DelaySeconds": "10",
        "MaximumMessageSize": "131072",
        "MessageRetentionPeriod": "259200",
        "ReceiveMessageWaitTimeSeconds": "20",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1000"}),
        "VisibilityTimeout": "60",
    }
    proc = aws("set-queue-attributes", "--queue-url", url,
               "--attributes", _param_file(tmp_path, "set-queue-attributes.json", settings))
    assert proc.stdout.strip() == ""
    attrs = aws.json("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    for name in ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                 "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout"):
        assert attrs[name] == settings[name], name

    # list-queues.rst (--queue-name-prefix), get-queue-url.rst, list-dead-letter-source-queues.rst.
    assert aws.json("list-queues", "--queue-name-prefix", f"MyQueue{suffix}") == {"QueueUrls": [url]}
    assert aws.json("get-queue-url", "--queue-name", f"MyQueue{suffix}") == {"QueueUrl": url}
    dlq_url = url.replace(f"MyQueue{suffix}", f"MyDeadLetterQueue{suffix}")
    assert aws.json("list-dead-letter-source-queues", "--queue-url", dlq_url) == {"queueUrls": [url]}


def test_cli_doc_send_message(aws, queue, tmp_path):
    _, url = queue
    attributes = {
        "City": {"DataType": "String", "StringValue": "Any City"},
        "Greeting": {"DataType": "Binary", "BinaryValue": "Hello, World!"},
        "Population": {"DataType": "Number", "StringValue": "1250800"},
    }
    sent = aws.json("send-message", "--queue-url", url,
                    "--message-body", "Information about the largest city in Any Region.",
                    "--delay-seconds", "10",
                    "--message-attributes", _param_file(tmp_path, "send-message.json", attributes))
    assert set(sent) == {"MD5OfMessageBody", "MD5OfMessageAttributes", "MessageId"}
    assert _elided(sent["MD5OfMessageBody"], "51b0a325...39163aa0")
    # AWS CLI v1 sends the BinaryValue's text as the attribute's bytes (base64 on the wire, once); the
    # digest is over those bytes. (The page's 00484c68...59e48f06 is the digest of the bytes of the base64
    # text "SGVsbG8sIFdvcmxkIQ==", what an older CLI that encoded blobs of parameter files twice stored.)
    expected = dict(attributes, Greeting={"DataType": "Binary", "BinaryValue": b"Hello, World!"})
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(expected)


def test_cli_doc_send_message_batch(aws, queue, tmp_path):
    _, url = queue

    def entry(entry_id, body, seller, city, postal, price):
        return {
            "Id": entry_id,
            "MessageBody": body,
            "DelaySeconds": 10,
            "MessageAttributes": {
                "SellerName": {"DataType": "String", "StringValue": seller},
                "City": {"DataType": "String", "StringValue": city},
                "Region": {"DataType": "String", "StringValue": "WA"},
                "PostalCode": {"DataType": "String", "StringValue": postal},
                "PricePerGallon": {"DataType": "Number", "StringValue": price},
            },
        }

    entries = [
        entry("FuelReport-0001-2015-09-16T140731Z",
              "Fuel report for account 0001 on 2015-09-16 at 02:07:31 PM.",
              "Example Store", "Any City", "99065", "1.99"),
        entry("FuelReport-0002-2015-09-16T140930Z",
              "Fuel report for account 0002 on 2015-09-16 at 02:09:30 PM.",
              "Example Fuels", "North Town", "99123", "1.87"),
    ]
    out = aws.json("send-message-batch", "--queue-url", url,
                   "--entries", _param_file(tmp_path, "send-message-batch.json", entries))
    assert out.get("Failed", []) == []
    by_id = {item["Id"]: item for item in out["Successful"]}
    documented = {
        "FuelReport-0001-2015-09-16T140731Z": ("203c4a38...7943237e", "10809b55...baf283ef"),
        "FuelReport-0002-2015-09-16T140930Z": ("2cf0159a...c1980595", "55623928...ae354a25"),
    }
    assert set(by_id) == set(documented)
    for entry_id, (body_md5, attributes_md5) in documented.items():
        item = by_id[entry_id]
        assert set(item) == {"Id", "MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes"}
        assert _elided(item["MD5OfMessageBody"], body_md5), item
        assert _elided(item["MD5OfMessageAttributes"], attributes_md5), item


def test_cli_doc_receive_message(aws, queue, tmp_path):
    _, url = queue
    attributes = {
        "PostalCode": {"DataType": "String", "StringValue": "ABC123"},
        "City": {"DataType": "String", "StringValue": "Any City"},
    }
    aws.json("send-message", "--queue-url", url, "--message-body", "My first message.",
             "--message-attributes", _param_file(tmp_path, "attributes.json", attributes))

    got = aws.json("receive-message", "--queue-url", url, "--attribute-names", "All",
                   "--message-attribute-names", "All", "--max-number-of-messages", "10",
                   "--visibility-timeout", "0")
    assert list(got) == ["Messages"] and len(got["Messages"]) == 1
    msg = got["Messages"][0]
    assert set(msg) == {"Body", "ReceiptHandle", "MD5OfBody", "MD5OfMessageAttributes", "MessageId",
                        "Attributes", "MessageAttributes"}
    assert msg["Body"] == "My first message."
    assert msg["MD5OfBody"] == md5_of_body("My first message.")
    assert _elided(msg["MD5OfMessageAttributes"], "9424c491...26bc3ae7")
    assert set(msg["Attributes"]) == {"ApproximateFirstReceiveTimestamp", "SenderId",
                                      "ApproximateReceiveCount", "SentTimestamp"}
    assert msg["MessageAttributes"] == attributes

    got = aws.json("receive-message", "--queue-url", url, "--attribute-names", "SenderId", "SentTimestamp",
                   "--message-attribute-names", "PostalCode")
    msg = got["Messages"][0]
    assert set(msg["Attributes"]) == {"SenderId", "SentTimestamp"}
    assert msg["MessageAttributes"] == {"PostalCode": {"DataType": "String", "StringValue": "ABC123"}}
    assert _elided(msg["MD5OfMessageAttributes"], "b8e89563...e088e74f")


def test_cli_doc_visibility_and_delete_examples(aws, queue, tmp_path):
    _, url = queue
    for body in ("one", "two", "three"):
        aws("send-message", "--queue-url", url, "--message-body", body)
    handles = []
    while len(handles) < 3:
        got = aws.json("receive-message", "--queue-url", url, "--max-number-of-messages", "10")
        handles += [m["ReceiptHandle"] for m in got.get("Messages", [])]

    proc = aws("change-message-visibility", "--queue-url", url, "--receipt-handle", handles[0],
               "--visibility-timeout", "36000")
    assert proc.stdout.strip() == ""
    entries = [
        {"Id": "FirstMessage", "ReceiptHandle": handles[0], "VisibilityTimeout": 36000},
        {"Id": "SecondMessage", "ReceiptHandle": handles[1], "VisibilityTimeout": 36000},
    ]
    out = aws.json("change-message-visibility-batch", "--queue-url", url,
                   "--entries", _param_file(tmp_path, "change.json", entries))
    assert sorted(item["Id"] for item in out["Successful"]) == ["FirstMessage", "SecondMessage"]
    assert all(list(item) == ["Id"] for item in out["Successful"])
    assert out.get("Failed", []) == []

    assert aws("delete-message", "--queue-url", url, "--receipt-handle", handles[2]).stdout.strip() == ""
    entries = [{"Id": "FirstMessage", "ReceiptHandle": handles[0]},
               {"Id": "SecondMessage", "ReceiptHandle": handles[1]}]
    out = aws.json("delete-message-batch", "--queue-url", url,
                   "--entries", _param_file(tmp_path, "delete.json", entries))
    assert sorted(item["Id"] for item in out["Successful"]) == ["FirstMessage", "SecondMessage"]
    assert out.get("Failed", []) == []
    counts = aws.json("get-queue-attributes", "--queue-url", url, "--attribute-names",
                      "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert aws("purge-queue", "--queue-url", url).stdout.strip() == ""


def test_cli_doc_permissions_and_tags(aws, queue, account_id):
    _, url = queue
    proc = aws("add-permission", "--queue-url", url, "--label", "SendMessagesFromMyQueue",
               "--aws-account-ids", "123456789012", "--actions", "SendMessage")
    assert proc.stdout.strip() == ""
    policy = json.loads(aws.json("get-queue-attributes", "--queue-url", url,
                                 "--attribute-names", "Policy")["Attributes"]["Policy"])
    [statement] = policy["Statement"]
    assert statement["Sid"] == "SendMessagesFromMyQueue"
    assert statement["Action"] == "SQS:SendMessage"
    assert aws("remove-permission", "--queue-url", url, "--label", "SendMessagesFromMyQueue").stdout.strip() == ""

    assert aws("tag-queue", "--queue-url", url, "--tags", "Priority=Highest").stdout.strip() == ""
    assert aws.json("list-queue-tags", "--queue-url", url) == {"Tags": {"Priority": "Highest"}}
    assert aws("untag-queue", "--queue-url", url, "--tag-keys", "Priority").stdout.strip() == ""
    assert aws.json("list-queue-tags", "--queue-url", url).get("Tags", {}) == {}


def test_cli_doc_message_move_tasks(aws, make_queue, tmp_path, account_id):
    dlq_name, dlq_url = make_queue("dlq")
    dlq_arn = f"arn:aws:sqs:{REGION}:{account_id}:{dlq_name}"
    _, url = make_queue("src", attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})
    })
    aws("send-message", "--queue-url", url, "--message-body", "to the dead-letter queue")
    aws.json("receive-message", "--queue-url", url, "--visibility-timeout", "0")
    for _ in range(50):
        aws.json("receive-message", "--queue-url", url, "--visibility-timeout", "0")
        if aws.json("get-queue-attributes", "--queue-url", dlq_url, "--attribute-names",
                    "ApproximateNumberOfMessages")["Attributes"]["ApproximateNumberOfMessages"] == "1":
            break
    started = aws.json("start-message-move-task", "--source-arn", dlq_arn)
    assert list(started) == ["TaskHandle"] and started["TaskHandle"]
    listed = aws.json("list-message-move-tasks", "--source-arn", dlq_arn, "--max-results", "2")
    assert list(listed) == ["Results"] and len(listed["Results"]) == 1
    task = listed["Results"][0]
    assert task["SourceArn"] == dlq_arn
    assert task["Status"] in ("RUNNING", "COMPLETED")
    assert {"ApproximateNumberOfMessagesMoved", "ApproximateNumberOfMessagesToMove", "StartedTimestamp"} <= set(task)
    assert isinstance(task["StartedTimestamp"], int)

