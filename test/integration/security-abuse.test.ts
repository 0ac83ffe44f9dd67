/**
 * Issue 15, findings 2, 3, 9 and 17: what a key holding only `events:publish` (or a hostile
 * publisher) can make Hookline do.
 */
import { describe, expect, it, vi } from "vitest";
import { emitOperational } from "../../src/lifecycle/operational";
import { EPHEMERAL_TARGETS_PER_MINUTE } from "../../src/core/policy";
import { atLeast, boxUrl, call, createHook, json, newBox, newTenant, OPERATOR, received, testEnv, waitFor } from "../helpers";

const problem = async (res: Response, status: number) => {
  const body = await res.clone().text();
  expect(res.status, body).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return JSON.parse(body);
};

describe("finding 2: one-off targets need webhook:manage and are rate-limited per tenant", () => {
  it("a publish-only key cannot make Hookline POST to a URL of its choosing, alone or in a batch", async () => {
    const t = await newTenant();
    const box = newBox("tgt");
    const one = await call("/v1/events", { key: t.publishKey, body: { type: "x", target: { url: boxUrl(box) } } });
    expect((await problem(one, 403)).detail).toMatch(/webhook:manage/);
    const batch = await call("/v1/events/batch", { key: t.publishKey, body: { events: [{ type: "x" }, { type: "y", target: { url: boxUrl(box) } }] } });
    await problem(batch, 403);
    // nothing was created and nothing is sent
    expect((await json(call("/v1/hooks", { key: t.key }))).data).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(box)).toEqual([]);
    // plain publishing stays open to the publish-only key
    expect((await call("/v1/events", { key: t.publishKey, body: { type: "x" } })).status).toBe(202);
  });

  it("a key with webhook:manage and events:publish may use targets", async () => {
    const t = await newTenant();
    const key = (await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR, body: { scopes: ["webhook:manage", "events:publish"] } }))).key;
    const box = newBox("tgt");
    const res = await call("/v1/events", { key, body: { type: "x", target: { url: boxUrl(box) } } });
    expect(res.status, await res.clone().text()).toBe(202);
    await waitFor(box, atLeast(1));
  });

  it(`at most ${EPHEMERAL_TARGETS_PER_MINUTE} one-off targets per tenant per minute; beyond that 429 with Retry-After, and other tenants are unaffected`, async () => {
    const t = await newTenant();
    const other = await newTenant();
    const box = newBox("rate");
    const targeted = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "x", data: { i }, target: { url: boxUrl(box) } }));
    // one clock instant for the whole exchange, so the minute window cannot roll over mid-test
    const now = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: now - (now % 60_000) + 1_000 });
    try {
      // one batch over the limit is refused whole, and spends nothing
      const over = await call("/v1/events/batch", { key: t.key, body: { events: targeted(EPHEMERAL_TARGETS_PER_MINUTE + 1) } });
      expect((await problem(over, 429)).type).toBe("https://hookline.dev/problems/rate-limited");
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Number(over.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      const full = await call("/v1/events/batch", { key: t.key, body: { events: targeted(EPHEMERAL_TARGETS_PER_MINUTE) } });
      expect(full.status, await full.clone().text()).toBe(202);
      const next = await call("/v1/events", { key: t.key, body: { type: "x", target: { url: boxUrl(box) } } });
      await problem(next, 429);
      expect(next.headers.get("retry-after")).toMatch(/^\d+$/);
      // publishing without a target is not limited, and another tenant has its own allowance
      expect((await call("/v1/events", { key: t.key, body: { type: "x" } })).status).toBe(202);
      expect((await call("/v1/events", { key: other.key, body: { type: "x", target: { url: boxUrl(newBox("o")) } } })).status).toBe(202);
    } finally {
      vi.useRealTimers();
    }
    await waitFor(box, atLeast(EPHEMERAL_TARGETS_PER_MINUTE), 60_000);
  });
});

