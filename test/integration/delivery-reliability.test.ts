import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EventMessage } from "../../src/core/schemas";
import { toHookConfig } from "../../src/db/hooks";
import type { HookRow } from "../../src/db/schema";
import type { EndpointDO } from "../../src/endpoint/endpoint-do";
import worker from "../../src/index";
import {
  atLeast, boxUrl, createHook, dataOf, endpoint, newBox, newTenant, publish, received, script, testEnv, waitFor,
} from "../helpers";
import { endpointRaw } from "../helpers";

async function hookRow(id: string): Promise<HookRow> {
  const { getHook } = await import("../../src/db/hooks");
  const r = await testEnv.DB.prepare("SELECT tenant_id FROM hooks WHERE id = ?").bind(id).first<{ tenant_id: string }>();
  return (await getHook(testEnv.DB, r!.tenant_id, id))!;
}

describe("crash safety and isolation", () => {
  it("a consumer that dies after a grant does not lose the delivery: the alarm re-releases it", async () => {
    const t = await newTenant();
    const box = newBox("crash");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    const stub = endpoint(hook.id);
    const raw = endpointRaw(hook.id);
    const event = { id: "evt_crash", type: "x", timestamp: Date.now(), data: { crash: true } };
    const res = await stub.admit(toHookConfig(await hookRow(hook.id)), [
      { id: "dlv_01JD00000000000000000CRASH", dedupeKey: "evt_crash", eventId: "evt_crash", publishedAt: Date.now(), index: 0, event },
    ], 1);
    expect(res.grants).toHaveLength(1); // ...and this "consumer" now dies without reporting
    expect(await received(box)).toEqual([]);

    await runInDurableObject(raw, (i: EndpointDO) => {
      const real = i.clock;
      i.clock = () => ({ ...real(), now: Date.now() + 31_000 }); // past the lease (timeout 15 s + margin)
    });
    expect(await runDurableObjectAlarm(raw)).toBe(true);
    const log = await waitFor(box, atLeast(1));
    expect(dataOf(log)).toEqual([{ crash: true }]);
    // the dead consumer's late report is ignored; exactly one delivery, succeeded
    await expect.poll(async () => (await stub.listDeliveries({ limit: 5 })).map((d) => d.status)).toEqual(["succeeded"]);
  });

  it("redelivering the same queue batch creates no duplicate deliveries", async () => {
    const t = await newTenant();
    const box = newBox("dup");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    const now = Date.now();
    const bodies: EventMessage[] = [0, 1, 2, 3, 4].map((i) => ({
      v: 1, tenant_id: t.id, id: `evt_dup_${i}`, type: "dup", data: { i }, published_at: now, index: i,
    }));
    const messages = bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(now), attempts: 1, body }));
    for (let round = 0; round < 2; round++) {
      const batch = createMessageBatch("hookline-events", messages);
      const ctx = createExecutionContext();
      await worker.queue(batch, testEnv);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      expect(result.retryMessages).toEqual([]);
    }
    const log = await waitFor(box, atLeast(5));
    await new Promise((r) => setTimeout(r, 300));
    expect(dataOf(await received(box))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
    expect(log.length).toBe(5);
    expect((await endpoint(hook.id).listDeliveries({ limit: 20 })).length).toBe(5);
  });

  it("an invalid queue message goes to the dead-letter queue with a reason, the rest is delivered", async () => {
    const t = await newTenant();
    const box = newBox("dlq");
    await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    const now = Date.now();
    const batch = createMessageBatch("hookline-events", [
      { id: "bad", timestamp: new Date(now), attempts: 1, body: { v: 2, nonsense: true } },
      { id: "good", timestamp: new Date(now), attempts: 1, body: { v: 1, tenant_id: t.id, id: "evt_good", type: "ok", data: 1 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["bad", "good"]); // bad was handed to hookline-dead first
    expect(dataOf(await waitFor(box, atLeast(1)))).toEqual([1]);
  });

  it("a failing hook does not delay another hook's deliveries", async () => {
    const t = await newTenant();
    const bad = newBox("bad");
    const good = newBox("good");
    await script(bad, [], { status: 500, delay_ms: 1500 });
    await script(good, [], { status: 200 });
    await createHook(t, { url: boxUrl(bad), retry_schedule: [0, 0, 60], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(good), order_window_ms: 0 });
    for (let i = 0; i < 10; i++) await publish(t, { type: "x", data: { i } });
    const log = await waitFor(good, atLeast(10));
    expect(dataOf(log).map((d) => d.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // by then the bad hook is still stuck on its first event
    expect(new Set(dataOf(await received(bad)).map((d) => d.i))).toEqual(new Set([0]));
  });
});

describe("endpoint objects that are only asked about", () => {
  it("store nothing: history of an unknown hook, a sweep poke and stats leave an object without tables", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const t = await newTenant();
    const ghost = "hook_01JD00000000000000000GHXST";
    const { call } = await import("../helpers");
    expect((await call(`/v1/hooks/${ghost}/deliveries`, { key: t.key })).status).toBe(404);
    await endpoint(ghost).poke();
    await endpoint(ghost).stats(0);
    const tables = await runInDurableObject(endpointRaw(ghost), (_i, state) =>
      state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'`).toArray(),
    );
    expect(tables).toEqual([]);
  });
});
