"""The AWS CLI (``aws sqs ...``) against the server, JSON output parsed."""

import json
import os
import shutil
import subprocess

import pytest

from sqs_helpers import ACCESS_KEY, REGION, SECRET_KEY, md5_of_body, unique_name

AWS = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="AWS CLI (awscli) is not installed")


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-cli-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            # Keep any user configuration out of the way.
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_PAGER": "",
            "HOME": str(home),
        }
    )
    return env


@pytest.fixture
def aws(endpoint, cli_env):
    def run(*args, check=True):
        cmd = [AWS, "--endpoint-url", endpoint, "--region", REGION, "--output", "json", "sqs", *args]
        proc = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, (
                f"{' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def run_json(*args):
        out = run(*args).stdout
        return json.loads(out) if out.strip() else {}

    run.json = run_json
    return run


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
