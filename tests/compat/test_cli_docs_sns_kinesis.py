"""The examples of the AWS CLI reference pages for ``aws sns`` and ``aws kinesis``
(awscli/examples/{sns,kinesis}/*.rst), run as documented with the account, region and names replaced;
outputs compared in shape and, where the documented values are reproducible (hash key ranges, default
policies, metric names), in value."""

import base64
import json
import time
import uuid

import pytest

from sqs_helpers import REGION

SHARD_METRICS = {
    "IncomingBytes",
    "OutgoingRecords",
    "IteratorAgeMilliseconds",
    "IncomingRecords",
    "ReadProvisionedThroughputExceeded",
    "WriteProvisionedThroughputExceeded",
    "OutgoingBytes",
}
# describe-stream.rst / list-shards.rst: a 3-shard stream splits the hash key space evenly.
THREE_SHARD_RANGES = [
    ("0", "113427455640312821154458202477256070484"),
    ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
    ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
]


@pytest.fixture
def sns_cli(aws_cli):
    return aws_cli("sns")


@pytest.fixture
def kinesis_cli(aws_cli):
    return aws_cli("kinesis")


def _ranges(shards):
    return [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in shards]


# --------------------------------------------------------------------------------------------------------
# aws sns


@pytest.fixture
def documented_topic(sns_cli):
    """my-topic as create-topic.rst creates it (a unique suffix keeps tests apart); deleted after."""
    name = f"my-topic-{uuid.uuid4().hex[:12]}"
    arn = sns_cli.json("create-topic", "--name", name)["TopicArn"]
    yield name, arn
    sns_cli("delete-topic", "--topic-arn", arn, check=False)


def test_cli_doc_sns_topic_examples(sns_cli, documented_topic, account_id):
    name, arn = documented_topic
    assert arn == f"arn:aws:sns:{REGION}:{account_id}:{name}"
    assert {"TopicArn": arn} in sns_cli.json("list-topics")["Topics"]

    # set-topic-attributes.rst, then get-topic-attributes.rst's keys and default documents.
    assert sns_cli("set-topic-attributes", "--topic-arn", arn, "--attribute-name", "DisplayName",
                   "--attribute-value", "MyTopicDisplayName").stdout.strip() == ""
    attrs = sns_cli.json("get-topic-attributes", "--topic-arn", arn)["Attributes"]
    assert attrs["DisplayName"] == "MyTopicDisplayName"
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == account_id
    for counter in ("SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"):
        assert attrs[counter] == "0", counter
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"] == {
        "minDelayTarget": 20,
        "maxDelayTarget": 20,
        "numRetries": 3,
        "numMaxDelayRetries": 0,
        "numNoDelayRetries": 0,
        "numMinDelayRetries": 0,
        "backoffFunction": "linear",
    }
    assert effective["http"]["disableSubscriptionOverrides"] is False
    policy = json.loads(attrs["Policy"])
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == "__default_policy_ID"
    [statement] = policy["Statement"]
    assert statement["Sid"] == "__default_statement_ID"
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": "*"}
    assert set(statement["Action"]) == {
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:DeleteTopic",
        "SNS:GetTopicAttributes",
        "SNS:Publish",
        "SNS:RemovePermission",
        "SNS:AddPermission",
        "SNS:SetTopicAttributes",
    }
    assert statement["Resource"] == arn
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": account_id}}

    # add-permission.rst / remove-permission.rst: the statement appears in the topic policy, then goes.
    assert sns_cli("add-permission", "--topic-arn", arn, "--label", "Publish-Permission",
                   "--aws-account-id", "987654321098", "--action-name", "Publish").stdout.strip() == ""
    policy = json.loads(sns_cli.json("get-topic-attributes", "--topic-arn", arn)["Attributes"]["Policy"])
    assert "Publish-Permission" in [s["Sid"] for s in policy["Statement"]]
    assert sns_cli("remove-permission", "--topic-arn", arn, "--label", "Publish-Permission").stdout.strip() == ""
    policy = json.loads(sns_cli.json("get-topic-attributes", "--topic-arn", arn)["Attributes"]["Policy"])
    assert "Publish-Permission" not in [s["Sid"] for s in policy["Statement"]]

    # tag-resource.rst, list-tags-for-resource.rst, untag-resource.rst.
    assert sns_cli("tag-resource", "--resource-arn", arn, "--tags", "Key=Team,Value=Alpha").stdout.strip() == ""
    assert sns_cli.json("list-tags-for-resource", "--resource-arn", arn) == {"Tags": [{"Key": "Team", "Value": "Alpha"}]}
    assert sns_cli("untag-resource", "--resource-arn", arn, "--tag-keys", "Team").stdout.strip() == ""
    assert sns_cli.json("list-tags-for-resource", "--resource-arn", arn) == {"Tags": []}

    # put-data-protection-policy.rst, example 1 (read back with get-data-protection-policy).
    document = {
        "Name": "data_protection_policy",
        "Description": "Example data protection policy",
        "Version": "2021-06-01",
        "Statement": [
            {
                "DataDirection": "Inbound",
                "Principal": ["*"],
                "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
                "Operation": {"Deny": {}},
            }
        ],
    }
    assert sns_cli("put-data-protection-policy", "--resource-arn", arn,
                   "--data-protection-policy", json.dumps(document)).stdout.strip() == ""
    stored = sns_cli.json("get-data-protection-policy", "--resource-arn", arn)["DataProtectionPolicy"]
    assert json.loads(stored) == document

    # delete-topic.rst: gone from list-topics.
    assert sns_cli("delete-topic", "--topic-arn", arn).stdout.strip() == ""
    assert {"TopicArn": arn} not in sns_cli.json("list-topics").get("Topics", [])


