import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/api/app";
import { attemptDelivery } from "../../src/queue/send";
import { toHookConfig } from "../../src/db/hooks";
import type { HookRow } from "../../src/db/schema";
import {
  atLeast, boxUrl, call, createHook, json, newBox, newTenant, OPERATOR, publish, testEnv, waitFor, type Tenant,
} from "../helpers";

const H = "hook_01JD0000000000000000000000"; // replaced per test with a real id
const D = "dlv_01JD0000000000000000000000";

interface Route {
  method: string;
  path: (hook: string) => string;
  scope: "webhook:manage" | "events:publish" | "deliveries:read";
  body?: unknown;
  /** hook-scoped: another tenant's key must get 404 */
  tenantScoped?: boolean;
}

const ROUTES: Route[] = [
  { method: "GET", path: () => "/v1/hooks", scope: "webhook:manage" },
  { method: "POST", path: () => "/v1/hooks", scope: "webhook:manage", body: { url: "http://127.0.0.1:9/never", events: ["never.*"] } },
  { method: "GET", path: (h) => `/v1/hooks/${h}`, scope: "webhook:manage", tenantScoped: true },
  { method: "PATCH", path: (h) => `/v1/hooks/${h}`, scope: "webhook:manage", body: { description: "x" }, tenantScoped: true },
  { method: "DELETE", path: (h) => `/v1/hooks/${h}`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/activate`, scope: "webhook:manage", body: {}, tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/deactivate`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/revalidate`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/rotate-secret`, scope: "webhook:manage", body: {}, tenantScoped: true },
  { method: "GET", path: (h) => `/v1/hooks/${h}/public-key`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/test`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/recover`, scope: "webhook:manage", body: { since: new Date().toISOString() }, tenantScoped: true },
  { method: "GET", path: (h) => `/v1/hooks/${h}/deliveries`, scope: "deliveries:read", tenantScoped: true },
  { method: "GET", path: (h) => `/v1/hooks/${h}/deliveries/${D}`, scope: "deliveries:read", tenantScoped: true },
  { method: "POST", path: (h) => `/v1/hooks/${h}/deliveries/${D}/resend`, scope: "webhook:manage", tenantScoped: true },
  { method: "POST", path: () => "/v1/events", scope: "events:publish", body: { type: "a" } },
  { method: "POST", path: () => "/v1/events/batch", scope: "events:publish", body: { events: [{ type: "a" }] } },
  { method: "GET", path: () => "/v1/stats", scope: "deliveries:read" },
  { method: "GET", path: () => "/v1/event-types", scope: "webhook:manage" },
  { method: "POST", path: () => "/v1/event-types", scope: "webhook:manage", body: { name: "sec.test" } },
];

const keyFor = (t: Tenant, scope: Route["scope"]) => ({ "webhook:manage": t.manageKey, "events:publish": t.publishKey, "deliveries:read": t.readKey })[scope];
const wrongKeyFor = (t: Tenant, scope: Route["scope"]) => (scope === "deliveries:read" ? t.publishKey : t.readKey);

