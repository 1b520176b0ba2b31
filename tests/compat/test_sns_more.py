"""More Amazon SNS behaviour through boto3, checked against the AWS SNS API reference and developer guide:
publish subjects, message attributes without a value, and FIFO topics' message archive policy."""

import json
import re
import uuid

from test_sns import error_of, make_topic, receive, sns, subscribe_queue  # noqa: F401 (fixtures)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# ---------------------------------------------------------------- Publish: Subject


def test_subject_may_be_any_utf8_text_up_to_100_characters(sns, sqs, make_topic, make_queue):
    """API_Publish: subjects must be UTF-8 text with no line breaks or control characters, and less than 100
    characters long (AWS accepts exactly 100)."""
    topic = make_topic()
    _, url = make_queue()
    subscribe_queue(sns, sqs, topic, url)
    subject = "Café ☕ – résumé"
    sns.publish(TopicArn=topic, Message="body", Subject=subject)
    [message] = receive(sqs, url)
    assert json.loads(message["Body"])["Subject"] == subject

    assert sns.publish(TopicArn=topic, Message="m", Subject="é" * 100)["MessageId"]
    for bad in ["é" * 101, "line\nbreak", "carriage\rreturn", "tab\there", "bell\x07"]:
        err = error_of(sns.publish, TopicArn=topic, Message="m", Subject=bad)
        assert err["Error"]["Code"] == "InvalidParameter", bad
        assert err["Error"]["Message"] == "Invalid parameter: Subject"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400

    # The same rules for each entry of a batch; an invalid entry fails the whole request (as AWS answers
    # invalid batch entries: LocalStack's AWS-recorded test_sns.snapshot.json, test_publish_batch_exceptions).
    err = error_of(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "m", "Subject": "Grüße"},
            {"Id": "bad", "Message": "m", "Subject": "two\nlines"},
        ],
    )
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("InvalidParameter", "Invalid parameter: Subject")
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "ok", "Message": "m", "Subject": "Grüße"}])
    assert [e["Id"] for e in result["Successful"]] == ["ok"] and result["Failed"] == []


# ---------------------------------------------------------------- Publish: message attributes


def test_message_attribute_without_a_value(sns, make_topic):
    """An attribute with a DataType but neither StringValue nor BinaryValue has an empty value; a value in
    the field of the other kind uses the wrong field."""
    topic = make_topic()
    err = error_of(
        sns.publish, TopicArn=topic, Message="m", MessageAttributes={"n": {"DataType": "Number"}}
    )
    assert err["Error"]["Code"] == "ParameterValueInvalid"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == (
        "The message attribute 'n' must contain non-empty message attribute value for message attribute "
        "type 'Number'."
    )
    err = error_of(
        sns.publish,
        TopicArn=topic,
        Message="m",
        MessageAttributes={"s": {"DataType": "String", "BinaryValue": b"\x01"}},
    )
    assert err["Error"]["Message"] == "The message attribute 's' with type 'String' must use field 'String'."
    err = error_of(
        sns.publish,
        TopicArn=topic,
        Message="m",
        MessageAttributes={"b": {"DataType": "Binary", "StringValue": "x"}},
    )
    assert err["Error"]["Message"] == "The message attribute 'b' with type 'Binary' must use field 'Binary'."


def test_number_attributes_follow_the_documented_precision_and_range(sns, sqs, make_topic, make_queue):
    """Message attribute data types (SNS and SQS developer guides): a Number has up to 38 digits of precision
    and lies between 10^-128 and 10^+126. SNS and SQS apply the same rule, so what Publish accepts reaches a
    queue by raw delivery."""
    topic = make_topic()
    for bad in ("1" * 39, "1" + "0" * 37 + "1", "1e127", "1E-130"):
        err = error_of(
            sns.publish, TopicArn=topic, Message="m",
            MessageAttributes={"n": {"DataType": "Number", "StringValue": bad}},
        )
        assert err["Error"]["Code"] == "ParameterValueInvalid", bad
        assert err["Error"]["Message"] == "Could not cast message attribute 'n' value to number.", bad
    _, url = make_queue("num")
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    edge = ["1" * 38, "1" * 38 + "000", "1e126", "-1E-128"]
    for value in edge:
        sns.publish(TopicArn=topic, Message=value, MessageAttributes={"n": {"DataType": "Number", "StringValue": value}})
    got = receive(sqs, url, expected=len(edge))
    assert sorted(m["MessageAttributes"]["n"]["StringValue"] for m in got) == sorted(edge)


