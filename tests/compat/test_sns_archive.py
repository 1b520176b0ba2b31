"""Amazon SNS message archiving and replay for FIFO topics, through boto3, as the SNS developer guide describes
them ("Amazon SNS message archiving and replay for FIFO topics", "Amazon SNS message replay for FIFO topic
subscribers"): a FIFO topic with an ArchivePolicy keeps what it publishes; a subscription's ReplayPolicy
delivers the archived messages of a time window again, with their original MessageId and Timestamp, marked
as replayed, through the subscription's filter policy; ReplayStatus follows the replay."""

import datetime
import json
import time

from test_sns import error_of, make_topic, sns, subscribe_queue  # noqa: F401 (fixtures)

ARCHIVE = {"ArchivePolicy": json.dumps({"MessageRetentionPeriod": "3"})}


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def replay_policy(start, end=None):
    policy = {"PointType": "Timestamp", "StartingPoint": start}
    if end is not None:
        policy["EndingPoint"] = end
    return json.dumps(policy)


def archived_topic(sns, make_topic):
    topic = make_topic("archive", fifo=True, attributes=ARCHIVE)
    began = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
    return topic, began


def publish(sns, topic, body, **kwargs):
    return sns.publish(TopicArn=topic, Message=body, MessageGroupId="g", MessageDeduplicationId=body, **kwargs)


def receive(sqs, url, expected=1, timeout=5.0):
    """Receive (and delete, so that the next message of a FIFO group comes) until ``expected`` messages
    arrived or ``timeout`` passed."""
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < expected and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        for m in resp.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            messages.append(m)
    return messages


def wait_status(sns, subscription, expected="Completed", timeout=10.0):
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"].get("ReplayStatus")
        if status == expected:
            return status
        time.sleep(0.1)
    return status


def test_replay_delivers_archived_messages_again(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    published = [publish(sns, topic, f"m{i}") for i in range(4)]
    # A single publish and a batch are both archived.
    batch = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "b", "Message": "m4", "MessageGroupId": "g", "MessageDeduplicationId": "m4", "Subject": "S"}
        ],
    )
    published.append(batch["Successful"][0])

    _, url = make_queue("replay", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url)
    # Nothing published since the subscription: the queue is empty until a replay.
    assert receive(sqs, url, expected=1, timeout=1.0) == []
    assert "ReplayStatus" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]

    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="ReplayPolicy", AttributeValue=replay_policy(began)
    )
    messages = receive(sqs, url, expected=5)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["Message"] for b in bodies] == ["m0", "m1", "m2", "m3", "m4"]
    assert [b["MessageId"] for b in bodies] == [p["MessageId"] for p in published]
    assert [b["SequenceNumber"] for b in bodies] == [p["SequenceNumber"] for p in published]
    assert all(b["Replayed"] is True for b in bodies)
    assert bodies[4]["Subject"] == "S"
    assert all(m["Attributes"]["MessageGroupId"] == "g" for m in messages)
    assert wait_status(sns, sub) == "Completed"
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["ReplayPolicy"])["StartingPoint"] == began

    # Messages published live afterwards are not marked as replayed.
    live = publish(sns, topic, "live")
    [message] = receive(sqs, url, expected=1)
    body = json.loads(message["Body"])
    assert body["MessageId"] == live["MessageId"]
    assert "Replayed" not in body