describe("every route: no key, a revoked key, the wrong scope, another tenant", () => {
  let a: Tenant;
  let b: Tenant;
  let revoked: string;
  beforeAll(async () => {
    a = await newTenant();
    b = await newTenant();
    const k = await json(call(`/v1/tenants/${a.id}/api-keys`, { key: OPERATOR, body: { scopes: ["webhook:manage", "events:publish", "deliveries:read"] } }));
    await call(`/v1/tenants/${a.id}/api-keys/${k.id}`, { method: "DELETE", key: OPERATOR });
    revoked = k.key;
  });

  it.each(ROUTES)("$method $scope $path", async (r) => {
    // a loopback sink: deliveries this test causes (test ping, events) never leave the machine
    const hook = (await createHook(a, { url: boxUrl(newBox("sink")) })).id;
    const path = r.path(hook);
    const send = (key: string | null) => call(path, { method: r.method, key, body: r.body });
    for (const [who, key] of [["no key", null], ["revoked key", revoked], ["garbage", "hk_notakey"]] as const) {
      const res = await send(key);
      expect(res.status, who).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    const wrong = await send(wrongKeyFor(a, r.scope));
    expect(wrong.status, "wrong scope").toBe(403);
    if (r.tenantScoped) expect((await send(keyFor(b, r.scope))).status, "other tenant").toBe(404);
    // and the right key of the right tenant is let in
    const okRes = await send(keyFor(a, r.scope));
    expect(okRes.status, await okRes.clone().text()).toBeLessThan(500);
    expect([401, 403]).not.toContain(okRes.status);
    void H;
  });

  it("operator routes refuse API keys", async () => {
    for (const key of [a.key, revoked, null]) {
      expect((await call("/v1/tenants", { key, body: { name: "x" } })).status).toBe(401);
      expect((await call(`/v1/tenants/${a.id}/api-keys`, { key })).status).toBe(401);
    }
  });
});

describe("secrets stay secret", () => {
  const logged: string[] = [];
  afterEach(() => vi.restoreAllMocks());

  it("never appear in responses after creation, in logs, or in the attempt log", async () => {
    for (const m of ["log", "warn", "error", "info", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const t = await newTenant();
    const box = newBox("sec");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0, retry_schedule: [0] });
    const rotated = (await json(call(`/v1/hooks/${hook.id}/rotate-secret`, { method: "POST", key: t.key }))).secret as string;
    await publish(t, { type: "x", data: { n: 1 } });
    await waitFor(box, atLeast(1));
    await new Promise((r) => setTimeout(r, 300));
    const secrets = [hook.secret, rotated].flatMap((s: string) => [s, s.slice(6)]);
    const responses = [
      await call("/v1/hooks", { key: t.key }),
      await call(`/v1/hooks/${hook.id}`, { key: t.key }),
      await call(`/v1/hooks/${hook.id}/deliveries`, { key: t.key }),
      await call("/v1/stats", { key: t.key }),
      await call(`/v1/hooks/${hook.id}`, { method: "PATCH", key: t.key, body: { description: "d" } }),
      await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key }),
      await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key }),
    ];
    const [d] = (await json(call(`/v1/hooks/${hook.id}/deliveries`, { key: t.key }))).data;
    responses.push(await call(`/v1/hooks/${hook.id}/deliveries/${d.id}`, { key: t.key }));
    for (const res of responses) {
      const text = await res.text();
      for (const s of secrets) expect(text).not.toContain(s);
    }
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) for (const s of secrets) expect(line).not.toContain(s);
  });
});

describe("ALLOW_PRIVATE_TARGETS=false", () => {
  const prod = () => ({ ...testEnv, ALLOW_PRIVATE_TARGETS: "false" });

  it("refuses private targets when a hook is created or updated", async () => {
    const t = await newTenant();
    const app = createApp();
    for (const url of ["http://127.0.0.1:8080/x", "https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest", "https://localhost/x", "https://10.1.2.3/x"]) {
      const res = await app.request("/v1/hooks", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify({ url }) }, prod());
      expect(res.status, url).toBe(422);
      expect((await res.json<any>()).errors[0].loc).toEqual(["body", "url"]);
    }
    const hook = await createHook(t, { url: boxUrl(newBox("sink")), events: ["never.*"] });
    const res = await app.request(`/v1/hooks/${hook.id}`, { method: "PATCH", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify({ url: "https://192.168.0.1/x" }) }, prod());
    expect(res.status).toBe(422);
  });

  it("refuses a private target at send time too (a hook stored while it was allowed)", async () => {
    const t = await newTenant();
    const box = newBox("priv");
    const hook = await createHook(t, { url: boxUrl(box) });
    const row = (await testEnv.DB.prepare("SELECT id FROM hooks WHERE id = ?").bind(hook.id).first()) as { id: string };
    const { getHook } = await import("../../src/db/hooks");
    const full = (await getHook(testEnv.DB, t.id, row.id)) as HookRow;
    const outcome = await attemptDelivery(prod() as never, {
      leaseId: "L", deliveryId: D, attempt: 1, hook: toHookConfig(full),
      event: { id: "evt_x", type: "x", timestamp: Date.now(), data: {} },
    });
    expect(outcome).toMatchObject({ ok: false, errorKind: "blocked_target", statusCode: null });
    expect(outcome.error).toMatch(/https is required|private/);
  });
});