def test_message_attributes_are_not_sent_with_a_json_message_structure(sns, sqs, make_topic, make_queue):
    """Developer guide, SNS message attributes: message attributes are sent only when the message structure
    is String, not JSON."""
    topic = make_topic()
    _, enveloped = make_queue()
    _, raw = make_queue()
    subscribe_queue(sns, sqs, topic, enveloped)
    subscribe_queue(sns, sqs, topic, raw, RawMessageDelivery="true")
    attributes = {"kind": {"DataType": "String", "StringValue": "order"}}

    sns.publish(
        TopicArn=topic,
        Message=json.dumps({"default": "d", "sqs": "for queues"}),
        MessageStructure="json",
        MessageAttributes=attributes,
    )
    [envelope] = receive(sqs, enveloped)
    body = json.loads(envelope["Body"])
    assert body["Message"] == "for queues"
    assert "MessageAttributes" not in body
    [plain] = receive(sqs, raw)
    assert plain["Body"] == "for queues"
    assert "MessageAttributes" not in plain

    # With a plain message they are sent: in the envelope, and as SQS attributes on raw delivery.
    sns.publish(TopicArn=topic, Message="plain", MessageAttributes=attributes)
    [envelope2] = [m for m in receive(sqs, enveloped) if m["MessageId"] != envelope["MessageId"]]
    assert json.loads(envelope2["Body"])["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    [plain2] = [m for m in receive(sqs, raw) if m["MessageId"] != plain["MessageId"]]
    assert plain2["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "order"}}


def test_json_message_structure_rejects_duplicate_keys(sns, sqs, make_topic, make_queue):
    """API reference, Publish, JSON-specific constraints: "Duplicate keys are not allowed." and "Failure to
    parse or validate any key or value in the message will cause the Publish call to return an error (no
    partial delivery)." Non-string values only make their key ignored."""
    topic = make_topic()
    _, url = make_queue()
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    for message in ['{"default": "a", "default": "b"}', '{"default": "a", "sqs": "b", "sqs": "c"}']:
        err = error_of(sns.publish, TopicArn=topic, Message=message, MessageStructure="json")
        assert err["Error"]["Code"] == "InvalidParameter", message
        assert err["Error"]["Message"] == "Invalid parameter: Message Structure - JSON message body failed to parse"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    ok = {"Id": "ok", "Message": '{"default": "fine", "sqs": 1}', "MessageStructure": "json"}
    err = error_of(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "dup", "Message": '{"default": "a", "default": "b"}', "MessageStructure": "json"},
            ok,
        ],
    )
    assert err["Error"]["Message"] == "Invalid parameter: Message Structure - JSON message body failed to parse"
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[ok])
    assert [e["Id"] for e in result["Successful"]] == ["ok"] and result["Failed"] == []
    # Nothing of the refused messages was delivered; the non-string "sqs" value fell back to "default".
    assert [m["Body"] for m in receive(sqs, url, expected=2, timeout=2.0)] == ["fine"]


# ---------------------------------------------------------------- FIFO message archive


def test_fifo_archive_policy_retention_is_1_to_365_days(sns, make_topic):
    """Message archiving (FIFO topics only): messages are kept for 1 to 365 days; an empty JSON object turns
    archiving off. While it is on, GetTopicAttributes reports BeginningArchiveTime."""
    topic = make_topic(fifo=True, attributes={"ArchivePolicy": json.dumps({"MessageRetentionPeriod": "7"})})
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert json.loads(attrs["ArchivePolicy"]) == {"MessageRetentionPeriod": "7"}
    began = attrs["BeginningArchiveTime"]
    assert ISO_MS.match(began), began

    # Changing the retention keeps the archive (and its beginning).
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue='{"MessageRetentionPeriod":365}'
    )
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert json.loads(attrs["ArchivePolicy"]) == {"MessageRetentionPeriod": 365}
    assert attrs["BeginningArchiveTime"] == began

    for bad in ['{"MessageRetentionPeriod":"0"}', '{"MessageRetentionPeriod":366}', '{"MessageRetentionPeriod":"x"}',
                '{"RetentionDays":3}', "not json"]:
        err = error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue=bad)
        assert err["Error"]["Code"] == "InvalidParameter", bad
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    err = error_of(
        sns.create_topic,
        Name="archive-bad.fifo",
        Attributes={"FifoTopic": "true", "ArchivePolicy": '{"MessageRetentionPeriod":"400"}'},
    )
    assert err["Error"]["Code"] == "InvalidParameter"

    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="{}")
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert "BeginningArchiveTime" not in attrs

    standard = make_topic()
    err = error_of(
        sns.set_topic_attributes,
        TopicArn=standard,
        AttributeName="ArchivePolicy",
        AttributeValue='{"MessageRetentionPeriod":"7"}',
    )
    assert err["Error"]["Code"] == "InvalidParameter"
    assert "BeginningArchiveTime" not in sns.get_topic_attributes(TopicArn=standard)["Attributes"]