def test_replay_keeps_the_original_timestamp(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    _, live_url = make_queue("live", fifo=True)
    subscribe_queue(sns, sqs, topic, live_url)
    publish(sns, topic, "once")
    [original] = receive(sqs, live_url)
    original = json.loads(original["Body"])
    time.sleep(1.1)
    _, url = make_queue("late", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url, ReplayPolicy=replay_policy(began))
    [replayed] = receive(sqs, url)
    replayed = json.loads(replayed["Body"])
    assert replayed["MessageId"] == original["MessageId"]
    assert replayed["Timestamp"] == original["Timestamp"]
    assert replayed["Replayed"] is True
    assert "Replayed" not in original
    assert wait_status(sns, sub) == "Completed"


def test_ending_point_replays_only_its_window(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    publish(sns, topic, "early-1")
    publish(sns, topic, "early-2")
    time.sleep(0.5)
    boundary = iso(datetime.datetime.now(datetime.timezone.utc))
    time.sleep(0.5)
    publish(sns, topic, "late-1")
    publish(sns, topic, "late-2")

    _, url = make_queue("window", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url, ReplayPolicy=replay_policy(began, boundary))
    assert wait_status(sns, sub) == "Completed"
    messages = receive(sqs, url, expected=3, timeout=2.0)
    assert [json.loads(m["Body"])["Message"] for m in messages] == ["early-1", "early-2"]

    _, url2 = make_queue("window2", fifo=True)
    sub2 = subscribe_queue(sns, sqs, topic, url2, ReplayPolicy=replay_policy(boundary))
    assert wait_status(sns, sub2) == "Completed"
    messages = receive(sqs, url2, expected=3, timeout=2.0)
    assert [json.loads(m["Body"])["Message"] for m in messages] == ["late-1", "late-2"]


def test_filter_policy_applies_to_replayed_messages(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    for i, colour in enumerate(["red", "blue", "red", "green"]):
        publish(
            sns,
            topic,
            f"{colour}-{i}",
            MessageAttributes={"colour": {"DataType": "String", "StringValue": colour}},
        )
    _, url = make_queue("filtered", fifo=True)
    sub = subscribe_queue(
        sns,
        sqs,
        topic,
        url,
        FilterPolicy=json.dumps({"colour": ["red"]}),
        ReplayPolicy=replay_policy(began),
    )
    assert wait_status(sns, sub) == "Completed"
    messages = receive(sqs, url, expected=3, timeout=2.0)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["Message"] for b in bodies] == ["red-0", "red-2"]
    assert bodies[0]["MessageAttributes"]["colour"] == {"Type": "String", "Value": "red"}


def test_turning_archiving_off_deletes_the_archive(sns, sqs, make_topic, make_queue):
    topic, _ = archived_topic(sns, make_topic)
    publish(sns, topic, "before")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="{}")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue=ARCHIVE["ArchivePolicy"])
    began = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
    publish(sns, topic, "after")
    _, url = make_queue("reenabled", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url, ReplayPolicy=replay_policy(began))
    assert wait_status(sns, sub) == "Completed"
    messages = receive(sqs, url, expected=2, timeout=2.0)
    assert [json.loads(m["Body"])["Message"] for m in messages] == ["after"]


def test_replay_policy_validation(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    _, url = make_queue("v", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url)
    began_ms = datetime.datetime.strptime(began, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    future = iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    cases = {
        "not json": "starting point before BeginningArchiveTime",
        json.dumps({"PointType": "Sequence", "StartingPoint": began}): "PointType",
        json.dumps({"StartingPoint": began}): "PointType",
        json.dumps({"PointType": "Timestamp"}): "StartingPoint",
        json.dumps({"PointType": "Timestamp", "StartingPoint": "yesterday"}): "StartingPoint",
        replay_policy(iso(began_ms - datetime.timedelta(seconds=5))): "BeginningArchiveTime",
        replay_policy(future): "future",
        replay_policy(began, iso(began_ms - datetime.timedelta(seconds=1))): "EndingPoint",
    }
    for value in cases:
        err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="ReplayPolicy",
                       AttributeValue=value)
        assert err["Error"]["Code"] == "InvalidParameter", value
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert err["Error"]["Message"].startswith("Invalid parameter: ReplayPolicy"), err["Error"]["Message"]
    assert "ReplayStatus" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    # The same checks on Subscribe.
    _, other = make_queue("v2", fifo=True)
    err = error_of(subscribe_queue, sns, sqs, topic, other, ReplayPolicy=replay_policy(future))
    assert err["Error"]["Code"] == "InvalidParameter"

    # A FIFO topic that does not archive, and a standard topic, have nothing to replay.
    plain = make_topic("noarchive", fifo=True)
    sub_plain = subscribe_queue(sns, sqs, plain, url)
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub_plain, AttributeName="ReplayPolicy",
                   AttributeValue=replay_policy(began))
    assert err["Error"]["Code"] == "InvalidParameter"
    assert "archiving" in err["Error"]["Message"]
    standard = make_topic("standard")
    _, std_url = make_queue("std")
    sub_std = subscribe_queue(sns, sqs, standard, std_url)
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub_std, AttributeName="ReplayPolicy",
                   AttributeValue=replay_policy(began))
    assert err["Error"]["Code"] == "InvalidParameter"
    assert "FIFO" in err["Error"]["Message"]


def test_a_new_replay_policy_supersedes_and_an_empty_one_stops(sns, sqs, make_topic, make_queue):
    topic, began = archived_topic(sns, make_topic)
    for i in range(3):
        publish(sns, topic, f"m{i}")
    _, url = make_queue("again", fifo=True)
    sub = subscribe_queue(sns, sqs, topic, url, ReplayPolicy=replay_policy(began))
    assert wait_status(sns, sub) == "Completed"
    assert len(receive(sqs, url, expected=3)) == 3
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="ReplayPolicy", AttributeValue="")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert "ReplayStatus" not in attrs and "ReplayPolicy" not in attrs
