"""SQS behaviour checked against assertions moto runs against real AWS.

The evidence is moto's tests marked ``@pytest.mark.aws_verified`` (getmoto/moto ``tests/test_sqs/``): those are
run against AWS, so their assertions are AWS's answers. Each test names the moto test it follows. moto's tests
without the marker are moto's own behaviour and are not used here.
"""

import uuid

import pytest

from sqs_helpers import expect_error

INVALID_FOR_QUEUE_TYPE = "The request include parameter that is not valid for this queue type."


@pytest.mark.parametrize(
    "queue_config",
    [{"FifoQueue": "true"}, {"FifoQueue": "true", "DelaySeconds": "10"}],
    ids=["fifo", "fifo-with-queue-delay"],
)
def test_fifo_send_message_delay_seconds(sqs, make_queue, queue_config):
    # moto test_sqs.py test_send_message_delay_seconds_validation (aws_verified): a per-message DelaySeconds on a
    # FIFO queue is refused, whatever the queue's own delay; DelaySeconds=0 and no DelaySeconds are accepted. The
    # test addresses the queue by its bare name as QueueUrl throughout (send and delete), which AWS accepts.
    name, _ = make_queue("mverified", attributes=queue_config, fifo=True)
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.send_message(
            QueueUrl=name,
            MessageBody="test",
            DelaySeconds=5,
            MessageGroupId="test",
            MessageDeduplicationId=str(uuid.uuid4()),
        )
    assert info.value.response["Error"]["Message"] == (
        f"Value 5 for parameter DelaySeconds is invalid. Reason: {INVALID_FOR_QUEUE_TYPE}"
    )
    sqs.send_message(
        QueueUrl=name,
        MessageBody="test",
        DelaySeconds=0,
        MessageGroupId="test",
        MessageDeduplicationId=str(uuid.uuid4()),
    )
    sqs.send_message(
        QueueUrl=name,
        MessageBody="test",
        MessageGroupId="test",
        MessageDeduplicationId=str(uuid.uuid4()),
    )
    sqs.delete_queue(QueueUrl=name)
    with expect_error("AWS.SimpleQueueService.NonExistentQueue", 400, exception="QueueDoesNotExist"):
        sqs.get_queue_url(QueueName=name)


def test_fifo_send_message_delay_seconds_query(query, make_queue):
    # Same AWS answer (test_send_message_delay_seconds_validation) over the Query protocol.
    name, url = make_queue("mverified", fifo=True)
    params = {
        "QueueUrl": name,
        "MessageBody": "test",
        "MessageGroupId": "test",
        "MessageDeduplicationId": str(uuid.uuid4()),
    }
    resp = query.call("SendMessage", dict(params, DelaySeconds="5"))
    assert resp.status == 400, resp
    assert resp.error_code == "InvalidParameterValue", resp
    assert resp.error_message == (
        f"Value 5 for parameter DelaySeconds is invalid. Reason: {INVALID_FOR_QUEUE_TYPE}"
    ), resp
    resp = query.call("SendMessage", dict(params, DelaySeconds="0"))
    assert resp.status == 200, resp
    assert resp.text("SendMessageResult/MessageId"), resp


def test_queue_url_without_account_path_is_a_missing_queue(sqs, query):
    # moto test_sqs.py test_get_nonexistent_queue, run against AWS by moto's maintainer (getmoto/moto#3657
    # review: "Running this against AWS itself results in this NonExistentQueue-error", not InvalidAddress):
    # an http URL that names no account/queue path is answered as a queue that does not exist.
    bad = "http://whatever-incorrect-queue-address"
    with expect_error("AWS.SimpleQueueService.NonExistentQueue", 400, exception="QueueDoesNotExist"):
        sqs.get_queue_attributes(QueueUrl=bad, AttributeNames=["All"])
    resp = query.call("GetQueueAttributes", {"QueueUrl": bad, "AttributeName.1": "All"})
    assert resp.status == 400, resp
    assert resp.error_code == "AWS.SimpleQueueService.NonExistentQueue", resp
    assert resp.error_message == "The specified queue does not exist for this wsdl version.", resp