# ---------------------------------------------------------------- dead-letter queues


def test_fifo_subscription_needs_a_fifo_dead_letter_queue(sns, sqs, make_topic, make_queue):
    """Developer guide, SNS dead-letter queues: FIFO topic subscriptions use FIFO queues (as their DLQ)."""
    topic = make_topic(fifo=True)
    _, fifo_url = make_queue(fifo=True)
    fifo_queue = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _, dlq_url = make_queue()
    standard_dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _, fifo_dlq_url = make_queue(fifo=True)
    fifo_dlq = sqs.get_queue_attributes(QueueUrl=fifo_dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    message = "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."

    err = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=fifo_queue,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": standard_dlq})},
    )
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("InvalidParameter", message)
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400

    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo_queue, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    err = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="RedrivePolicy",
        AttributeValue=json.dumps({"deadLetterTargetArn": standard_dlq}),
    )
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("InvalidParameter", message)
    assert "RedrivePolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]

    policy = json.dumps({"deadLetterTargetArn": fifo_dlq})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=policy)
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RedrivePolicy"] == policy


# ---------------------------------------------------------------- MaximumMessageSize


def test_topic_maximum_message_size(sns, sqs, make_topic, make_queue):
    """CreateTopic/SetTopicAttributes MaximumMessageSize: 1024 to 1048576 bytes (default 262144); Publish and
    PublishBatch check the message body plus attributes against it. Above 256 KiB a topic may only have SQS,
    Firehose or Lambda subscriptions (100 at most)."""
    topic = make_topic(attributes={"MaximumMessageSize": "1048576"})
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["MaximumMessageSize"] == "1048576"
    _, url = make_queue()
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")

    big = "b" * 600_000
    sns.publish(TopicArn=topic, Message=big)
    [message] = receive(sqs, url)
    assert message["Body"] == big
    err = error_of(sns.publish, TopicArn=topic, Message="x" * 1_048_577)
    assert err["Error"]["Code"] == "InvalidParameter"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    batch = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "a", "Message": "a" * 400_000}, {"Id": "b", "Message": "b" * 400_000}],
    )
    assert sorted(e["Id"] for e in batch["Successful"]) == ["a", "b"] and batch["Failed"] == []
    err = error_of(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "a", "Message": "a" * 600_000}, {"Id": "b", "Message": "b" * 600_000}],
    )
    assert err["Error"]["Code"] == "BatchRequestTooLong"

    # Only SQS, Firehose and Lambda subscriptions on such a topic.
    for protocol, endpoint in [("https", "https://example.com/hook"), ("email", "someone@example.com")]:
        err = error_of(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
        assert err["Error"]["Code"] == "InvalidParameter", protocol
    lambda_arn = "arn:aws:lambda:us-east-1:000000000000:function:large"
    assert sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=lambda_arn, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ].startswith(topic + ":")

    for bad in ["1023", "1048577", "big"]:
        err = error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue=bad)
        assert err["Error"]["Code"] == "InvalidParameter", bad

    # A topic with an email subscription cannot go above 256 KiB, but can go below it.
    small = make_topic()
    sns.subscribe(TopicArn=small, Protocol="email", Endpoint="someone@example.com")
    err = error_of(sns.set_topic_attributes, TopicArn=small, AttributeName="MaximumMessageSize", AttributeValue="300000")
    assert err["Error"]["Code"] == "InvalidParameter"
    assert "MaximumMessageSize" not in sns.get_topic_attributes(TopicArn=small)["Attributes"]
    sns.set_topic_attributes(TopicArn=small, AttributeName="MaximumMessageSize", AttributeValue="2048")
    assert sns.publish(TopicArn=small, Message="m" * 2048)["MessageId"]
    err = error_of(sns.publish, TopicArn=small, Message="m" * 2049)
    assert err["Error"]["Code"] == "InvalidParameter"
    err = error_of(
        sns.publish,
        TopicArn=small,
        Message="m" * 2000,
        MessageAttributes={"attr": {"DataType": "String", "StringValue": "v" * 100}},
    )
    assert err["Error"]["Code"] == "InvalidParameter"


