"""Celery and kombu's SQS transport against Wharf, changing nothing but the endpoint.

kombu manages queues and publishes through boto3 (AWS JSON 1.0 with current botocore), and a Celery worker
receives through kombu's own asynchronous HTTP client (pycurl driven by the worker's event loop): kombu
builds the ReceiveMessage request itself (``X-Amz-Target`` / ``application/x-amz-json-1.0``, or a form POST
to the queue URL when botocore's SQS model is still AWS Query), signs it with botocore's SigV4 signer and
parses the answer with botocore's parser.  The broker URL is ``sqs://key:secret@host:port`` with the
transport option ``is_secure: False`` for plain HTTP.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.parse
import uuid

import boto3
import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.asynchronous import Hub, set_event_loop

from sqs_helpers import ACCESS_KEY, REGION, SECRET_KEY

WORKER_READY_TIMEOUT_S = 30.0

# kombu 5.7's curl client still calls pycurl APIs that pycurl 7.45+ marks deprecated.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:kombu.asynchronous.http.curl")


def _broker_url(endpoint):
    parts = urllib.parse.urlsplit(endpoint)
    return f"sqs://{ACCESS_KEY}:{SECRET_KEY}@{parts.hostname}:{parts.port}"


def _transport_options(endpoint, prefix, **extra):
    options = {
        "is_secure": urllib.parse.urlsplit(endpoint).scheme == "https",
        "region": REGION,
        "queue_name_prefix": prefix,
        "wait_time_seconds": 1,
        "polling_interval": 0.1,
        "visibility_timeout": 30,
    }
    options.update(extra)
    return options


@pytest.fixture
def prefix(sqs):
    """A queue-name prefix of this test's own; the queues kombu creates under it are deleted afterwards."""
    value = f"kombu-{uuid.uuid4().hex[:10]}-"
    yield value
    for url in sqs.list_queues(QueueNamePrefix=value).get("QueueUrls", []):
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:  # server gone
            pass


@pytest.fixture
def kombu_connection(endpoint, prefix):
    def _connect(**options):
        return Connection(_broker_url(endpoint), transport_options=_transport_options(endpoint, prefix, **options))

    return _connect


def _attributes(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


# --------------------------------------------------------------------------
# kombu
# --------------------------------------------------------------------------


def test_simple_queue_round_trip(sqs, prefix, kombu_connection):
    creation = {"sqs-creation-attributes": {"MessageRetentionPeriod": "3600"}, "queue_tags": {"team": "celery"}}
    with kombu_connection(visibility_timeout=45, **creation) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"hello": "wharf", "text": "héllo ✓"})
        message = queue.get(block=True, timeout=10)
        assert message.payload == {"hello": "wharf", "text": "héllo ✓"}
        assert message.delivery_info["sqs_message"]["Attributes"] == {"ApproximateReceiveCount": "1"}
        message.ack()
        queue.close()

    # kombu created the queue with the visibility timeout, extra attributes and tags of its transport
    # options, and the ack deleted the message.
    url = sqs.get_queue_url(QueueName=prefix + "jobs")["QueueUrl"]
    attrs = _attributes(sqs, url)
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MessageRetentionPeriod"] == "3600"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "celery"}
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"

    # What kombu sends is a JSON envelope, base64-encoded by default (sqs_base64_encoding).
    with kombu_connection() as conn:
        conn.SimpleQueue("jobs").put({"raw": 1})
    body = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"]
    envelope = json.loads(base64.b64decode(body))
    assert json.loads(base64.b64decode(envelope["body"])) == {"raw": 1}