def test_cli_doc_sns_subscription_and_publish_examples(sns_cli, documented_topic, make_queue, sqs, account_id, tmp_path):
    _, arn = documented_topic
    # subscribe.rst: an email subscription waits for confirmation.
    email = sns_cli.json("subscribe", "--topic-arn", arn, "--protocol", "email",
                         "--notification-endpoint", "my-email@example.com")
    assert email == {"SubscriptionArn": "pending confirmation"}

    # An SQS subscription (confirmed at once) for the set-subscription-attributes.rst examples.
    _, url = make_queue("clisns")
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub_arn = sns_cli.json("subscribe", "--topic-arn", arn, "--protocol", "sqs",
                           "--notification-endpoint", queue_arn)["SubscriptionArn"]
    assert sub_arn.startswith(arn + ":")

    # list-subscriptions-by-topic.rst / list-subscriptions.rst: the documented keys of each entry.
    listed = sns_cli.json("list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"]
    by_protocol = {s["Protocol"]: s for s in listed}
    assert set(by_protocol) == {"email", "sqs"}
    assert by_protocol["email"] == {
        "SubscriptionArn": "PendingConfirmation",
        "Owner": account_id,
        "Protocol": "email",
        "Endpoint": "my-email@example.com",
        "TopicArn": arn,
    }
    assert by_protocol["sqs"] == {
        "SubscriptionArn": sub_arn,
        "Owner": account_id,
        "Protocol": "sqs",
        "Endpoint": queue_arn,
        "TopicArn": arn,
    }
    everywhere = sns_cli.json("list-subscriptions")["Subscriptions"]
    assert by_protocol["sqs"] in everywhere

    # get-subscription-attributes.rst: the documented keys.
    attrs = sns_cli.json("get-subscription-attributes", "--subscription-arn", sub_arn)["Attributes"]
    assert attrs["Endpoint"] == queue_arn
    assert attrs["Protocol"] == "sqs"
    assert attrs["RawMessageDelivery"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "true"
    assert attrs["Owner"] == account_id
    assert attrs["SubscriptionArn"] == sub_arn
    assert attrs["TopicArn"] == arn
    assert attrs["PendingConfirmation"] == "false"

    # set-subscription-attributes.rst: RawMessageDelivery, a FilterPolicy, then "{}" removes it.
    def set_attr(name, value):
        proc = sns_cli("set-subscription-attributes", "--subscription-arn", sub_arn,
                       "--attribute-name", name, "--attribute-value", value)
        assert proc.stdout.strip() == ""

    set_attr("RawMessageDelivery", "true")
    set_attr("FilterPolicy", '{ "anyMandatoryKey": ["any", "of", "these"] }')
    attrs = sns_cli.json("get-subscription-attributes", "--subscription-arn", sub_arn)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == {"anyMandatoryKey": ["any", "of", "these"]}
    set_attr("FilterPolicy", "{}")
    attrs = sns_cli.json("get-subscription-attributes", "--subscription-arn", sub_arn)["Attributes"]
    assert "FilterPolicy" not in attrs and "FilterPolicyScope" not in attrs

    # publish.rst, example 1: the message from a file, line breaks kept; raw delivery hands it over as is.
    message = tmp_path / "message.txt"
    message.write_text("Hello World\nSecond Line\n")
    published = sns_cli.json("publish", "--topic-arn", arn, "--message", f"file://{message}")
    assert set(published) == {"MessageId"}
    uuid.UUID(published["MessageId"])
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in received] == ["Hello World\nSecond Line\n"]

    # publish.rst, example 2: an SMS to a phone number written with dashes.
    sms = sns_cli.json("publish", "--message", "Hello world!", "--phone-number", "+1-555-555-0100")
    assert set(sms) == {"MessageId"}

    # unsubscribe.rst.
    assert sns_cli("unsubscribe", "--subscription-arn", sub_arn).stdout.strip() == ""
    remaining = sns_cli.json("list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"]
    assert [s["Protocol"] for s in remaining] == ["email"]