def test_filter_policies_per_topic_are_limited_to_200(sns, make_topic):
    # AWS's default quota: 200 filter policies per topic. Subscribing without one still works past it;
    # attaching one through Subscribe or SetSubscriptionAttributes fails with FilterPolicyLimitExceeded.
    topic = make_topic("fpquota")
    policy = json.dumps({"store": ["example_corp"]})

    def queue_arn(i):
        return f"arn:aws:sqs:us-east-1:000000000000:fpquota-{i}"

    filtered = [
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(i), Attributes={"FilterPolicy": policy}
        )["SubscriptionArn"]
        for i in range(200)
    ]
    response = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(200),
        Attributes={"FilterPolicy": policy},
    )
    assert response["Error"]["Code"] == "FilterPolicyLimitExceeded"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    plain = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(200))["SubscriptionArn"]
    response = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=plain,
        AttributeName="FilterPolicy",
        AttributeValue=policy,
    )
    assert response["Error"]["Code"] == "FilterPolicyLimitExceeded"
    # Replacing an existing policy does not take another one.
    first = filtered[0]
    sns.set_subscription_attributes(
        SubscriptionArn=first, AttributeName="FilterPolicy", AttributeValue=json.dumps({"store": ["other"]})
    )
    # Removing one frees a place.
    sns.set_subscription_attributes(SubscriptionArn=first, AttributeName="FilterPolicy", AttributeValue="")
    sns.set_subscription_attributes(SubscriptionArn=plain, AttributeName="FilterPolicy", AttributeValue=policy)


def test_topic_policy_quotas(sns, make_topic):
    # SNS policy quotas (developer guide): 30 KB and 100 statements per policy. InvalidParameter beyond.
    topic = make_topic("policyq")

    def policy(statements, padding=""):
        return json.dumps(
            {
                "Version": "2008-10-17",
                "Statement": [
                    {
                        "Sid": f"s{i}{padding}",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "SNS:Publish",
                        "Resource": topic,
                    }
                    for i in range(statements)
                ],
            }
        )

    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy(100))
    response = error_of(
        sns.set_topic_attributes, TopicArn=topic, AttributeName="Policy", AttributeValue=policy(101)
    )
    assert response["Error"]["Code"] == "InvalidParameter"
    big = policy(10, padding="x" * 3100)
    assert len(big) > 30 * 1024
    response = error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName="Policy", AttributeValue=big)
    assert response["Error"]["Code"] == "InvalidParameter"
    response = error_of(sns.create_topic, Name=f"policyq-{len(big)}", Attributes={"Policy": big})
    assert response["Error"]["Code"] == "InvalidParameter"
    stored = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert len(stored["Statement"]) == 100


# ---------------------------------------------------------------- platform application / endpoint ARNs


