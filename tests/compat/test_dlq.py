"""Dead-letter queues: RedrivePolicy and ListDeadLetterSourceQueues."""

import json

from sqs_helpers import expect_error, queue_attr, receive_n, unique_name


def _redrive(dlq_arn, max_receive_count):
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def _with_dlq(sqs, make_queue, max_receive_count=1, prefix="src"):
    _, dlq_url = make_queue("dlq")
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    _, src_url = make_queue(
        prefix, attributes={"RedrivePolicy": _redrive(dlq_arn, max_receive_count)}
    )
    return src_url, dlq_url, dlq_arn


def test_redrive_policy_roundtrip(sqs, make_queue):
    src_url, _, dlq_arn = _with_dlq(sqs, make_queue, max_receive_count=3)
    policy = json.loads(queue_attr(sqs, src_url, "RedrivePolicy"))
    assert policy["deadLetterTargetArn"] == dlq_arn
    assert int(policy["maxReceiveCount"]) == 3


def test_message_moves_to_dlq_after_max_receive_count(sqs, make_queue):
    src_url, dlq_url, _ = _with_dlq(sqs, make_queue, max_receive_count=1)
    sent = sqs.send_message(
        QueueUrl=src_url,
        MessageBody="poison",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )

    first = sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0)["Messages"]
    assert [m["MessageId"] for m in first] == [sent["MessageId"]]

    # The second delivery attempt exceeds maxReceiveCount=1: the message goes
    # to the dead-letter queue instead of being returned again.
    assert sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0).get("Messages", []) == []

    moved = receive_n(sqs, dlq_url, 1, MessageAttributeNames=["All"])
    assert len(moved) == 1, "message did not arrive in the dead-letter queue"
    assert moved[0]["MessageId"] == sent["MessageId"]
    assert moved[0]["Body"] == "poison"
    assert moved[0]["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert queue_attr(sqs, src_url, "ApproximateNumberOfMessages") == "0"


def test_message_survives_until_max_receive_count(sqs, make_queue):
    src_url, dlq_url, _ = _with_dlq(sqs, make_queue, max_receive_count=2)
    sqs.send_message(QueueUrl=src_url, MessageBody="retry me")
    for _ in range(2):
        got = sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0).get("Messages", [])
        assert [m["Body"] for m in got] == ["retry me"]
    assert sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0).get("Messages", []) == []
    assert [m["Body"] for m in receive_n(sqs, dlq_url, 1)] == ["retry me"]


def test_dlq_message_has_source_arn(sqs, make_queue):
    src_url, dlq_url, _ = _with_dlq(sqs, make_queue, max_receive_count=1)
    src_arn = queue_attr(sqs, src_url, "QueueArn")
    sqs.send_message(QueueUrl=src_url, MessageBody="x")
    sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0)
    moved = receive_n(sqs, dlq_url, 1, MessageSystemAttributeNames=["All"])
    assert len(moved) == 1
    assert moved[0]["Attributes"].get("DeadLetterQueueSourceArn") == src_arn


def test_deleted_message_is_not_moved(sqs, make_queue):
    src_url, dlq_url, _ = _with_dlq(sqs, make_queue, max_receive_count=1)
    sqs.send_message(QueueUrl=src_url, MessageBody="handled")
    msg = sqs.receive_message(QueueUrl=src_url, VisibilityTimeout=0)["Messages"][0]
    sqs.delete_message(QueueUrl=src_url, ReceiptHandle=msg["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=src_url).get("Messages", []) == []
    assert sqs.receive_message(QueueUrl=dlq_url).get("Messages", []) == []


def test_list_dead_letter_source_queues(sqs, make_queue):
    _, dlq_url = make_queue("dlq")
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    sources = {
        make_queue("src", attributes={"RedrivePolicy": _redrive(dlq_arn, 5)})[1] for _ in range(2)
    }
    make_queue("unrelated")
    resp = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url)
    assert set(resp["queueUrls"]) == sources


def test_list_dead_letter_source_queues_pagination(sqs, make_queue):
    _, dlq_url = make_queue("dlq")
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    sources = {
        make_queue("src", attributes={"RedrivePolicy": _redrive(dlq_arn, 5)})[1] for _ in range(3)
    }
    first = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url, MaxResults=2)
    assert len(first["queueUrls"]) == 2
    assert first.get("NextToken")
    second = sqs.list_dead_letter_source_queues(
        QueueUrl=dlq_url, MaxResults=2, NextToken=first["NextToken"]
    )
    assert not second.get("NextToken")
    assert set(first["queueUrls"]) | set(second["queueUrls"]) == sources


def test_list_dead_letter_source_queues_empty(sqs, queue):
    _, url = queue
    assert sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", []) == []


def test_set_redrive_policy_later_and_remove_it(sqs, make_queue):
    _, dlq_url = make_queue("dlq")
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    _, src_url = make_queue("src")
    sqs.set_queue_attributes(QueueUrl=src_url, Attributes={"RedrivePolicy": _redrive(dlq_arn, 4)})
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"] == [src_url]

    sqs.set_queue_attributes(QueueUrl=src_url, Attributes={"RedrivePolicy": ""})
    attrs = sqs.get_queue_attributes(QueueUrl=src_url, AttributeNames=["All"])["Attributes"]
    assert "RedrivePolicy" not in attrs
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", []) == []


def test_list_dead_letter_source_queues_unknown_queue(sqs, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    with expect_error(
        "AWS.SimpleQueueService.NonExistentQueue", 400, exception="QueueDoesNotExist"
    ):
        sqs.list_dead_letter_source_queues(QueueUrl=url)
