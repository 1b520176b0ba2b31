"""The examples of the AWS CLI reference pages for ``aws sqs`` (awscli/examples/sqs/*.rst, as shipped with the
AWS CLI and shown under "Examples" at docs.aws.amazon.com/cli/latest/reference/sqs/) that test_cli.py does not
run already: list-queues over several queues with and without a prefix, the older get-queue-attributes page
(QueueArn alone and with two more names), list-dead-letter-source-queues with two source queues,
list-queue-tags, delete-queue, add-permission with the page's placeholder account, start-message-move-task
example 2 (destination and rate), list-message-move-tasks with a running and a completed task, and
cancel-message-move-task. Run as documented with the account, region and names replaced; outputs compared
in shape and, where reproducible, in value."""

import json
import time
import uuid

import pytest

from sqs_helpers import REGION


@pytest.fixture
def aws(aws_cli):
    return aws_cli("sqs")


@pytest.fixture
def documented_names(sqs):
    """The pages' queue names behind a unique token (so that a prefix selects only this test's queues);
    whatever is left is deleted after the test."""
    token = f"cli{uuid.uuid4().hex[:10]}"
    yield token
    for url in sqs.list_queues(QueueNamePrefix=token).get("QueueUrls", []):
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:
            pass


def _arn(account_id, name):
    return f"arn:aws:sqs:{REGION}:{account_id}:{name}"


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_cli_doc_sqs_queue_listing_examples(aws, sqs, documented_names, account_id):
    token = documented_names
    # create-queue.rst (the short form): only the URL comes back. The other queues of the pages through boto3.
    created = aws.json("create-queue", "--queue-name", token + "MyQueue")
    assert created == {"QueueUrl": sqs.get_queue_url(QueueName=token + "MyQueue")["QueueUrl"]}
    assert created["QueueUrl"].endswith(f"/{account_id}/{token}MyQueue")
    urls = {"MyQueue": created["QueueUrl"]}
    for name in ("MyDeadLetterQueue", "MyOtherQueue", "TestQueue1", "TestQueue2"):
        urls[name] = sqs.create_queue(QueueName=token + name)["QueueUrl"]

    # list-queues.rst: every queue, then those whose name starts with "My".
    listed = aws.json("list-queues")
    assert list(listed) == ["QueueUrls"]
    assert set(urls.values()) <= set(listed["QueueUrls"])
    mine = aws.json("list-queues", "--queue-name-prefix", token + "My")
    assert sorted(mine["QueueUrls"]) == sorted(urls[n] for n in ("MyDeadLetterQueue", "MyQueue", "MyOtherQueue"))

    # get-queue-attributes.rst (the older page): QueueArn, then QueueArn with two more names.
    queue_arn = _arn(account_id, token + "MyQueue")
    got = aws.json("get-queue-attributes", "--queue-url", urls["MyQueue"], "--attribute-names", "QueueArn")
    assert got == {"Attributes": {"QueueArn": queue_arn}}
    got = aws.json("get-queue-attributes", "--queue-url", urls["MyQueue"],
                   "--attribute-names", "QueueArn", "MaximumMessageSize", "VisibilityTimeout")
    assert got == {"Attributes": {"QueueArn": queue_arn, "MaximumMessageSize": "1048576", "VisibilityTimeout": "30"}}

    # list-dead-letter-source-queues.rst: MyQueue and MyOtherQueue both dead-letter into MyDeadLetterQueue.
    redrive = json.dumps({"deadLetterTargetArn": _arn(account_id, token + "MyDeadLetterQueue"),
                          "maxReceiveCount": "1000"})
    sqs.set_queue_attributes(QueueUrl=urls["MyOtherQueue"], Attributes={"RedrivePolicy": redrive})
    proc = aws("set-queue-attributes", "--queue-url", urls["MyQueue"],
               "--attributes", json.dumps({"RedrivePolicy": redrive}))
    assert proc.stdout.strip() == ""
    sources = aws.json("list-dead-letter-source-queues", "--queue-url", urls["MyDeadLetterQueue"])
    assert list(sources) == ["queueUrls"]
    assert sorted(sources["queueUrls"]) == sorted([urls["MyQueue"], urls["MyOtherQueue"]])

    # list-queue-tags.rst: the Team tag.
    assert aws("tag-queue", "--queue-url", urls["MyQueue"], "--tags", "Team=Alpha").stdout.strip() == ""
    assert aws.json("list-queue-tags", "--queue-url", urls["MyQueue"]) == {"Tags": {"Team": "Alpha"}}

    # delete-queue.rst: no output; the queue is gone from the listing.
    assert aws("delete-queue", "--queue-url", urls["TestQueue2"]).stdout.strip() == ""
    left = aws.json("list-queues", "--queue-name-prefix", token + "Test")
    assert left["QueueUrls"] == [urls["TestQueue1"]]