def test_unacked_message_becomes_visible_again(sqs, prefix, kombu_connection):
    with kombu_connection(visibility_timeout=1) as conn:
        queue = conn.SimpleQueue("redeliver")
        queue.put("not acked")
        first = queue.get(block=True, timeout=10)
        started = time.monotonic()
        second = queue.get(block=True, timeout=10)
        waited = time.monotonic() - started
        assert second.payload == first.payload == "not acked"
        assert second.delivery_info["sqs_message"]["MessageId"] == first.delivery_info["sqs_message"]["MessageId"]
        assert second.delivery_info["sqs_message"]["Attributes"]["ApproximateReceiveCount"] == "2"
        assert second.delivery_tag != first.delivery_tag
        assert waited >= 0.5, f"redelivered after {waited:.2f}s, before the visibility timeout ran out"

        # DeleteMessage with the receipt handle of the earlier receive succeeds on AWS but does not delete a
        # message received again since; the latest handle does.
        first.ack()
        url = sqs.get_queue_url(QueueName=prefix + "redeliver")["QueueUrl"]
        assert _attributes(sqs, url)["ApproximateNumberOfMessagesNotVisible"] == "1"
        second.ack()
        attrs = _attributes(sqs, url)
        assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
        queue.close()


def test_unacked_message_is_restored_on_close(sqs, prefix, kombu_connection):
    # On close kombu hands unacknowledged messages back with ChangeMessageVisibility (to wait_time_seconds),
    # so they come back long before the queue's 30 s visibility timeout.
    with kombu_connection() as conn:
        queue = conn.SimpleQueue("restore")
        queue.put({"n": 1})
        message = queue.get(block=True, timeout=10)
        assert message.payload == {"n": 1}
        queue.close()

    started = time.monotonic()
    with kombu_connection() as conn:
        queue = conn.SimpleQueue("restore")
        again = queue.get(block=True, timeout=10)
        assert again.payload == {"n": 1}
        assert again.delivery_info["sqs_message"]["Attributes"]["ApproximateReceiveCount"] == "2"
        again.ack()
        queue.close()
    assert time.monotonic() - started < 10


def test_predefined_queues(sqs, endpoint, make_queue):
    # predefined_queues: kombu neither lists nor creates queues, it uses the given URLs (and per-queue keys).
    name, url = make_queue("predef")
    options = _transport_options(endpoint, "")
    options["predefined_queues"] = {name: {"url": url, "access_key_id": "key-a", "secret_access_key": "secret-a"}}
    with Connection(_broker_url(endpoint), transport_options=options) as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"predefined": True})
        message = queue.get(block=True, timeout=10)
        assert message.payload == {"predefined": True}
        assert message.delivery_info["sqs_queue"] == url
        message.ack()
        queue.close()
    attrs = _attributes(sqs, url)
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_delay_seconds_property_uses_sqs_delay(sqs, prefix, kombu_connection):
    with kombu_connection() as conn:
        queue = conn.SimpleQueue("delayed")
        sent = time.monotonic()
        queue.put({"late": True}, delay_seconds=2)
        url = sqs.get_queue_url(QueueName=prefix + "delayed")["QueueUrl"]
        assert _attributes(sqs, url)["ApproximateNumberOfMessagesDelayed"] == "1"
        message = queue.get(block=True, timeout=10)
        assert time.monotonic() - sent >= 1.5
        assert message.payload == {"late": True}
        message.ack()
        queue.close()


def test_fifo_queue_keeps_order(sqs, prefix, kombu_connection):
    with kombu_connection() as conn:
        queue = conn.SimpleQueue("ordered.fifo")
        for i in range(5):
            queue.put({"i": i})
        url = sqs.get_queue_url(QueueName=prefix + "ordered.fifo")["QueueUrl"]
        assert _attributes(sqs, url)["FifoQueue"] == "true"
        received = []
        for _ in range(5):
            message = queue.get(block=True, timeout=10)
            received.append(message.payload["i"])
            message.ack()
        assert received == [0, 1, 2, 3, 4]
        queue.close()


