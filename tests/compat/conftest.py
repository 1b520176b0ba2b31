"""Fixtures for the Wharf SQS compatibility suite.

The suite talks to a running server over HTTP only.  Either point it at an
already running server with ``WHARF_ENDPOINT=http://host:port`` or let the
``endpoint`` fixture start ``WHARF_BIN`` (default ``<repo>/target/debug/wharf``)
on a free loopback port for the whole session.

Every test creates its own uniquely named queues, so tests never depend on
each other or on a reset endpoint.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqs_helpers import (  # noqa: E402
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    JsonClient,
    QueryClient,
    suite_client,
    unique_name,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = shutil.which("aws")
HEALTH_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health_ok(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/health", timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: str, limit: int = 4000) -> str:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            return fh.read()[-limit:]
    except OSError:
        return "<no log>"


@pytest.fixture(scope="session")
def endpoint():
    """Base URL of the server under test, without a trailing slash."""
    configured = os.environ.get("WHARF_ENDPOINT")
    if configured:
        yield configured.rstrip("/")
        return

    binary = Path(os.environ.get("WHARF_BIN", REPO_ROOT / "target" / "debug" / "wharf"))
    if not binary.exists():
        pytest.fail(
            f"server binary {binary} not found: build it, set WHARF_BIN, "
            "or set WHARF_ENDPOINT to a running server",
            pytrace=False,
        )

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="wharf-compat-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [str(binary), "serve", "--in-memory", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"server exited early with status {proc.returncode}; log:\n{_log_tail(log.name)}",
                    pytrace=False,
                )
            if _health_ok(url):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"GET {url}/health did not answer 200 within {HEALTH_TIMEOUT_S:.0f}s; "
                    f"log:\n{_log_tail(log.name)}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def account_id():
    """Account id the server puts in queue URLs and ARNs."""
    return os.environ.get("WHARF_ACCOUNT_ID", "000000000000")


@pytest.fixture(scope="session")
def sqs(endpoint):
    """boto3 SQS client; botocore speaks the AWS JSON 1.0 protocol to SQS."""
    return suite_client("sqs", endpoint)


@pytest.fixture(scope="session")
def query(endpoint):
    """Minimal AWS Query protocol client (form POST, XML responses)."""
    return QueryClient(endpoint)


@pytest.fixture(scope="session")
def json_raw(endpoint):
    """Raw AWS JSON 1.0 client that exposes status, headers and body."""
    return JsonClient(endpoint)


@pytest.fixture
def make_queue(sqs):
    """Factory creating uniquely named queues, deleted again after the test.

    ``make_queue(prefix="q", attributes=None, tags=None, fifo=False, name=None)``
    returns ``(name, url)``.
    """
    created = []

    def _make(prefix="q", attributes=None, tags=None, fifo=False, name=None):
        qname = name or unique_name(prefix, fifo=fifo)
        attrs = dict(attributes or {})
        if fifo:
            attrs.setdefault("FifoQueue", "true")
        kwargs = {"QueueName": qname}
        if attrs:
            kwargs["Attributes"] = attrs
        if tags:
            kwargs["tags"] = tags
        url = sqs.create_queue(**kwargs)["QueueUrl"]
        created.append(url)
        return qname, url

    yield _make

    for url in created:
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:  # already deleted by the test, or server gone
            pass


@pytest.fixture
def queue(make_queue):
    """A fresh standard queue: ``(name, url)``."""
    return make_queue("std")


@pytest.fixture
def fifo_queue(make_queue):
    """A fresh FIFO queue without content-based deduplication: ``(name, url)``."""
    return make_queue("fifo", fifo=True)


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory):
    """Environment for AWS CLI runs: the suite's credentials and region, no user configuration."""
    home = tmp_path_factory.mktemp("aws-cli-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_PAGER": "",
            "HOME": str(home),
        }
    )
    return env


@pytest.fixture(scope="session")
def aws_cli(endpoint, cli_env):
    """``aws_cli(service)`` gives ``run(*args, check=True)`` for ``aws <service> <args>`` against the server
    (JSON output); ``run.json(*args)`` parses what it prints. Skips the test without the AWS CLI."""
    if AWS_CLI is None:
        pytest.skip("AWS CLI (awscli) is not installed")

    def for_service(service):
        def run(*args, check=True):
            cmd = [AWS_CLI, "--endpoint-url", endpoint, "--region", REGION, "--output", "json", service, *args]
            proc = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=60)
            if check:
                assert proc.returncode == 0, (
                    f"{service} {' '.join(args)} exited {proc.returncode}\n"
                    f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
                )
            return proc

        def run_json(*args):
            out = run(*args).stdout
            return json.loads(out) if out.strip() else {}

        run.json = run_json
        return run

    return for_service