def test_cli_doc_sns_sms_examples(sns_cli):
    # set-sms-attributes.rst / get-sms-attributes.rst.
    assert sns_cli("set-sms-attributes", "--attributes", "DefaultSenderID=MyName").stdout.strip() == ""
    got = sns_cli.json("get-sms-attributes", "--attributes", "DefaultSenderID")
    assert got == {"attributes": {"DefaultSenderID": "MyName"}}
    # check-if-phone-number-is-opted-out.rst: a number nobody opted out.
    number = "+1555" + str(uuid.uuid4().int)[:7]
    assert sns_cli.json("check-if-phone-number-is-opted-out", "--phone-number", number) == {"isOptedOut": False}
    # opt-in-phone-number.rst answers nothing; list-phone-numbers-opted-out.rst lists numbers.
    assert sns_cli("opt-in-phone-number", "--phone-number", number).stdout.strip() == ""
    listed = sns_cli.json("list-phone-numbers-opted-out")
    assert isinstance(listed["phoneNumbers"], list)
    assert number not in listed["phoneNumbers"]


def test_cli_doc_sns_platform_examples(sns_cli, account_id):
    app_name = f"MyApplication{uuid.uuid4().hex[:8]}"
    # create-platform-application.rst.
    app_arn = sns_cli.json("create-platform-application", "--name", app_name, "--platform", "GCM",
                           "--attributes", "PlatformCredential=EXAMPLEabcd12345jklm67890stuv12345bcdef")[
        "PlatformApplicationArn"
    ]
    assert app_arn == f"arn:aws:sns:{REGION}:{account_id}:app/GCM/{app_name}"
    try:
        # set-platform-application-attributes.rst, then get-platform-application-attributes.rst.
        failure_topic = f"arn:aws:sns:{REGION}:{account_id}:AnotherTopic"
        assert sns_cli("set-platform-application-attributes", "--platform-application-arn", app_arn,
                       "--attributes", f"EventDeliveryFailure={failure_topic}").stdout.strip() == ""
        attrs = sns_cli.json("get-platform-application-attributes", "--platform-application-arn", app_arn)
        assert attrs["Attributes"]["EventDeliveryFailure"] == failure_topic
        assert attrs["Attributes"]["Enabled"] == "true"
        assert "PlatformCredential" not in attrs["Attributes"]
        # list-platform-applications.rst.
        apps = sns_cli.json("list-platform-applications")["PlatformApplications"]
        assert app_arn in [a["PlatformApplicationArn"] for a in apps]
        # create-platform-endpoint.rst, get-endpoint-attributes.rst, set-endpoint-attributes.rst.
        endpoint_arn = sns_cli.json("create-platform-endpoint", "--platform-application-arn", app_arn,
                                    "--token", "EXAMPLE12345...")["EndpointArn"]
        assert endpoint_arn.startswith(f"arn:aws:sns:{REGION}:{account_id}:endpoint/GCM/{app_name}/")
        got = sns_cli.json("get-endpoint-attributes", "--endpoint-arn", endpoint_arn)
        assert got == {"Attributes": {"Enabled": "true", "Token": "EXAMPLE12345..."}}
        assert sns_cli("set-endpoint-attributes", "--endpoint-arn", endpoint_arn,
                       "--attributes", "Enabled=false").stdout.strip() == ""
        got = sns_cli.json("get-endpoint-attributes", "--endpoint-arn", endpoint_arn)
        assert got == {"Attributes": {"Enabled": "false", "Token": "EXAMPLE12345..."}}
        # list-endpoints-by-platform-application.rst.
        listed = sns_cli.json("list-endpoints-by-platform-application", "--platform-application-arn", app_arn)
        assert listed["Endpoints"] == [
            {"EndpointArn": endpoint_arn, "Attributes": {"Enabled": "false", "Token": "EXAMPLE12345..."}}
        ]
        # delete-endpoint.rst.
        assert sns_cli("delete-endpoint", "--endpoint-arn", endpoint_arn).stdout.strip() == ""
        listed = sns_cli.json("list-endpoints-by-platform-application", "--platform-application-arn", app_arn)
        assert listed["Endpoints"] == []
    finally:
        # delete-platform-application.rst.
        assert sns_cli("delete-platform-application", "--platform-application-arn", app_arn).stdout.strip() == ""
    apps = sns_cli.json("list-platform-applications").get("PlatformApplications", [])
    assert app_arn not in [a["PlatformApplicationArn"] for a in apps]


