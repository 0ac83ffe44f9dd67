import { describe, expect, it } from "vitest";
import { FANOUT_CHUNK } from "../../src/core/policy";
import { boxUrl, call, newBox, newTenant, publish, waitFor } from "../helpers";

const HOOKS = 1500;

describe("fan-out at scale", () => {
  it(`one event to ${HOOKS} hooks reaches all ${HOOKS} (split into chunks of ${FANOUT_CHUNK})`, async () => {
    const t = await newTenant();
    const box = newBox("fan");
    for (let i = 0; i < HOOKS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, HOOKS - i) }, async (_, k) => {
          const res = await call("/v1/hooks", { key: t.key, body: { url: boxUrl(box, `h${i + k}`), events: ["fan.out"], order_window_ms: 0 } });
          expect(res.status).toBe(201);
        }),
      );
    }
    const { id } = await publish(t, { type: "fan.out", data: { hello: "everyone" } });
    const log = await waitFor(box, (l) => l.length >= HOOKS, 120_000);
    const paths = new Set(log.map((r) => r.path));
    expect(paths.size).toBe(HOOKS);
    expect(log.length).toBe(HOOKS);
    expect(log.every((r) => r.headers["webhook-id"] === id)).toBe(true);
  }, 180_000);
});

describe("fan-out past the per-invocation chunk", () => {
  it("a hook already being admitted in this invocation still gets a later event whose other hooks spill into chunks", async () => {
    const { createMessageBatch } = await import("cloudflare:test");
    const { handleEventsBatch } = await import("../../src/queue/fanout");
    const { atLeast, createHook, dataOf, received, testEnv } = await import("../helpers");
    const t = await newTenant();
    const [a, b, c] = [newBox("spa"), newBox("spb"), newBox("spc")];
    // created in this order so that e2 matches C before A
    await createHook(t, { url: boxUrl(c), events: ["e2"], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(a), events: ["e1", "e2"], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(b), events: ["e1"], order_window_ms: 0 });
    const now = Date.now();
    const batch = createMessageBatch("hookline-events", [
      { id: "m1", timestamp: new Date(now), attempts: 1, body: { v: 1, tenant_id: t.id, id: "evt-sp-1", type: "e1", data: 1, published_at: now, index: 0 } },
      { id: "m2", timestamp: new Date(now), attempts: 1, body: { v: 1, tenant_id: t.id, id: "evt-sp-2", type: "e2", data: 2, published_at: now, index: 1 } },
    ]);
    await handleEventsBatch(batch, testEnv, 2); // a chunk of 2 hooks: A and B fill it, C spills
    expect(dataOf(await waitFor(a, atLeast(2)))).toEqual([1, 2]);
    expect(dataOf(await waitFor(b, atLeast(1)))).toEqual([1]);
    expect(dataOf(await waitFor(c, atLeast(1)))).toEqual([2]);
    expect((await received(a)).length).toBe(2);
  });
});
