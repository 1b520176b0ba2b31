"""AddPermission / RemovePermission and the generated queue policy."""

import json

from sqs_helpers import REGION, expect_error, queue_attr, unique_name

OTHER_ACCOUNT = "111122223333"


def _statements(sqs, url):
    raw = queue_attr(sqs, url, "Policy")
    if not raw:
        return []
    return json.loads(raw).get("Statement", [])


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_add_permission_creates_policy_statement(sqs, queue, account_id):
    name, url = queue
    sqs.add_permission(
        QueueUrl=url,
        Label="AllowSendReceive",
        AWSAccountIds=[OTHER_ACCOUNT],
        Actions=["SendMessage", "ReceiveMessage"],
    )
    statements = _statements(sqs, url)
    assert len(statements) == 1, statements
    stmt = statements[0]
    assert stmt["Sid"] == "AllowSendReceive"
    assert stmt["Effect"] == "Allow"
    assert stmt["Resource"] == f"arn:aws:sqs:{REGION}:{account_id}:{name}"
    principals = _as_list(stmt["Principal"]["AWS"])
    assert any(OTHER_ACCOUNT in p for p in principals), principals
    assert set(_as_list(stmt["Action"])) == {"SQS:SendMessage", "SQS:ReceiveMessage"}


def test_remove_permission(sqs, queue):
    _, url = queue
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=[OTHER_ACCOUNT], Actions=["SendMessage"])
    sqs.add_permission(QueueUrl=url, Label="two", AWSAccountIds=[OTHER_ACCOUNT], Actions=["DeleteMessage"])
    assert sorted(s["Sid"] for s in _statements(sqs, url)) == ["one", "two"]

    sqs.remove_permission(QueueUrl=url, Label="one")
    assert [s["Sid"] for s in _statements(sqs, url)] == ["two"]

    sqs.remove_permission(QueueUrl=url, Label="two")
    assert _statements(sqs, url) == []


def test_add_permission_unknown_queue(sqs, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    with expect_error(
        "AWS.SimpleQueueService.NonExistentQueue", 400, exception="QueueDoesNotExist"
    ):
        sqs.add_permission(
            QueueUrl=url, Label="x", AWSAccountIds=[OTHER_ACCOUNT], Actions=["SendMessage"]
        )


def test_add_permission_refuses_a_non_account_principal(sqs, queue):
    # "Amazon SQS AddPermission does not support adding a non-account principal" (API reference): "*", an IAM
    # ARN or the CLI reference's placeholder "12345EXAMPLE" cannot be verified as an account; nothing is added.
    _, url = queue
    for principal in ("*", "arn:aws:iam::111122223333:user/alice", "12345EXAMPLE", "11112222333"):
        with expect_error("InvalidParameterValue", 400) as info:
            sqs.add_permission(
                QueueUrl=url, Label="x", AWSAccountIds=[OTHER_ACCOUNT, principal], Actions=["SendMessage"]
            )
        # AWS's words on record: "Unable to verify." for "*" (amazon-archives/aws-sdk-core-ruby#138) and a short
        # string, "Unable to verify principal." for an IAM user's ARN (aws/aws-cli#7416, 2022).
        reason = "Unable to verify principal." if principal.startswith("arn:") else "Unable to verify."
        assert info.value.response["Error"]["Message"] == (
            f"Value [{principal}] for parameter PrincipalId is invalid. Reason: {reason}"
        )
    assert _statements(sqs, url) == []


def test_a_policy_statement_with_more_than_seven_actions_is_over_limit(sqs, queue):
    # AWS's answer to SetQueueAttributes with a 10-action statement, quoted through Terraform in
    # ministryofjustice/cloud-platform-environments#9082 (2022): "OverLimit: 10 actions were found in a statement
    # from the submitted policy, max allowed is 7". The queue keeps its policy; CreateQueue checks the same.
    name, url = queue
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    actions = [f"sqs:{a}" for a in ("SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                                    "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues",
                                    "PurgeQueue", "SetQueueAttributes", "ListQueueTags")]

    def policy(statement_actions, single=False):
        statement = {"Effect": "Allow", "Principal": "*", "Action": statement_actions, "Resource": arn}
        return json.dumps({"Version": "2012-10-17", "Statement": statement if single else [
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}, statement]})

    for document in (policy(actions), policy(actions, single=True)):
        with expect_error("OverLimit", 403) as info:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})
        assert info.value.response["Error"]["Message"] == (
            "10 actions were found in a statement from the submitted policy, max allowed is 7"
        )
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    with expect_error("OverLimit", 403):
        sqs.create_queue(QueueName=name + "-p", Attributes={"Policy": policy(actions[:8])})
    # Seven in one statement (and "sqs:*" as one) is fine.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy(actions[:7])})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy("sqs:*")})


def test_add_permission_at_most_seven_actions(sqs, queue):
    # "An Amazon SQS policy can have a maximum of seven actions per statement" (AddPermission API reference,
    # also on the CLI's add-permission page): the eighth is refused with OverLimit (403), nothing added.
    _, url = queue
    actions = ["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
               "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues"]
    with expect_error("OverLimit", 403) as info:
        sqs.add_permission(
            QueueUrl=url, Label="eight", AWSAccountIds=[OTHER_ACCOUNT], Actions=actions + ["PurgeQueue"]
        )
    assert info.value.response["Error"]["Message"] == "8 Actions were found, maximum allowed is 7."
    assert _statements(sqs, url) == []
    sqs.add_permission(QueueUrl=url, Label="seven", AWSAccountIds=[OTHER_ACCOUNT], Actions=actions)
    [statement] = _statements(sqs, url)
    assert len(statement["Action"]) == 7
