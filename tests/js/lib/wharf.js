// Starts a Wharf server for one test file and builds SDK clients pointed at it.
//
// WHARF_ENDPOINT=http://host:port uses an already running server; otherwise WHARF_BIN (default
// <repo>/target/debug/wharf) is started with `serve --in-memory` on a free loopback port, like the
// Python suite's conftest.py, and `GET /health` is awaited (20 s). Every test names its own resources
// uniquely, so files and tests never depend on each other.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

import { SQSClient } from "@aws-sdk/client-sqs";
import { SNSClient } from "@aws-sdk/client-sns";
import { KinesisClient } from "@aws-sdk/client-kinesis";

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const HEALTH_TIMEOUT_MS = 20_000;

export const REGION = "us-east-1";
export const ACCOUNT_ID = process.env.WHARF_ACCOUNT_ID ?? "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function healthy(url) {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A running server: `{ endpoint, stop() }`. */
export async function startWharf() {
  const configured = process.env.WHARF_ENDPOINT;
  if (configured) return { endpoint: configured.replace(/\/+$/, ""), stop: async () => {} };

  const binary = process.env.WHARF_BIN ?? join(REPO_ROOT, "target", "debug", "wharf");
  if (!existsSync(binary)) {
    throw new Error(`server binary ${binary} not found: build it, set WHARF_BIN, or set WHARF_ENDPOINT`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logPath = join(mkdtempSync(join(tmpdir(), "wharf-js-")), "wharf.log");
  const log = openSync(logPath, "w");
  const child = spawn(binary, ["serve", "--in-memory", "--host", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", log, log],
  });
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const tail = () => readFileSync(logPath, "utf8").slice(-4000);

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); log:\n${tail()}`);
    if (await healthy(endpoint)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`GET ${endpoint}/health did not answer 200 within 20 s; log:\n${tail()}`);
    }
    await sleep(100);
  }

  return {
    endpoint,
    async stop() {
      if (exited) return;
      const gone = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

const common = (endpoint, extra) => ({ endpoint, region: REGION, credentials, ...extra });

export const sqsClient = (endpoint, extra = {}) => new SQSClient(common(endpoint, extra));
export const snsClient = (endpoint, extra = {}) => new SNSClient(common(endpoint, extra));
export const kinesisClient = (endpoint, extra = {}) => new KinesisClient(common(endpoint, extra));

/** A resource name unique to this run: `<prefix>-<12 hex>`. */
export const uniqueName = (prefix) => `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 12)}`;

/**
 * Awaits `promise`, which must reject with an SDK exception whose `name` is `name`; returns the error so
 * the caller can check more (`$metadata.httpStatusCode`, `Code`, `message`, the exception class).
 */
export async function expectError(promise, name) {
  try {
    await promise;
  } catch (error) {
    if (error?.name !== name) {
      const detail = `${error?.name}: ${error?.message} (status ${error?.$metadata?.httpStatusCode})`;
      throw new Error(`expected ${name}, got ${detail}`, { cause: error });
    }
    return error;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}