describe("finding 3: operational events cannot be spoofed", () => {
  it("refuses the hookline. type prefix from publishers, in every case and in batches and the catalogue", async () => {
    const t = await newTenant();
    for (const type of ["hookline.hook.expired", "hookline.hook.disabled", "hookline.delivery.failed", "hookline.ping", "Hookline.hook.expired", "HOOKLINE.x"]) {
      const res = await call("/v1/events", { key: t.key, body: { type, id: `hookline.hook.expired:hook_01JD0000000000000000000000:${Date.now()}` } });
      const p = await problem(res, 422);
      expect(p.errors[0].loc).toEqual(["body", "type"]);
    }
    await problem(await call("/v1/events/batch", { key: t.key, body: { events: [{ type: "a" }, { type: "hookline.hook.expired" }] } }), 422);
    await problem(await call("/v1/event-types", { key: t.key, body: { name: "hookline.hook.expired" } }), 422);
  });

  it("gives operational events ids the public schema refuses, so a publisher cannot pre-empt the real alert as a duplicate", async () => {
    const t = await newTenant();
    const alerts = newBox("alerts");
    const watched = await createHook(t, { url: boxUrl(newBox("w")), events: ["never"] });
    await createHook(t, { url: boxUrl(alerts), events: ["hookline.hook.expired", "x"], order_window_ms: 0 });
    const at = Date.now();
    // the id today's alert would carry, published first by the tenant under an ordinary type
    const guessed = `hookline.hook.expired:${watched.id}:${at}`;
    const spoof = await call("/v1/events", { key: t.key, body: { type: "x", id: guessed, data: { fake: true } } });
    expect(spoof.status).toBe(202); // an ordinary event with an ordinary id
    await waitFor(alerts, atLeast(1));
    await emitOperational(testEnv, t.id, "hookline.hook.expired", `${watched.id}:${at}`, { hook_id: watched.id, real: true });
    const log = await waitFor(alerts, atLeast(2));
    const real = log.filter((r) => r.method === "POST").map((r) => ({ id: r.headers["webhook-id"]!, body: JSON.parse(r.body) })).find((r) => r.body.type === "hookline.hook.expired");
    expect(real?.body.data).toEqual({ hook_id: watched.id, real: true });
    // and that id cannot be published by anyone
    const again = await call("/v1/events", { key: t.key, body: { type: "x", id: real!.id } });
    expect((await problem(again, 422)).errors[0].loc).toEqual(["body", "id"]);
  });
});

describe("finding 9: event-type writes need webhook:manage", () => {
  it("a publish-only key reads the catalogue but cannot add, change, archive or import types", async () => {
    const t = await newTenant();
    expect((await call("/v1/event-types", { key: t.manageKey, body: { name: "order.created" } })).status).toBe(201);
    expect((await call("/v1/event-types", { key: t.publishKey })).status).toBe(200);
    expect((await call("/v1/event-types/presets/bimdata", { key: t.publishKey })).status).toBe(200);
    await problem(await call("/v1/event-types", { key: t.publishKey, body: { name: "order.paid" } }), 403);
    await problem(await call("/v1/event-types/order.created", { method: "PATCH", key: t.publishKey, body: { archived: true } }), 403);
    await problem(await call("/v1/event-types/import/bimdata", { method: "POST", key: t.publishKey }), 403);
    const list = await json(call("/v1/event-types", { key: t.manageKey }));
    expect(list.data.map((e: { name: string; archived: boolean }) => [e.name, e.archived])).toEqual([["order.created", false]]);
  });
});

describe("finding 17: deeply nested event data", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  it("answers 422 past 64 levels, for one event and in a batch, never 500", async () => {
    const t = await newTenant();
    for (const depth of [65, 1000, 5000, 20_000]) {
      const one = await call("/v1/events", { key: t.key, raw: `{"type":"x","data":${nested(depth)}}`, headers: { "content-type": "application/json" } });
      expect((await problem(one, 422)).errors[0].loc).toEqual(["body", "data"]);
      const obj = `{"a":`.repeat(depth) + "1" + "}".repeat(depth);
      const batch = await call("/v1/events/batch", { key: t.key, raw: `{"events":[{"type":"x"},{"type":"y","data":${obj}}]}`, headers: { "content-type": "application/json" } });
      expect((await problem(batch, 422)).errors[0].loc).toEqual(["body", "events", 1, "data"]);
    }
    const ok = await call("/v1/events", { key: t.key, raw: `{"type":"x","data":${nested(64)}}`, headers: { "content-type": "application/json" } });
    expect(ok.status).toBe(202);
  });
});
