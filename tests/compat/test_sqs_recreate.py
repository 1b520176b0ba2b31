"""Re-creating a queue right after deleting it (SQS API reference, CreateQueue / DeleteQueue: "After you
delete a queue, you must wait at least 60 seconds before creating a queue with the same name"; the error
is QueueDeletedRecently, AWS.SimpleQueueService.QueueDeletedRecently over the Query protocol)."""

from sqs_helpers import expect_error, unique_name


def test_recreate_within_60_seconds_is_refused_over_json(sqs, make_queue):
    name, url = make_queue("gone")
    sqs.delete_queue(QueueUrl=url)
    with expect_error("AWS.SimpleQueueService.QueueDeletedRecently", exception="QueueDeletedRecently") as info:
        sqs.create_queue(QueueName=name)
    assert "60 seconds" in info.value.response["Error"]["Message"]
    # The name stays free: the queue is gone, and other names are unaffected.
    with expect_error("AWS.SimpleQueueService.NonExistentQueue"):
        sqs.get_queue_url(QueueName=name)
    make_queue("other")


def test_recreate_within_60_seconds_is_refused_over_query(query):
    name = unique_name("gone-q")
    created = query.call("CreateQueue", {"QueueName": name})
    assert created.status == 200, created.body
    url = created.text("CreateQueueResult/QueueUrl")
    assert query.call("DeleteQueue", queue_url=url).status == 200
    again = query.call("CreateQueue", {"QueueName": name})
    assert again.status == 400, again.body
    assert again.error_code == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert again.error_type == "Sender"
