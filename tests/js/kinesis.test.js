// Amazon Kinesis Data Streams through @aws-sdk/client-kinesis.
//
// In Node the Kinesis client's default request handler is NodeHttp2Handler for every operation, not only
// SubscribeToShard: against an http:// endpoint it speaks HTTP/2 with prior knowledge (h2c), which Wharf
// serves on the same port as HTTP/1.1. The tests run every call over that default client, and run the
// basic calls and SubscribeToShard's event stream again over HTTP/1.1 (NodeHttpHandler), which the SDK
// also accepts for event streams when a client is configured with it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  SplitShardCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  waitUntilStreamExists,
  waitUntilStreamNotExists,
  InvalidArgumentException,
  ResourceNotFoundException,
  ResourceInUseException,
  KinesisServiceException,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

import { ACCOUNT_ID, expectError, kinesisClient, startWharf, uniqueName } from "./lib/wharf.js";

let wharf;
let h2; // the SDK's default: HTTP/2 (h2c) in Node
let h1; // HTTP/1.1

before(async () => {
  wharf = await startWharf();
  h2 = kinesisClient(wharf.endpoint);
  h1 = kinesisClient(wharf.endpoint, { requestHandler: new NodeHttpHandler() });
});
after(async () => {
  h2?.destroy();
  h1?.destroy();
  await wharf?.stop();
});

const text = (bytes) => Buffer.from(bytes).toString("utf8");
const bytes = (s) => new TextEncoder().encode(s);

/** Registers consumer `ConsumerName` on `StreamName`; its ARN (the consumer is CREATING at first). */
async function registerConsumer(kinesis, StreamName, ConsumerName) {
  const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
  const { Consumer } = await kinesis.send(
    new RegisterStreamConsumerCommand({ StreamARN: StreamDescriptionSummary.StreamARN, ConsumerName }),
  );
  return Consumer.ConsumerARN;
}

/** Polls DescribeStreamConsumer until the consumer is ACTIVE (at most ~10 s). */
async function waitConsumerActive(kinesis, ConsumerARN) {
  for (let i = 0; i < 100; i++) {
    const { ConsumerDescription } = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN }));
    if (ConsumerDescription.ConsumerStatus === "ACTIVE") return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`consumer ${ConsumerARN} never became ACTIVE`);
}

async function activeStream(kinesis, ShardCount = 1) {
  const StreamName = uniqueName("js-stream");
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount }));
  const result = await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName });
  assert.equal(result.state, "SUCCESS");
  return StreamName;
}

async function readAll(kinesis, StreamName, ShardId, expected) {
  let { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const records = [];
  for (let i = 0; i < 20 && records.length < expected; i++) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 100 }));
    records.push(...page.Records);
    ShardIterator = page.NextShardIterator;
  }
  return records;
}