# --------------------------------------------------------------------------------------------------------
# aws kinesis


def _wait_active(kinesis_cli, name, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        summary = kinesis_cli.json("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        assert time.monotonic() < deadline, summary
        time.sleep(0.1)


@pytest.fixture
def make_streams(kinesis_cli):
    """``make_streams(*prefixes)`` creates a 3-shard stream per prefix as create-stream.rst does (a unique
    suffix keeps tests apart), waits until they are ACTIVE and returns their names; deleted after."""
    created = []

    def make(*prefixes):
        suffix = uuid.uuid4().hex[:10]
        names = [f"{prefix}-{suffix}" for prefix in prefixes]
        for name in names:
            assert kinesis_cli("create-stream", "--stream-name", name, "--shard-count", "3").stdout.strip() == ""
            created.append(name)
        for name in names:
            _wait_active(kinesis_cli, name)
        return names

    yield make
    for name in created:
        kinesis_cli("delete-stream", "--stream-name", name, "--enforce-consumer-deletion", check=False)


@pytest.fixture
def samplestream(make_streams):
    return make_streams("samplestream")[0]


def test_cli_doc_kinesis_stream_examples(kinesis_cli, make_streams, account_id):
    name, other = make_streams("samplestream", "samplestream1")
    arn = f"arn:aws:kinesis:{REGION}:{account_id}:stream/{name}"

    # describe-stream.rst: three shards over the documented hash key ranges, the documented keys (the CLI
    # pages through the shards and drops HasMoreShards).
    described = kinesis_cli.json("describe-stream", "--stream-name", name)["StreamDescription"]
    assert _ranges(described["Shards"]) == THREE_SHARD_RANGES
    assert [s["ShardId"] for s in described["Shards"]] == [f"shardId-00000000000{i}" for i in range(3)]
    assert all(set(s["SequenceNumberRange"]) == {"StartingSequenceNumber"} for s in described["Shards"])
    assert described["StreamARN"] == arn
    assert described["StreamName"] == name
    assert described["StreamStatus"] == "ACTIVE"
    assert described["RetentionPeriodHours"] == 24
    assert described["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert described["EncryptionType"] == "NONE"
    assert isinstance(described["StreamCreationTimestamp"], (int, float))

    # list-streams.rst: both documented streams are listed.
    listed = kinesis_cli.json("list-streams")["StreamNames"]
    assert name in listed and other in listed

    # list-shards.rst: the shards after shardId-000000000000.
    shards = kinesis_cli.json("list-shards", "--stream-name", name,
                              "--exclusive-start-shard-id", "shardId-000000000000")["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000001", "shardId-000000000002"]
    assert _ranges(shards) == THREE_SHARD_RANGES[1:]

    # add-tags-to-stream.rst, list-tags-for-stream.rst, remove-tags-from-stream.rst.
    assert kinesis_cli("add-tags-to-stream", "--stream-name", name, "--tags", "samplekey=example").stdout.strip() == ""
    assert kinesis_cli.json("list-tags-for-stream", "--stream-name", name) == {
        "Tags": [{"Key": "samplekey", "Value": "example"}],
        "HasMoreTags": False,
    }
    assert kinesis_cli("remove-tags-from-stream", "--stream-name", name, "--tag-keys", "samplekey").stdout.strip() == ""
    assert kinesis_cli.json("list-tags-for-stream", "--stream-name", name) == {"Tags": [], "HasMoreTags": False}

    # increase-stream-retention-period.rst (168 h), decrease-stream-retention-period.rst (48 h), then
    # describe-stream-summary.rst's keys.
    assert kinesis_cli("increase-stream-retention-period", "--stream-name", name,
                       "--retention-period-hours", "168").stdout.strip() == ""
    assert _wait_active(kinesis_cli, name)["RetentionPeriodHours"] == 168
    assert kinesis_cli("decrease-stream-retention-period", "--stream-name", name,
                       "--retention-period-hours", "48").stdout.strip() == ""
    summary = _wait_active(kinesis_cli, name)
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == arn
    assert summary["RetentionPeriodHours"] == 48
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert summary["EncryptionType"] == "NONE"
    assert summary["OpenShardCount"] == 3
    assert summary["ConsumerCount"] == 0
    assert isinstance(summary["StreamCreationTimestamp"], (int, float))

    # enable-enhanced-monitoring.rst / disable-enhanced-monitoring.rst with ALL.
    enabled = kinesis_cli.json("enable-enhanced-monitoring", "--stream-name", name, "--shard-level-metrics", "ALL")
    assert enabled["StreamName"] == name
    assert enabled["CurrentShardLevelMetrics"] == []
    assert set(enabled["DesiredShardLevelMetrics"]) == SHARD_METRICS
    _wait_active(kinesis_cli, name)
    disabled = kinesis_cli.json("disable-enhanced-monitoring", "--stream-name", name, "--shard-level-metrics", "ALL")
    assert set(disabled["CurrentShardLevelMetrics"]) == SHARD_METRICS
    assert disabled["DesiredShardLevelMetrics"] == []
    _wait_active(kinesis_cli, name)

    # describe-limits.rst.
    limits = kinesis_cli.json("describe-limits")
    assert limits["ShardLimit"] >= limits["OpenShardCount"] >= 6


def test_cli_doc_kinesis_record_examples(kinesis_cli, samplestream):
    name = samplestream
    # put-record.rst (no encryption yet: no EncryptionType key).
    put = kinesis_cli.json("put-record", "--stream-name", name, "--data", "sampledatarecord",
                           "--partition-key", "samplepartitionkey")
    assert put["ShardId"].startswith("shardId-") and put["SequenceNumber"].isdigit()
    assert "EncryptionType" not in put or put["EncryptionType"] == "NONE"
    # put-records.rst.
    many = kinesis_cli.json("put-records", "--stream-name", name, "--records",
                            "Data=blob1,PartitionKey=partitionkey1", "Data=blob2,PartitionKey=partitionkey2")
    assert many["FailedRecordCount"] == 0
    assert [set(r) for r in many["Records"]] == [{"SequenceNumber", "ShardId"}] * 2

    # get-shard-iterator.rst (LATEST) and get-records.rst: nothing after LATEST yet.
    iterator = kinesis_cli.json("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                                "--shard-iterator-type", "LATEST")["ShardIterator"]
    got = kinesis_cli.json("get-records", "--shard-iterator", iterator)
    assert got["Records"] == []
    assert isinstance(got["MillisBehindLatest"], int)
    assert got["NextShardIterator"]
    # The put-record record read back from the start of its shard (AWS CLI v1 sends the text as the blob;
    # v2 would decode it as base64 first).
    start = kinesis_cli.json("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                             "--shard-iterator-type", "AT_SEQUENCE_NUMBER",
                             "--starting-sequence-number", put["SequenceNumber"])["ShardIterator"]
    record = kinesis_cli.json("get-records", "--shard-iterator", start, "--limit", "1")["Records"][0]
    assert record["PartitionKey"] == "samplepartitionkey"
    assert base64.b64decode(record["Data"]) in (b"sampledatarecord", base64.b64decode("sampledatarecord"))

    # start-stream-encryption.rst: KMS with a key ARN; records written after it report KMS
    # (put-record.rst's output), stop-stream-encryption turns it off again.
    key = "arn:aws:kms:us-west-2:012345678912:key/a3c4a7cd-728b-45dd-b334-4d3eb496e452"
    assert kinesis_cli("start-stream-encryption", "--encryption-type", "KMS", "--key-id", key,
                       "--stream-name", name).stdout.strip() == ""
    summary = _wait_active(kinesis_cli, name)
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == key
    encrypted = kinesis_cli.json("put-record", "--stream-name", name, "--data", "sampledatarecord",
                                 "--partition-key", "samplepartitionkey")
    assert encrypted["EncryptionType"] == "KMS"
    assert kinesis_cli("stop-stream-encryption", "--encryption-type", "KMS", "--key-id", key,
                       "--stream-name", name).stdout.strip() == ""
    assert _wait_active(kinesis_cli, name)["EncryptionType"] == "NONE"


def test_cli_doc_kinesis_consumer_examples(kinesis_cli, samplestream, account_id):
    name = samplestream
    arn = f"arn:aws:kinesis:{REGION}:{account_id}:stream/{name}"
    # register-stream-consumer.rst.
    consumer = kinesis_cli.json("register-stream-consumer", "--stream-arn", arn,
                                "--consumer-name", "KinesisConsumerApplication")["Consumer"]
    assert consumer["ConsumerName"] == "KinesisConsumerApplication"
    assert consumer["ConsumerARN"].startswith(f"{arn}/consumer/KinesisConsumerApplication:")
    assert consumer["ConsumerStatus"] == "CREATING"
    assert isinstance(consumer["ConsumerCreationTimestamp"], (int, float))
    # describe-stream-consumer.rst: ACTIVE once created, with the stream's ARN.
    deadline = time.monotonic() + 15
    while True:
        described = kinesis_cli.json("describe-stream-consumer", "--stream-arn", arn,
                                     "--consumer-name", "KinesisConsumerApplication")["ConsumerDescription"]
        if described["ConsumerStatus"] == "ACTIVE":
            break
        assert time.monotonic() < deadline, described
        time.sleep(0.1)
    assert described["ConsumerARN"] == consumer["ConsumerARN"]
    assert described["StreamARN"] == arn
    assert described["ConsumerName"] == "KinesisConsumerApplication"
    # deregister-stream-consumer.rst.
    assert kinesis_cli("deregister-stream-consumer", "--stream-arn", arn,
                       "--consumer-name", "KinesisConsumerApplication").stdout.strip() == ""


def test_cli_doc_kinesis_resharding_examples(kinesis_cli, make_streams, account_id):
    merged, split, rescaled = make_streams("samplestream", "samplestream1", "samplestream2")
    # update-shard-count.rst: 3 → 6 with uniform scaling (the current API also returns the StreamARN).
    rescaling = kinesis_cli.json("update-shard-count", "--stream-name", rescaled, "--scaling-type", "UNIFORM_SCALING",
                                 "--target-shard-count", "6")
    assert rescaling == {
        "StreamName": rescaled,
        "StreamARN": f"arn:aws:kinesis:{REGION}:{account_id}:stream/{rescaled}",
        "CurrentShardCount": 3,
        "TargetShardCount": 6,
    }
    # split-shard.rst: shardId-000000000000 at hash key 10 → children [0, 9] and [10, end of the parent].
    assert kinesis_cli("split-shard", "--stream-name", split, "--shard-to-split", "shardId-000000000000",
                       "--new-starting-hash-key", "10").stdout.strip() == ""
    # merge-shards.rst: shardId-000000000000 and shardId-000000000001 → one child over both ranges.
    assert kinesis_cli("merge-shards", "--stream-name", merged, "--shard-to-merge", "shardId-000000000000",
                       "--adjacent-shard-to-merge", "shardId-000000000001").stdout.strip() == ""
    for name in (merged, split, rescaled):
        _wait_active(kinesis_cli, name)

    assert _wait_active(kinesis_cli, rescaled)["OpenShardCount"] == 6
    open_split = kinesis_cli.json("list-shards", "--stream-name", split, "--shard-filter", "Type=AT_LATEST")["Shards"]
    assert sorted(_ranges(open_split), key=lambda r: int(r[0])) == [
        ("0", "9"),
        ("10", THREE_SHARD_RANGES[0][1]),
        THREE_SHARD_RANGES[1],
        THREE_SHARD_RANGES[2],
    ]
    children = [s for s in open_split if s.get("ParentShardId") == "shardId-000000000000"]
    assert sorted(_ranges(children)) == sorted([("0", "9"), ("10", THREE_SHARD_RANGES[0][1])])
    open_merged = kinesis_cli.json("list-shards", "--stream-name", merged, "--shard-filter", "Type=AT_LATEST")["Shards"]
    [child] = [s for s in open_merged if s.get("ParentShardId") == "shardId-000000000000"]
    assert child["AdjacentParentShardId"] == "shardId-000000000001"
    assert _ranges([child]) == [(THREE_SHARD_RANGES[0][0], THREE_SHARD_RANGES[1][1])]