def test_event_loop_consumer_receives_and_deletes_through_pycurl(sqs, endpoint, prefix):
    # As in a Celery worker: with an event loop, kombu's SQS channel polls with its own pycurl client, and a
    # no_ack consumer deletes each message through that client too (DeleteMessage built by kombu).
    hub = Hub()
    set_event_loop(hub)
    try:
        with Connection(_broker_url(endpoint), transport_options=_transport_options(endpoint, prefix)) as conn:
            conn.transport.register_with_event_loop(conn.connection, hub)
            queue = Queue("evented")
            with conn.Producer() as producer:
                for i in range(3):
                    producer.publish({"i": i}, routing_key="evented", declare=[queue])
            received = []
            consumer = Consumer(
                conn.default_channel, [queue], callbacks=[lambda body, message: received.append(body)], no_ack=True
            )
            consumer.consume()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(received) < 3:
                hub.run_once()
            assert sorted(m["i"] for m in received) == [0, 1, 2]
            assert type(hub._current_http_client).__name__ == "CurlClient"

            url = sqs.get_queue_url(QueueName=prefix + "evented")["QueueUrl"]
            deadline = time.monotonic() + 10
            while True:
                hub.run_once()  # completes the asynchronous DeleteMessage calls
                attrs = _attributes(sqs, url)
                if (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0"):
                    break
                assert time.monotonic() < deadline, f"messages left: {attrs}"
            consumer.cancel()
    finally:
        set_event_loop(None)
        hub.close()


def _fanout_round(endpoint, prefix, exchange_name, queue_names):
    """Binds consumers on ``queue_names`` to a fanout exchange, publishes one message, returns what each got."""
    exchange = Exchange(exchange_name, type="fanout")
    received = {}

    def on_message(name):
        def callback(body, message):
            received.setdefault(name, []).append(body)
            message.ack()

        return callback

    options = _transport_options(endpoint, prefix, supports_fanout=True)
    with Connection(_broker_url(endpoint), transport_options=options) as conn:
        consumers = [
            Consumer(conn.channel(), [Queue(name, exchange)], callbacks=[on_message(name)], accept=["json"])
            for name in queue_names
        ]
        for consumer in consumers:
            consumer.consume()
        Producer(conn.channel()).publish({"to": "everyone"}, exchange=exchange, declare=[exchange])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(received) < len(queue_names):
            try:
                conn.drain_events(timeout=1)
            except Exception:  # socket.timeout / queue.Empty between polls
                pass
        for consumer in consumers:
            consumer.cancel()
    return received


def test_fanout_exchange_through_sns(sqs, endpoint, prefix):
    # supports_fanout: kombu creates an SNS topic per fanout exchange, subscribes each bound queue with raw
    # message delivery and grants the topic SQS:SendMessage in the queue policy.
    sns = boto3.client(
        "sns", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
    )
    received = _fanout_round(endpoint, prefix, "broadcast", ["listener-a", "listener-b"])
    assert received == {"listener-a": [{"to": "everyone"}], "listener-b": [{"to": "everyone"}]}

    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    [topic_arn] = [arn for arn in topics if arn.endswith(":" + prefix + "broadcast")]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    queues = sorted(s["Endpoint"].rsplit(":", 1)[1] for s in subscriptions)
    assert queues == [prefix + "listener-a", prefix + "listener-b"]
    for subscription in subscriptions:
        attrs = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
        assert attrs["RawMessageDelivery"] == "true"
    url_a = sqs.get_queue_url(QueueName=prefix + "listener-a")["QueueUrl"]
    policy = json.loads(_attributes(sqs, url_a)["Policy"])
    [statement] = [s for s in policy["Statement"] if s.get("Sid") == "KombuManaged"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == topic_arn

    # When the exchange is declared again, kombu drops subscriptions whose queue is gone: it asks GetQueueUrl
    # for each and looks for QueueDoesNotExist / NonExistentQueue in the error.
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=prefix + "listener-b")["QueueUrl"])
    received = _fanout_round(endpoint, prefix, "broadcast", ["listener-a"])
    assert received == {"listener-a": [{"to": "everyone"}]}
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [s["Endpoint"].rsplit(":", 1)[1] for s in subscriptions] == [prefix + "listener-a"]
    sns.delete_topic(TopicArn=topic_arn)