def test_cli_doc_sqs_add_permission_placeholder_account(aws, queue):
    # add-permission.rst grants to "12345EXAMPLE", a placeholder that is no account: AWS refuses a principal it
    # cannot verify, and so does Wharf (a 12-digit account is granted, as test_cli.py shows).
    _, url = queue
    proc = aws("add-permission", "--queue-url", url, "--label", "SendMessagesFromMyQueue",
               "--aws-account-ids", "12345EXAMPLE", "--actions", "SendMessage", check=False)
    assert proc.returncode != 0
    assert "(InvalidParameterValue)" in proc.stderr, proc.stderr
    assert ("Value [12345EXAMPLE] for parameter PrincipalId is invalid. Reason: Unable to verify."
            in proc.stderr), proc.stderr
    policy = aws.json("get-queue-attributes", "--queue-url", url, "--attribute-names", "Policy")
    assert "Policy" not in policy.get("Attributes", {})


def test_cli_doc_sqs_message_move_task_examples(aws, sqs, make_queue, account_id):
    dlq_name, dlq_url = make_queue("MyQueue1")
    dlq_arn = _arn(account_id, dlq_name)
    make_queue("src", attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    })
    dest_name, dest_url = make_queue("MyQueue2")
    dest_arn = _arn(account_id, dest_name)

    def fill(count):
        for first in range(0, count, 10):
            entries = [{"Id": str(i), "MessageBody": f"message {i}"} for i in range(first, min(first + 10, count))]
            assert not sqs.send_message_batch(QueueUrl=dlq_url, Entries=entries).get("Failed")

    def tasks(max_results="10"):
        return aws.json("list-message-move-tasks", "--source-arn", dlq_arn, "--max-results", max_results)["Results"]

    # start-message-move-task.rst, example 2: to a given destination at up to 50 messages per second.
    fill(5)
    first = aws.json("start-message-move-task", "--source-arn", dlq_arn, "--destination-arn", dest_arn,
                     "--max-number-of-messages-per-second", "50")
    assert list(first) == ["TaskHandle"] and first["TaskHandle"]
    _wait(lambda: tasks()[0]["Status"] == "COMPLETED")

    # A second task, slow enough to be running when listed and cancelled.
    fill(20)
    second = aws.json("start-message-move-task", "--source-arn", dlq_arn, "--destination-arn", dest_arn,
                      "--max-number-of-messages-per-second", "1")

    # list-message-move-tasks.rst: the 2 most recent tasks, newest first; only the running one has its handle.
    running, completed = tasks("2")
    assert set(running) == {"TaskHandle", "Status", "SourceArn", "DestinationArn", "MaxNumberOfMessagesPerSecond",
                            "ApproximateNumberOfMessagesMoved", "ApproximateNumberOfMessagesToMove",
                            "StartedTimestamp"}
    assert running["TaskHandle"] == second["TaskHandle"]
    assert running["Status"] == "RUNNING"
    assert running["SourceArn"] == dlq_arn and running["DestinationArn"] == dest_arn
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    assert running["ApproximateNumberOfMessagesToMove"] == 20
    assert 0 <= running["ApproximateNumberOfMessagesMoved"] < 20
    assert set(completed) == {"Status", "SourceArn", "DestinationArn", "MaxNumberOfMessagesPerSecond",
                              "ApproximateNumberOfMessagesMoved", "ApproximateNumberOfMessagesToMove",
                              "StartedTimestamp"}
    assert completed["Status"] == "COMPLETED"
    assert completed["MaxNumberOfMessagesPerSecond"] == 50
    # The page shows 0 left to move for its completed task; AWS's own answers (LocalStack's recorded
    # test_sqs_move_task snapshot) keep the number counted at the start, as the API reference says.
    assert completed["ApproximateNumberOfMessagesMoved"] == 5
    assert completed["ApproximateNumberOfMessagesToMove"] == 5
    # Epoch milliseconds, the newer task started no earlier.
    assert abs(completed["StartedTimestamp"] / 1000 - time.time()) < 60
    assert running["StartedTimestamp"] >= completed["StartedTimestamp"]

    # cancel-message-move-task.rst: the number moved so far; the task then ends as CANCELLED, without handle.
    cancelled = aws.json("cancel-message-move-task", "--task-handle", second["TaskHandle"])
    assert list(cancelled) == ["ApproximateNumberOfMessagesMoved"]
    assert 0 <= cancelled["ApproximateNumberOfMessagesMoved"] < 20
    def cancelled_task():
        task = tasks()[0]
        return task if task["Status"] == "CANCELLED" else None

    latest = _wait(cancelled_task)
    assert "TaskHandle" not in latest
    moved = latest["ApproximateNumberOfMessagesMoved"]
    counts = sqs.get_queue_attributes(QueueUrl=dest_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == str(5 + moved)
