"""CORS in a real browser: a page calls Wharf with fetch() the way the AWS SDK for JavaScript does in a
browser (AWS JSON 1.0 with x-amz-target, authorization and amz-sdk-* headers, so the browser preflights).

Runs only where a Chromium is installed (`chromium` or `chromium-browser` on PATH, e.g. Debian's
`apt-get install chromium`); the raw-HTTP checks of the same behaviour are in test_cors.py and always run.
"""

import html as html_text
import json
import shutil
import subprocess
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
const endpoint = %(endpoint)s;
async function call(target, body) {
  const response = await fetch(endpoint + "/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "AmazonSQS." + target,
      "authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00",
      "x-amz-date": "20260101T000000Z",
      "amz-sdk-invocation-id": "00000000-0000-0000-0000-000000000000",
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    queryError: response.headers.get("x-amzn-query-error"),
    requestId: response.headers.get("x-amzn-requestid"),
    body: await response.json(),
  };
}
(async () => {
  let result;
  try {
    result = {
      created: await call("CreateQueue", { QueueName: %(queue)s }),
      missing: await call("GetQueueUrl", { QueueName: "no-such-queue-from-a-browser" }),
    };
  } catch (error) {
    result = { error: String(error) };
  }
  document.getElementById("out").textContent = JSON.stringify(result);
})();
</script></body></html>"""


class _Page(BaseHTTPRequestHandler):
    def __init__(self, html, *args, **kwargs):
        self.html = html
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _run_page(host, html):
    """Serves `html` on http://<host>:<free port>/ and returns what the page wrote once its script ran."""
    server = ThreadingHTTPServer((host, 0), partial(_Page, html))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page_host = "localhost" if host == "127.0.0.1" else host
        url = f"http://{page_host}:{server.server_address[1]}/"
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=10000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
    finally:
        server.shutdown()
        server.server_close()
    text = dom.split('<pre id="out">', 1)[1].split("</pre>", 1)[0]
    return json.loads(html_text.unescape(text))


def test_a_loopback_page_calls_sqs_and_reads_errors(endpoint):
    queue = "browser-cors-queue"
    html = PAGE % {"endpoint": json.dumps(endpoint), "queue": json.dumps(queue)}
    result = _run_page("127.0.0.1", html)
    assert "error" not in result, result
    assert result["created"]["status"] == 200
    assert result["created"]["body"]["QueueUrl"].endswith("/" + queue)
    assert result["created"]["requestId"]
    # The JS SDK maps SQS errors through x-amzn-query-error: the page must be able to read it.
    assert result["missing"]["status"] == 400
    assert result["missing"]["queryError"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert result["missing"]["body"]["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"


def test_a_page_from_another_origin_is_refused(endpoint, sqs):
    # 127.0.0.2 is a loopback address but not a loopback *origin* name Wharf allows by default.
    queue = "browser-cors-refused"
    html = PAGE % {"endpoint": json.dumps(endpoint), "queue": json.dumps(queue)}
    result = _run_page("127.0.0.2", html)
    assert result.get("error", "").startswith("TypeError"), result
    # Refused before it did anything: the queue was not created.
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=queue)