for (const [protocol, client] of [
  ["HTTP/2 (default handler)", () => h2],
  ["HTTP/1.1", () => h1],
]) {
  describe(`streams over ${protocol}`, () => {
    test("create, wait for ACTIVE, put and get records, list shards", async () => {
      const kinesis = client();
      const StreamName = await activeStream(kinesis, 2);
      const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
      assert.equal(summary.StreamStatus, "ACTIVE");
      assert.equal(summary.OpenShardCount, 2);
      assert.equal(summary.StreamARN, `arn:aws:kinesis:us-east-1:${ACCOUNT_ID}:stream/${StreamName}`);
      assert.ok(summary.StreamCreationTimestamp instanceof Date);

      const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
      assert.deepEqual(Shards.map((s) => s.ShardId), ["shardId-000000000000", "shardId-000000000001"]);
      assert.equal(Shards[0].HashKeyRange.StartingHashKey, "0");
      assert.equal(Shards[1].HashKeyRange.EndingHashKey, (2n ** 128n - 1n).toString());

      const one = await kinesis.send(
        new PutRecordCommand({ StreamName, PartitionKey: "k", Data: bytes("first"), ExplicitHashKey: "0" }),
      );
      assert.equal(one.ShardId, "shardId-000000000000");
      assert.match(one.SequenceNumber, /^\d+$/);

      const many = await kinesis.send(
        new PutRecordsCommand({
          StreamName,
          Records: [
            { PartitionKey: "a", Data: bytes("second"), ExplicitHashKey: "1" },
            { PartitionKey: "b", Data: new Uint8Array([0, 255, 7]), ExplicitHashKey: "2" },
            { PartitionKey: "c", Data: bytes("other shard"), ExplicitHashKey: (2n ** 127n + 5n).toString() },
          ],
        }),
      );
      assert.equal(many.FailedRecordCount, 0);
      assert.deepEqual(many.Records.map((r) => r.ShardId), [
        "shardId-000000000000",
        "shardId-000000000000",
        "shardId-000000000001",
      ]);
      assert.ok(BigInt(many.Records[0].SequenceNumber) > BigInt(one.SequenceNumber));

      const records = await readAll(kinesis, StreamName, "shardId-000000000000", 3);
      assert.deepEqual(records.map((r) => r.PartitionKey), ["k", "a", "b"]);
      assert.equal(text(records[0].Data), "first");
      assert.deepEqual([...records[2].Data], [0, 255, 7]);
      assert.equal(records[0].SequenceNumber, one.SequenceNumber);
      assert.ok(records[0].ApproximateArrivalTimestamp instanceof Date);

      const after = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId: "shardId-000000000000",
          ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
          StartingSequenceNumber: one.SequenceNumber,
        }),
      );
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator }));
      assert.deepEqual(page.Records.map((r) => text(r.Data)).slice(0, 1), ["second"]);
      assert.equal(typeof page.MillisBehindLatest, "number");

      const other = await readAll(kinesis, StreamName, "shardId-000000000001", 1);
      assert.deepEqual(other.map((r) => text(r.Data)), ["other shard"]);

      const listed = await kinesis.send(new ListStreamsCommand({}));
      assert.ok(listed.StreamNames.includes(StreamName));

      await kinesis.send(new DeleteStreamCommand({ StreamName }));
      const gone = await waitUntilStreamNotExists({ client: kinesis, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName });
      assert.equal(gone.state, "SUCCESS");
    });

    test("SubscribeToShard delivers records as an event stream", async () => {
      const kinesis = client();
      const StreamName = await activeStream(kinesis);
      const ConsumerARN = await registerConsumer(kinesis, StreamName, "js");
      await waitConsumerActive(kinesis, ConsumerARN);
      const put = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: bytes("before") }));

      const abort = new AbortController();
      const { EventStream } = await kinesis.send(
        new SubscribeToShardCommand({
          ConsumerARN,
          ShardId: "shardId-000000000000",
          StartingPosition: { Type: "TRIM_HORIZON" },
        }),
        { abortSignal: abort.signal },
      );
      const seen = [];
      let sentLive = false;
      const timer = setTimeout(() => abort.abort(), 15_000);
      try {
        for await (const event of EventStream) {
          assert.ok(event.SubscribeToShardEvent, `unexpected event ${Object.keys(event)}`);
          const { Records, ContinuationSequenceNumber, MillisBehindLatest } = event.SubscribeToShardEvent;
          assert.match(ContinuationSequenceNumber, /^\d+$/);
          assert.equal(typeof MillisBehindLatest, "number");
          seen.push(...Records.map((r) => text(r.Data)));
          if (seen.length >= 2) break;
          if (seen.length === 1 && !sentLive) {
            sentLive = true;
            await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: bytes("live") }));
          }
        }
      } finally {
        clearTimeout(timer);
        abort.abort(); // leaving the loop does not end the subscription; aborting closes its HTTP stream
      }
      assert.deepEqual(seen, ["before", "live"]);
      assert.ok(put.SequenceNumber);
    });
  });
}