def test_malformed_platform_arns_are_invalid_parameters(sns):
    """API reference, the platform actions' Errors: a parameter that "does not comply with the associated
    constraints" is InvalidParameter, a resource that "does not exist" is NotFound (404). A value that is not
    an application (`app/<platform>/<name>`) or endpoint (`endpoint/<platform>/<app>/<id>`) ARN is the former,
    as for topic ARNs; a well-formed ARN naming nothing is the latter, except for the deletes, which have no
    NotFound and succeed."""
    prefix = "arn:aws:sns:us-east-1:000000000000"
    topic_arn = f"{prefix}:some-topic"
    app_calls = [
        (sns.get_platform_application_attributes, {}),
        (sns.set_platform_application_attributes, {"Attributes": {"Enabled": "true"}}),
        (sns.list_endpoints_by_platform_application, {}),
        (sns.create_platform_endpoint, {"Token": "device-token"}),
        (sns.delete_platform_application, {}),
    ]
    endpoint_calls = [
        (sns.get_endpoint_attributes, {}),
        (sns.set_endpoint_attributes, {"Attributes": {"Enabled": "true"}}),
        (sns.delete_endpoint, {}),
    ]
    malformed_app = ["not-an-arn", topic_arn, f"{prefix}:app/GCM", f"{prefix}:endpoint/GCM/app/1234",
                     "arn:aws:sqs:us-east-1:000000000000:app/GCM/x"]
    malformed_endpoint = ["not-an-arn", topic_arn, f"{prefix}:endpoint/GCM/app", f"{prefix}:app/GCM/x",
                          "arn:aws:sqs:us-east-1:000000000000:endpoint/GCM/app/1234"]
    for call, extra in app_calls:
        for bad in malformed_app:
            err = error_of(call, PlatformApplicationArn=bad, **extra)
            assert err["Error"]["Code"] == "InvalidParameter", (call.__name__, bad)
            assert err["Error"]["Message"].startswith("Invalid parameter: PlatformApplicationArn"), bad
            assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    for call, extra in endpoint_calls:
        for bad in malformed_endpoint:
            err = error_of(call, EndpointArn=bad, **extra)
            assert err["Error"]["Code"] == "InvalidParameter", (call.__name__, bad)
            assert err["Error"]["Message"].startswith("Invalid parameter: EndpointArn"), bad
            assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    err = error_of(sns.get_endpoint_attributes, EndpointArn="not-an-arn")
    assert err["Error"]["Message"] == "Invalid parameter: EndpointArn Reason: An ARN must have at least 6 elements, not 1"
    err = error_of(sns.publish, TargetArn=f"{prefix}:endpoint/GCM/app", Message="m")
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("InvalidParameter", "Invalid parameter: TargetArn")

    # Well-formed ARNs that name nothing.
    missing_app = f"{prefix}:app/GCM/no-such-app"
    missing_endpoint = f"{prefix}:endpoint/GCM/no-such-app/0b6b1d43-0000-4000-8000-000000000000"
    for call, extra in app_calls[:-1]:
        err = error_of(call, PlatformApplicationArn=missing_app, **extra)
        assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("NotFound", 404)
    for call, extra in endpoint_calls[:-1]:
        err = error_of(call, EndpointArn=missing_endpoint, **extra)
        assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("NotFound", 404)
    # Publish to an unknown endpoint is InvalidParameter on AWS (LocalStack's AWS-recorded
    # test_sns.snapshot.json, test_publish_non_existent_target).
    err = error_of(sns.publish, TargetArn=missing_endpoint, Message="m")
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameter", 400)
    assert err["Error"]["Message"] == "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    sns.delete_platform_application(PlatformApplicationArn=missing_app)
    sns.delete_endpoint(EndpointArn=missing_endpoint)


# ---------------------------------------------------------------- topic quotas


def test_at_most_1000_fifo_topics(sns):
    """API reference, CreateTopic: "Users can create at most 100,000 standard topics (at most 1,000 FIFO
    topics)." Past the quota: TopicLimitExceeded (HTTP 403, botocore's model). Re-creating an existing
    topic still answers its ARN, and standard topics are counted apart."""
    paginator = sns.get_paginator("list_topics")
    existing = [t["TopicArn"] for page in paginator.paginate() for t in page["Topics"]]
    fifo_now = sum(arn.endswith(".fifo") for arn in existing)
    run = uuid.uuid4().hex[:8]
    created = []
    try:
        for i in range(1000 - fifo_now):
            created.append(
                sns.create_topic(Name=f"quota-{run}-{i}.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
            )
        err = error_of(sns.create_topic, Name=f"quota-{run}-extra.fifo", Attributes={"FifoTopic": "true"})
        assert err["Error"]["Code"] == "TopicLimitExceeded"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
        if created:
            again = sns.create_topic(Name=created[0].split(":")[-1], Attributes={"FifoTopic": "true"})
            assert again["TopicArn"] == created[0]
        standard = sns.create_topic(Name=f"quota-{run}-standard")["TopicArn"]
        created.append(standard)
    finally:
        for arn in created:
            sns.delete_topic(TopicArn=arn)
    # Deleting frees the quota.
    arn = sns.create_topic(Name=f"quota-{run}-after.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.delete_topic(TopicArn=arn)
