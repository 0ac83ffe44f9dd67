import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { QUEUE_MAX_RETRIES } from "../../src/core/policy";
import type { DeliveryJob, EventMessage } from "../../src/core/schemas";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { handleDeliveriesBatch } from "../../src/queue/deliveries";
import { handleEventsBatch } from "../../src/queue/fanout";
import { capturingQueue, failingEndpoints } from "../faults";
import {
  atLeast, boxUrl, call, createHook, dataOf, json, newBox, newTenant, OPERATOR, received, testEnv, waitFor,
} from "../helpers";

const PROBLEM = "application/problem+json";

function eventBody(tenantId: string, id: string, i: number, now: number): EventMessage {
  return { v: 1, tenant_id: tenantId, id, type: "dl.created", data: { i }, published_at: now, index: i };
}

async function settle(batch: MessageBatch<unknown>) {
  return getQueueResult(batch, createExecutionContext());
}

/** What the queue does with hookline-dead: hand the messages to the Worker's queue handler. */
async function consumeDead(bodies: unknown[], prefix: string) {
  const batch = createMessageBatch("hookline-dead", bodies.map((body, i) => ({ id: `${prefix}-${i}`, timestamp: new Date(), attempts: 1, body })));
  await worker.queue(batch, testEnv);
  return settle(batch);
}