# --------------------------------------------------------------------------
# A real Celery worker
# --------------------------------------------------------------------------

TASKS_MODULE = '''
import json, os, time

from celery import Celery
from celery.exceptions import Reject

options = json.loads(os.environ["WHARF_CELERY_TRANSPORT_OPTIONS"])
for queue in options.get("predefined_queues", {{}}).values():
    # kombu looks backoff policies up by the (int) receive count; JSON keys are strings.
    queue["backoff_policy"] = {{int(k): v for k, v in queue.get("backoff_policy", {{}}).items()}}

app = Celery("{module}", broker=os.environ["WHARF_CELERY_BROKER"])
app.conf.update(
    broker_transport_options=options,
    broker_connection_retry_on_startup=True,
    task_default_queue="work",
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=4,
    # A failed acks_late task is rejected (left to SQS) instead of acknowledged.
    task_acks_on_failure_or_timeout=False,
)
OUT = os.environ["WHARF_CELERY_OUT"]


def record(name, value):
    tmp = os.path.join(OUT, "." + name)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({{"value": value, "at": time.time()}}, fh)
    os.replace(tmp, os.path.join(OUT, name))


@app.task
def add(x, y):
    record("add-%s-%s" % (x, y), x + y)
    return x + y


@app.task
def echo(key, text):
    record("echo-" + key, text)


@app.task
def http_client():
    # The worker's event loop owns the asynchronous HTTP client kombu received this task with.
    from kombu.asynchronous import get_event_loop
    record("http-client", type(getattr(get_event_loop(), "_current_http_client", None)).__name__)


@app.task
def stamp(key):
    record("stamp-" + key, key)


@app.task(bind=True, max_retries=3)
def flaky(self, key):
    record("flaky-%s-%d" % (key, self.request.retries), self.request.retries)
    if self.request.retries < 2:
        raise self.retry(countdown=1)
    return self.request.retries


@app.task(acks_late=True)
def crashes_once(key):
    # The first delivery hangs (the test kills the worker); the redelivery completes.
    marker = os.path.join(OUT, ".started-" + key)
    if not os.path.exists(marker):
        open(marker, "w").close()
        record("crashes-%s-first" % key, key)
        time.sleep(60)
    record("crashes-%s-done" % key, key)


@app.task(acks_late=True)
def fails(key):
    record("fails-%s-%d" % (key, time.time_ns()), key)
    raise RuntimeError("failing on purpose")


@app.task(acks_late=True)
def refuse(key):
    record("refuse-%s-%d" % (key, time.time_ns()), key)
    raise Reject("refused", requeue=False)
'''


