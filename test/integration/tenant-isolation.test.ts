/**
 * Issue 15, finding 1: one tenant must not be able to push other tenants' events into retries or
 * hookline-dead. Quotas (hooks, one-off targets, definition size), fan-out that reads routing
 * columns only and retries only the failing tenant's messages, and crons that read narrowly.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EventMessage } from "../../src/core/schemas";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { handleEventsBatch } from "../../src/queue/fanout";
import { expireHooks } from "../../src/scheduled/expire";
import { spyingD1 } from "../faults";
import { atLeast, boxUrl, call, createHook, dataOf, json, newBox, newTenant, received, script, testEnv, waitFor, type Tenant } from "../helpers";

const PROBLEMS = "https://hookline.dev/problems/";

/** A request through the Worker with other vars than the test defaults (e.g. smaller quotas). */
async function callWith(env: Env, path: string, init: { key: string; body?: unknown; method?: string }): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.key}` };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://hookline.test${path}`, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return worker.fetch(req, env, createExecutionContext());
}

async function problem(res: Response, status: number, slug: string) {
  const text = await res.clone().text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(JSON.parse(text).type).toBe(PROBLEMS + slug);
  return JSON.parse(text);
}

/** `n` metadata entries of ~1 KB, carrying a marker the test looks for in what D1 returned. */
const bigMetadata = (n: number, marker: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${marker}${i}`.padEnd(1000, "m")]));

describe("per-tenant quotas", () => {
  it("a tenant at its hook quota gets 409 hook-quota-exceeded; another tenant, and one-off targets, are not counted against it", async () => {
    const env: Env = { ...testEnv, MAX_HOOKS_PER_TENANT: "3" };
    const [t, other] = [await newTenant(), await newTenant()];
    const box = newBox("quota");
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await callWith(env, "/v1/hooks", { key: t.key, body: { url: boxUrl(box, `h${i}`) } });
      expect(res.status).toBe(201);
      made.push((await res.json<any>()).id);
    }
    const refused = await problem(await callWith(env, "/v1/hooks", { key: t.key, body: { url: boxUrl(box, "h3") } }), 409, "hook-quota-exceeded");
    expect(refused.detail).toContain("the limit is 3");
    expect((await json(callWith(env, "/v1/hooks", { key: t.key }))).data).toHaveLength(3);
    expect((await callWith(env, "/v1/hooks", { key: other.key, body: { url: boxUrl(box, "other") } })).status).toBe(201);
    // a one-off target is an ephemeral hook, under its own quota
    expect((await callWith(env, "/v1/events", { key: t.key, body: { type: "x", target: { url: boxUrl(box, "one-off") } } })).status).toBe(202);
    // deleting a hook makes room again
    expect((await callWith(env, `/v1/hooks/${made[0]}`, { key: t.key, method: "DELETE" })).status).toBe(204);
    expect((await callWith(env, "/v1/hooks", { key: t.key, body: { url: boxUrl(box, "h4") } })).status).toBe(201);
  });

  it("one-off targets still delivering are capped per tenant: 429 one-off-target-quota-exceeded", async () => {
    const env: Env = { ...testEnv, MAX_ONE_OFF_TARGETS_PER_TENANT: "2" };
    const [t, other] = [await newTenant(), await newTenant()];
    const box = newBox("oneoff");
    await script(box, [], { status: 503 }); // the targets keep failing, so they stay live
    for (let i = 0; i < 2; i++) {
      expect((await callWith(env, "/v1/events", { key: t.key, body: { type: "x", data: { i }, target: { url: boxUrl(box) } } })).status).toBe(202);
    }
    const res = await callWith(env, "/v1/events", { key: t.key, body: { type: "x", target: { url: boxUrl(box) } } });
    expect((await problem(res, 429, "one-off-target-quota-exceeded")).detail).toContain("the limit is 2");
    const batch = await callWith(env, "/v1/events/batch", { key: t.key, body: { events: [{ type: "x", target: { url: boxUrl(box) } }] } });
    await problem(batch, 429, "one-off-target-quota-exceeded");
    // publishing without a target, and other tenants' targets, go on
    expect((await callWith(env, "/v1/events", { key: t.key, body: { type: "x" } })).status).toBe(202);
    expect((await callWith(env, "/v1/events", { key: other.key, body: { type: "x", target: { url: boxUrl(box) } } })).status).toBe(202);
  });

  it("a hook definition larger than 16 KiB serialized is refused with 413 hook-too-large, on create and on update", async () => {
    const t = await newTenant();
    const box = newBox("size");
    await problem(await call("/v1/hooks", { key: t.key, body: { url: boxUrl(box), metadata: bigMetadata(20, "m") } }), 413, "hook-too-large");
    // the filter counts too: 20 conditions of 100 values is far past the cap, though each part is valid
    const filter = { data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, { $in: Array.from({ length: 100 }, (_, k) => `v${k}`.padEnd(100, "x")) }])) };
    await problem(await call("/v1/hooks", { key: t.key, body: { url: boxUrl(box), filter } }), 413, "hook-too-large");
    const hook = await createHook(t, { url: boxUrl(box), metadata: bigMetadata(10, "m") });
    await problem(await call(`/v1/hooks/${hook.id}`, { key: t.key, method: "PATCH", body: { filter } }), 413, "hook-too-large");
    const unchanged = await json(call(`/v1/hooks/${hook.id}`, { key: t.key }));
    expect(unchanged.filter).toBeNull();
    expect(Object.keys(unchanged.metadata)).toHaveLength(10);
    // the cap is configurable
    const small: Env = { ...testEnv, MAX_HOOK_BYTES: "2048" };
    await problem(await callWith(small, "/v1/hooks", { key: t.key, body: { url: boxUrl(box), metadata: bigMetadata(2, "m") } }), 413, "hook-too-large");
    expect((await json(call("/v1/hooks", { key: t.key }))).data).toHaveLength(1);
  });
});

describe("the quotas in the OpenAPI document", () => {
  it("names each quota, its var and its problem type, and lists the statuses on the routes that can hit them", async () => {
    const doc = await json(call("/openapi.json"));
    for (const text of ["MAX_HOOKS_PER_TENANT", "hook-quota-exceeded", "MAX_ONE_OFF_TARGETS_PER_TENANT", "one-off-target-quota-exceeded", "MAX_HOOK_BYTES", "hook-too-large"]) {
      expect(doc.info.description).toContain(text);
    }
    expect(Object.keys(doc.paths["/v1/hooks"].post.responses)).toEqual(expect.arrayContaining(["409", "413"]));
    expect(Object.keys(doc.paths["/v1/hooks/{id}"].patch.responses)).toContain("413");
    expect(Object.keys(doc.paths["/v1/events"].post.responses)).toContain("429");
    expect(Object.keys(doc.paths["/v1/events/batch"].post.responses)).toContain("429");
  });
});

describe("fan-out isolates tenants", () => {
  async function tenantAtItsLimits(hooks: number, box: string, marker: string): Promise<Tenant> {
    const env: Env = { ...testEnv, MAX_HOOKS_PER_TENANT: String(hooks) };
    const t = await newTenant();
    for (let i = 0; i < hooks; i++) {
      // each definition just under the 16 KiB cap, all matching every load.* event
      const res = await callWith(env, "/v1/hooks", { key: t.key, body: { url: boxUrl(box, `h${i}`), events: ["load.*"], order_window_ms: 0, metadata: bigMetadata(15, marker) } });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    await problem(await callWith(env, "/v1/hooks", { key: t.key, body: { url: boxUrl(box, "over") } }), 409, "hook-quota-exceeded");
    return t;
  }

  it("a tenant at its limits whose D1 read fails cannot delay or drop another tenant's deliveries in the same batch; fan-out never reads metadata", async () => {
    const HOOKS = 12;
    const [xBox, yBox] = [newBox("heavy"), newBox("light")];
    const marker = `BIGMETA${Date.now()}`;
    const x = await tenantAtItsLimits(HOOKS, xBox, marker);
    const y = await newTenant();
    await createHook(y, { url: boxUrl(yBox), events: ["load.*"], order_window_ms: 0 });

    const now = Date.now();
    const message = (t: Tenant, name: string, i: number) => ({
      id: `${name}${i}`, timestamp: new Date(now), attempts: 1,
      body: { v: 1, tenant_id: t.id, id: `evt-${name}-${now}-${i}`, type: "load.tested", data: { i }, published_at: now, index: i } satisfies EventMessage,
    });
    const xs = [0, 1, 2].map((i) => message(x, "x", i));
    const ys = [0, 1, 2].map((i) => message(y, "y", i));
    const interleaved = [xs[0]!, ys[0]!, xs[1]!, ys[1]!, xs[2]!, ys[2]!];

    // 1. every D1 statement that names tenant X fails
    const faulty: Env = { ...testEnv, DB: spyingD1(testEnv.DB, { failFor: new Set([x.id]) }) };
    const batch = createMessageBatch("hookline-events", interleaved);
    await handleEventsBatch(batch, faulty);
    const r = await getQueueResult(batch, createExecutionContext());
    expect(r.explicitAcks.sort()).toEqual(["y0", "y1", "y2"]);
    expect(r.retryMessages.map((m) => m.msgId).sort()).toEqual(["x0", "x1", "x2"]);
    expect(dataOf(await waitFor(yBox, atLeast(3)))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(await received(xBox)).toEqual([]);

    // 2. X's retried messages go through once the fault clears: every hook, every event, in order
    const results: string[] = [];
    const healthy: Env = { ...testEnv, DB: spyingD1(testEnv.DB, { results }) };
    const retry = createMessageBatch("hookline-events", xs.map((m) => ({ ...m, attempts: 2 })));
    await handleEventsBatch(retry, healthy);
    expect((await getQueueResult(retry, createExecutionContext())).explicitAcks.sort()).toEqual(["x0", "x1", "x2"]);
    const log = await waitFor(xBox, atLeast(HOOKS * 3), 30_000);
    for (let i = 0; i < HOOKS; i++) expect(dataOf(log.filter((q) => q.path.endsWith(`/h${i}`)))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect((await received(yBox)).length).toBe(3);
    // fan-out read X's routing columns and the matched hooks' configs, never the 15 KB of metadata each carries
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((json) => json.includes(marker))).toBe(false);
    const oneHook = (await json(call("/v1/hooks?limit=1", { key: x.key }))).data[0];
    expect(Object.values(oneHook.metadata).join("")).toContain(marker);
    expect(results.join("")).toContain(oneHook.id);
  }, 90_000);
});

describe("crons read narrowly", () => {
  it("expiring a hook reads neither its filter nor its metadata", async () => {
    const t = await newTenant();
    const marker = `CRONMETA${Date.now()}`;
    const hook = await createHook(t, {
      url: boxUrl(newBox("exp")), metadata: bigMetadata(5, marker), filter: { data: { kind: { $eq: marker } } },
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const later = Date.now() + 2 * 3_600_000;
    const results: string[] = [];
    expect(await expireHooks({ ...testEnv, DB: spyingD1(testEnv.DB, { results }) }, later)).toBeGreaterThanOrEqual(1);
    expect((await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).status).toBe("expired");
    expect(results.join("")).toContain(hook.id);
    expect(results.some((json) => json.includes(marker))).toBe(false);
  });
});