describe("a hook whose endpoint object keeps failing", () => {
  it("does not hold other hooks' deliveries hostage; its share dies visibly and a redrive delivers it exactly once", async () => {
    const t = await newTenant();
    const [a, b, c] = [newBox("dla"), newBox("dlb"), newBox("dlc")];
    await createHook(t, { url: boxUrl(a), events: ["dl.*"], order_window_ms: 0 });
    const hookB = await createHook(t, { url: boxUrl(b), events: ["dl.*"], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(c), events: ["dl.*"], order_window_ms: 0 });
    const failing = new Set([hookB.id]);
    const deliveries = capturingQueue<DeliveryJob>();
    const dead = capturingQueue();
    const env: Env = { ...testEnv, ENDPOINTS: failingEndpoints(testEnv.ENDPOINTS, failing), DELIVERIES: deliveries.queue, DEAD: dead.queue };

    // 1. three events, each for A, B and C: B's admit throws
    const now = Date.now();
    const events = [0, 1, 2].map((i) => eventBody(t.id, `evt-dl-${now}-${i}`, i, now));
    const batch = createMessageBatch("hookline-events", events.map((body, i) => ({ id: `dl-m${i}`, timestamp: new Date(now), attempts: 1, body })));
    await handleEventsBatch(batch, env);
    const result = await settle(batch);
    expect(result.explicitAcks.sort()).toEqual(["dl-m0", "dl-m1", "dl-m2"]);
    expect(result.retryMessages).toEqual([]);
    expect(dataOf(await waitFor(a, atLeast(3)))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(dataOf(await waitFor(c, atLeast(3)))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(await received(b)).toEqual([]);
    // ...B's share of each event became its own fan-out job
    expect(deliveries.sent).toEqual(events.map((event) => ({ kind: "fanout", event, hook_ids: [hookB.id] })));

    // 2. each job retries on its own until its last attempt, which sends it to hookline-dead with the error
    for (const [k, job] of deliveries.sent.entries()) {
      for (let attempt = 1; attempt <= QUEUE_MAX_RETRIES + 1; attempt++) {
        const jobs = createMessageBatch("hookline-deliveries", [{ id: `dl-job${k}`, timestamp: new Date(now), attempts: attempt, body: job }]);
        await handleDeliveriesBatch(jobs, env);
        const r = await settle(jobs);
        if (attempt <= QUEUE_MAX_RETRIES) expect(r.retryMessages.map((m) => m.msgId)).toEqual([`dl-job${k}`]);
        else expect(r.explicitAcks).toEqual([`dl-job${k}`]);
      }
    }
    expect(deliveries.sent).toHaveLength(3); // a one-hook job retries itself, it does not split again
    expect(dead.sent).toHaveLength(3);

    // 3. the dead-letter consumer records them (once, even if hookline-dead delivers a message twice)
    expect((await consumeDead(dead.sent, "dl-dead")).explicitAcks).toHaveLength(3);
    expect((await consumeDead(dead.sent, "dl-dead-again")).explicitAcks).toHaveLength(3);

    const stats = await json(call("/v1/stats", { key: t.key }));
    expect(stats.tenant.dead_letters).toBe(3);
    expect(stats.tenant.dead_letters_open).toBe(3);

    const listed = await call(`/v1/dead-letters?tenant_id=${t.id}`, { key: OPERATOR });
    expect(listed.status).toBe(200);
    const { data, next_cursor } = await listed.json<any>();
    expect(next_cursor).toBeNull();
    expect(data).toHaveLength(3);
    expect(data.map((d: any) => d.event_id).sort()).toEqual(events.map((e) => e.id));
    for (const d of data) {
      expect(d).toMatchObject({
        tenant_id: t.id, hook_ids: [hookB.id], kind: "fanout", queue: "hookline-deliveries", attempts: QUEUE_MAX_RETRIES + 1, redriven_at: null,
      });
      expect(d.reason).toContain("injected: endpoint object unavailable");
    }
    const one = await json(call(`/v1/dead-letters/${data[0].id}`, { key: OPERATOR }));
    expect(one.body).toEqual({ kind: "fanout", event: events.find((e) => e.id === data[0].event_id), hook_ids: [hookB.id] });

    // 4. the fault clears; a redrive goes through the real queues and B gets each event once
    failing.clear();
    const redriven = await call("/v1/dead-letters/redrive", { key: OPERATOR, body: { tenant_id: t.id } });
    expect(redriven.status).toBe(202);
    expect((await redriven.json<any>()).data.map((d: any) => d.queue)).toEqual(["hookline-deliveries", "hookline-deliveries", "hookline-deliveries"]);
    const bLog = await waitFor(b, atLeast(3));
    expect(dataOf(bLog).map((d) => d.i).sort()).toEqual([0, 1, 2]);
    expect(bLog.every((r) => r.headers["webhook-id"]?.startsWith(`evt-dl-${now}-`))).toBe(true);

    // redriving again is harmless: the consumer's admit finds the event already there
    const again = await call(`/v1/dead-letters/${data[0].id}/redrive`, { key: OPERATOR, method: "POST" });
    expect(again.status).toBe(202);
    const jobs = createMessageBatch("hookline-deliveries", [{ id: "dl-redrive-dup", timestamp: new Date(), attempts: 1, body: one.body as DeliveryJob }]);
    await handleDeliveriesBatch(jobs, testEnv);
    expect((await settle(jobs)).explicitAcks).toEqual(["dl-redrive-dup"]);
    expect((await received(b)).length).toBe(3);
    expect((await received(a)).length).toBe(3);
    expect((await received(c)).length).toBe(3);

    const after = await json(call("/v1/stats", { key: t.key }));
    expect(after.tenant.dead_letters).toBe(3);
    expect(after.tenant.dead_letters_open).toBe(0);
    const open = await json(call(`/v1/dead-letters?tenant_id=${t.id}&status=open`, { key: OPERATOR }));
    expect(open.data).toEqual([]);
  });
});

describe("the dead-letter consumer", () => {
  it("records messages moved after their retries with their original body, and invalid ones with their reason", async () => {
    const t = await newTenant();
    const box = newBox("dlraw");
    const hook = await createHook(t, { url: boxUrl(box), events: ["dl.*"], order_window_ms: 0 });
    const now = Date.now();
    const delivered = eventBody(t.id, `evt-dlraw-${now}-0`, 0, now);
    const lost = eventBody(t.id, `evt-dlraw-${now}-1`, 1, now);
    // the first event was delivered before its message died (e.g. the ack was lost)
    const first = createMessageBatch("hookline-events", [{ id: "dlraw-m0", timestamp: new Date(now), attempts: 1, body: delivered }]);
    await handleEventsBatch(first, testEnv);
    await waitFor(box, atLeast(1));

    const drain: DeliveryJob = { kind: "drain", hook_id: hook.id, leases: ["lease_x"] };
    const invalid = { reason: "v: Invalid input: expected 1", message_id: "producer-msg-1", body: { v: 2, tenant_id: t.id, id: "evt-bad" } };
    const r = await consumeDead([delivered, lost, drain, invalid], `dlraw-${now}`);
    expect(r.explicitAcks).toHaveLength(4);

    const { data } = await json(call(`/v1/dead-letters?tenant_id=${t.id}`, { key: OPERATOR }));
    const byKind = Object.fromEntries(data.map((d: any) => [d.kind + (d.event_id ?? ""), d]));
    expect(Object.keys(byKind).sort()).toEqual(["drain", `event${delivered.id}`, `event${lost.id}`, "invalidevt-bad"].sort());
    expect(byKind[`event${lost.id}`]).toMatchObject({ queue: "hookline-events", hook_ids: null, tenant_id: t.id });
    expect(byKind[`event${lost.id}`].reason).toMatch(/retries exhausted/);
    expect(byKind.drain).toMatchObject({ queue: "hookline-deliveries", hook_ids: [hook.id], tenant_id: t.id, event_id: null });
    expect(byKind["invalidevt-bad"]).toMatchObject({ queue: null, reason: "v: Invalid input: expected 1", message_id: "producer-msg-1" });
    expect((await json(call("/v1/stats", { key: t.key }))).tenant.dead_letters).toBe(4);

    // an invalid message cannot be redriven
    const refused = await call(`/v1/dead-letters/${byKind["invalidevt-bad"].id}/redrive`, { key: OPERATOR, method: "POST" });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe(PROBLEM);
    expect((await refused.json<any>()).type).toBe("https://hookline.dev/problems/conflict");

    // redriving both events sends them through fan-out again: the lost one arrives, the other is not repeated
    for (const ev of [delivered, lost]) {
      const res = await call(`/v1/dead-letters/${byKind[`event${ev.id}`].id}/redrive`, { key: OPERATOR, method: "POST" });
      expect(res.status).toBe(202);
      expect((await res.json<any>()).queue).toBe("hookline-events");
    }
    await waitFor(box, atLeast(2));
    const again = createMessageBatch("hookline-events", [{ id: "dlraw-dup", timestamp: new Date(), attempts: 1, body: delivered }]);
    await handleEventsBatch(again, testEnv);
    expect(dataOf(await received(box))).toEqual([{ i: 0 }, { i: 1 }]);
  });

  it("is in the OpenAPI document under the operator token, and the tenant stats show the counts", async () => {
    const doc = await json(call("/openapi.json"));
    const ops = [
      doc.paths["/v1/dead-letters"].get, doc.paths["/v1/dead-letters/{id}"].get,
      doc.paths["/v1/dead-letters/{id}/redrive"].post, doc.paths["/v1/dead-letters/redrive"].post,
    ];
    for (const op of ops) expect(op.security).toEqual([{ operatorToken: [] }]);
    expect(Object.keys(doc.components.schemas.Stats.properties.tenant.properties)).toEqual(expect.arrayContaining(["dead_letters", "dead_letters_open"]));
  });

  it("is for the operator only, and answers bad ids and queries with problem+json", async () => {
    const t = await newTenant();
    for (const key of [null, t.key]) {
      const res = await call("/v1/dead-letters", { key });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe(PROBLEM);
    }
    const cases: [string, string | undefined, number][] = [
      ["/v1/dead-letters/nope", undefined, 422],
      ["/v1/dead-letters/dead_01JD0000000000000000000000", undefined, 404],
      ["/v1/dead-letters?status=maybe", undefined, 422],
      ["/v1/dead-letters?limit=100000", undefined, 422],
      ["/v1/dead-letters/dead_01JD0000000000000000000000/redrive", "POST", 404],
    ];
    for (const [path, method, status] of cases) {
      const res = await call(path, { key: OPERATOR, method });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get("content-type")).toBe(PROBLEM);
    }
    const bad = await call("/v1/dead-letters/redrive", { key: OPERATOR, body: { tenant_id: "ten_x", surprise: 1 } });
    expect(bad.status).toBe(422);
  });
});