class Worker:
    def __init__(self, proc, log_path, out_dir):
        self.proc = proc
        self.log_path = log_path
        self.out = out_dir

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def records(self):
        return {
            p.name: json.loads(p.read_text(encoding="utf-8")) for p in self.out.iterdir() if not p.name.startswith(".")
        }

    def wait_for(self, names, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            records = self.records()
            if all(name in records for name in names):
                return records
            if self.proc.poll() is not None or time.monotonic() > deadline:
                missing = sorted(set(names) - set(records))
                pytest.fail(f"worker did not record {missing}; log:\n{self.log()[-6000:]}", pytrace=False)
            time.sleep(0.05)


@pytest.fixture
def celery_app(endpoint, prefix, tmp_path, monkeypatch):
    """Factory: ``celery_app(**transport_options)`` writes a tasks module, imports it here to send tasks and
    returns ``(tasks, start)``; ``start(queues)`` runs ``celery worker`` on it (solo pool) in a subprocess.
    ``{module}`` in the options stands for the module's name (task names are ``{module}.<function>``)."""
    module = "wharf_celery_tasks_" + uuid.uuid4().hex[:8]
    out = tmp_path / "out"
    started = []
    env = {}

    def make(**transport_options):
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(TASKS_MODULE.format(module=module)), encoding="utf-8")
        out.mkdir()
        options = _transport_options(endpoint, prefix, wait_time_seconds=4, polling_interval=0, visibility_timeout=30)
        options.update(transport_options)
        env.update(
            {
                "WHARF_CELERY_BROKER": _broker_url(endpoint),
                "WHARF_CELERY_TRANSPORT_OPTIONS": json.dumps(options).replace("{module}", module),
                "WHARF_CELERY_OUT": str(out),
            }
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.syspath_prepend(str(tmp_path))
        return __import__(module), start

    def start(queues=("work",)):
        log_path = tmp_path / f"worker-{len(started)}.log"
        log = open(log_path, "w", encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", module, "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--queues", ",".join(queues),
             "--hostname", f"{module}@localhost"],
            cwd=tmp_path,
            env={**os.environ, **env, "PYTHONPATH": str(tmp_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        worker = Worker(proc, log_path, out)
        started.append((worker, log))
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        while " ready." not in worker.log():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not start; log:\n{worker.log()[-6000:]}", pytrace=False)
            time.sleep(0.1)
        return worker

    yield make

    for worker, log in started:
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                worker.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait(timeout=10)
        log.close()
    tasks = sys.modules.pop(module, None)
    if tasks is not None:
        tasks.app.pool.force_close_all()


@pytest.mark.parametrize("base64_bodies", [True, False], ids=["base64-bodies", "json-bodies"])
def test_celery_worker_runs_tasks(sqs, prefix, celery_app, base64_bodies):
    # sqs_base64_encoding: message bodies as base64 (kombu's default) or as raw JSON text.
    tasks, start = celery_app(sqs_base64_encoding=base64_bodies)
    # The Reject queue sends messages received twice to a dead-letter queue.
    dlq_url = sqs.create_queue(QueueName=prefix + "refused-dlq")["QueueUrl"]
    dlq_arn = _attributes(sqs, dlq_url)["QueueArn"]
    refused_url = sqs.create_queue(
        QueueName=prefix + "refused",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    worker = start(queues=("work", "refused"))

    # Let the worker settle into a long poll (wait_time_seconds=4): a task sent now must be handed out as
    # soon as it arrives, not when the poll times out.
    time.sleep(1.5)
    sent = time.time()
    tasks.add.delay(2, 3)
    records = worker.wait_for(["add-2-3"])
    assert records["add-2-3"]["value"] == 5
    assert records["add-2-3"]["at"] - sent < 3.0, "long-polling ReceiveMessage did not return on arrival"

    sent = time.time()
    tasks.http_client.delay()
    tasks.echo.delay("unicode", "héllo wörld ✓ 😀 " + "x" * 5000)
    tasks.stamp.apply_async(("countdown",), countdown=2)  # ETA held by the worker
    tasks.stamp.apply_async(("sqs-delay",), delay_seconds=2)  # SQS DelaySeconds
    tasks.flaky.delay("r")  # retries twice with countdown=1
    tasks.refuse.apply_async(("x",), queue="refused")
    records = worker.wait_for(
        ["http-client", "echo-unicode", "stamp-countdown", "stamp-sqs-delay", "flaky-r-0", "flaky-r-1", "flaky-r-2"]
    )

    # ReceiveMessage went through kombu's pycurl client, not boto3.
    assert records["http-client"]["value"] == "CurlClient"
    assert records["echo-unicode"]["value"] == "héllo wörld ✓ 😀 " + "x" * 5000
    assert records["stamp-countdown"]["at"] - sent >= 1.5
    assert records["stamp-sqs-delay"]["at"] - sent >= 1.5
    retries = [records[f"flaky-r-{n}"]["at"] for n in range(3)]
    assert retries[1] - retries[0] >= 0.8 and retries[2] - retries[1] >= 0.8

    # Rejected without requeue on a queue with a redrive policy, the message is left to SQS, which moves it
    # to the dead-letter queue once it has been received maxReceiveCount (2) times.
    deadline = time.monotonic() + 15
    while _attributes(sqs, dlq_url)["ApproximateNumberOfMessages"] != "1":
        assert time.monotonic() < deadline, f"no message in the dead-letter queue; log:\n{worker.log()[-6000:]}"
        time.sleep(0.2)
    assert len([name for name in worker.records() if name.startswith("refuse-x-")]) == 2
    moved = sqs.receive_message(QueueUrl=dlq_url, MessageSystemAttributeNames=["All"])["Messages"][0]
    envelope = json.loads(base64.b64decode(moved["Body"]) if base64_bodies else moved["Body"])
    assert envelope["headers"]["task"] == tasks.refuse.name
    refused = _attributes(sqs, refused_url)
    assert (refused["ApproximateNumberOfMessages"], refused["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")

    # Everything gets acknowledged (Celery acks a retried task shortly after its last run): nothing is left in
    # the work queue, visible or in flight.
    work_url = sqs.get_queue_url(QueueName=prefix + "work")["QueueUrl"]
    deadline = time.monotonic() + 10
    while True:
        work = _attributes(sqs, work_url)
        counts = (work["ApproximateNumberOfMessages"], work["ApproximateNumberOfMessagesNotVisible"])
        if counts == ("0", "0"):
            break
        assert time.monotonic() < deadline, f"left in the work queue: {counts}; log:\n{worker.log()[-6000:]}"
        time.sleep(0.2)

    # Warm shutdown with a long poll in flight ends cleanly.
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(timeout=20) == 0
    assert "ERROR/" not in worker.log(), worker.log()[-6000:]


def test_celery_backoff_policy_uses_visibility_timeout(sqs, make_queue, celery_app):
    # predefined_queues with a backoff policy: a failed acks_late task is left in the queue and kombu sets the
    # message's visibility timeout from its ApproximateReceiveCount (1 -> 1 s, 2 -> 2 s) with
    # ChangeMessageVisibility, so SQS redelivers it on that schedule instead of after the queue's 30 s.
    name, url = make_queue("backoff", attributes={"VisibilityTimeout": "30"})
    policy = {"1": 1, "2": 2, "3": 600}
    tasks, start = celery_app(
        queue_name_prefix="",
        predefined_queues={
            name: {
                "url": url,
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
                "backoff_policy": policy,
                "backoff_tasks": ["{module}.fails"],
            }
        }
    )
    worker = start(queues=(name,))
    tasks.fails.apply_async(("b",), queue=name)
    deadline = time.monotonic() + 15
    while True:
        runs = sorted(r["at"] for n, r in worker.records().items() if n.startswith("fails-b-"))
        if len(runs) == 3:
            break
        assert time.monotonic() < deadline, f"runs so far: {runs}; log:\n{worker.log()[-6000:]}"
        time.sleep(0.1)
    assert 0.8 <= runs[1] - runs[0] < 10, runs
    assert 1.8 <= runs[2] - runs[1] < 10, runs
    attrs = _attributes(sqs, url)
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def test_celery_acks_late_task_survives_a_killed_worker(sqs, prefix, celery_app):
    # acks_late: the message is deleted only after the task ran. A worker killed mid-task never deletes it,
    # so SQS hands it out again once the visibility timeout (2 s here) runs out, to the next worker.
    tasks, start = celery_app(visibility_timeout=2)
    first = start()
    tasks.crashes_once.delay("k")
    first.wait_for(["crashes-k-first"])
    first.proc.kill()
    first.proc.wait(timeout=10)
    killed_at = time.time()

    second = start()
    records = second.wait_for(["crashes-k-done"], timeout=20)
    assert records["crashes-k-done"]["at"] - killed_at >= 1.0
    url = sqs.get_queue_url(QueueName=prefix + "work")["QueueUrl"]
    deadline = time.monotonic() + 10
    while True:
        attrs = _attributes(sqs, url)
        if (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0"):
            break
        assert time.monotonic() < deadline, f"not deleted after the task ran; log:\n{second.log()[-6000:]}"
        time.sleep(0.2)