test("SubscribeToShard on a shard that closes: its records, then an end event with ChildShards and no continuation", async () => {
  const kinesis = h2;
  const StreamName = await activeStream(kinesis);
  const ConsumerARN = await registerConsumer(kinesis, StreamName, "resharding");
  await waitConsumerActive(kinesis, ConsumerARN);
  const put = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: bytes("last") }));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15_000);
  const { EventStream } = await kinesis.send(
    new SubscribeToShardCommand({
      ConsumerARN,
      ShardId: "shardId-000000000000",
      StartingPosition: { Type: "TRIM_HORIZON" },
    }),
    { abortSignal: abort.signal },
  );
  const events = [];
  try {
    for await (const { SubscribeToShardEvent: event } of EventStream) {
      events.push(event);
      if (events.length === 1) {
        await kinesis.send(
          new SplitShardCommand({ StreamName, ShardToSplit: "shardId-000000000000", NewStartingHashKey: (2n ** 127n).toString() }),
        );
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  // The stream ended by itself after the end event (the KCL and other consumers read a missing
  // ContinuationSequenceNumber as the shard's end, and move on to the children).
  const withRecords = events.filter((e) => e.Records.length > 0);
  assert.deepEqual(withRecords.flatMap((e) => e.Records.map((r) => text(r.Data))), ["last"]);
  assert.equal(withRecords[0].ContinuationSequenceNumber, put.SequenceNumber);
  const end = events.at(-1);
  assert.deepEqual(end.Records, []);
  assert.equal(end.ContinuationSequenceNumber, undefined);
  assert.deepEqual(end.ChildShards.map((c) => c.ShardId), ["shardId-000000000001", "shardId-000000000002"]);
  assert.deepEqual(end.ChildShards[0].ParentShards, ["shardId-000000000000"]);
  for (const event of events.slice(0, -1)) assert.ok(event.ContinuationSequenceNumber, "only the end lacks a continuation");
});

test("readers of a shard that closed empty reach its end (GetRecords and SubscribeToShard)", async () => {
  const kinesis = h2;
  const StreamName = await activeStream(kinesis);
  const ConsumerARN = await registerConsumer(kinesis, StreamName, "empty");
  await kinesis.send(new SplitShardCommand({ StreamName, ShardToSplit: "shardId-000000000000", NewStartingHashKey: "100" }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName });

  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName, ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON" }),
  );
  const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
  assert.deepEqual(page.Records, []);
  assert.equal(page.NextShardIterator, undefined, "a closed shard read to its end has no next iterator");
  assert.deepEqual(page.ChildShards.map((c) => c.ShardId), ["shardId-000000000001", "shardId-000000000002"]);

  await waitConsumerActive(kinesis, ConsumerARN);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15_000);
  const events = [];
  try {
    const { EventStream } = await kinesis.send(
      new SubscribeToShardCommand({
        ConsumerARN,
        ShardId: "shardId-000000000000",
        StartingPosition: { Type: "TRIM_HORIZON" },
      }),
      { abortSignal: abort.signal },
    );
    for await (const { SubscribeToShardEvent: event } of EventStream) events.push(event);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  assert.equal(events.length, 1, "one end event, then the stream closes");
  assert.equal(events[0].ContinuationSequenceNumber, undefined);
  assert.equal(events[0].ChildShards.length, 2);
});

describe("errors", () => {
  test("the SDK's exception classes", async () => {
    const missing = uniqueName("js-none");
    const notFound = await expectError(h2.send(new DescribeStreamSummaryCommand({ StreamName: missing })), "ResourceNotFoundException");
    assert.ok(notFound instanceof ResourceNotFoundException);
    assert.ok(notFound instanceof KinesisServiceException);
    assert.equal(notFound.$metadata.httpStatusCode, 400);
    assert.match(notFound.message, new RegExp(missing));

    const StreamName = await activeStream(h2);
    const inUse = await expectError(h2.send(new CreateStreamCommand({ StreamName, ShardCount: 1 })), "ResourceInUseException");
    assert.ok(inUse instanceof ResourceInUseException);

    const invalid = await expectError(
      h2.send(new GetShardIteratorCommand({ StreamName, ShardId: "shardId-000000000000", ShardIteratorType: "AT_SEQUENCE_NUMBER" })),
      "InvalidArgumentException",
    );
    assert.ok(invalid instanceof InvalidArgumentException);

    await expectError(
      h2.send(new GetShardIteratorCommand({ StreamName, ShardId: "shardId-000000000009", ShardIteratorType: "LATEST" })),
      "ResourceNotFoundException",
    );
    await expectError(
      h2.send(new PutRecordCommand({ StreamName, PartitionKey: "", Data: bytes("x") })),
      "ValidationException",
    );
  });
});
