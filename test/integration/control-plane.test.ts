import { beforeAll, describe, expect, it } from "vitest";
import { call, createHook, json, newTenant, OPERATOR, type Tenant } from "../helpers";
import { testEnv } from "../helpers";

const HOOK = { url: "http://127.0.0.1:9/hook", events: ["order.*"] };

describe("operator routes", () => {
  it("need the operator token", async () => {
    const t = await newTenant();
    expect((await call("/v1/tenants", { body: { name: "x" } })).status).toBe(401);
    expect((await call("/v1/tenants", { key: t.key, body: { name: "x" } })).status).toBe(401);
    expect((await call("/v1/tenants", { key: "wrong", body: { name: "x" } })).status).toBe(401);
    expect((await call("/v1/tenants", { key: OPERATOR, body: { name: "x" } })).status).toBe(201);
  });

  it("show an API key once and store only its hash", async () => {
    const t = await json(call("/v1/tenants", { key: OPERATOR, body: { name: "acme" } }));
    const created = await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR, body: { scopes: ["webhook:manage"] } }));
    expect(created.key).toMatch(/^hk_/);
    const listed = await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR }));
    expect(JSON.stringify(listed)).not.toContain(created.key);
    const row = await testEnv.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(row)).not.toContain(created.key);
  });

  it("revoking a key locks it out", async () => {
    const t = await json(call("/v1/tenants", { key: OPERATOR, body: { name: "acme" } }));
    const k = await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR, body: { scopes: ["webhook:manage"] } }));
    expect((await call("/v1/hooks", { key: k.key })).status).toBe(200);
    expect((await call(`/v1/tenants/${t.id}/api-keys/${k.id}`, { method: "DELETE", key: OPERATOR })).status).toBe(204);
    expect((await call("/v1/hooks", { key: k.key })).status).toBe(401);
  });
});

describe("API key scopes", () => {
  let t: Tenant;
  beforeAll(async () => (t = await newTenant()));

  it("a publish-only key cannot create hooks (403)", async () => {
    const res = await call("/v1/hooks", { key: t.publishKey, body: HOOK });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await res.json<any>()).type).toMatch(/forbidden$/);
  });
  it("a manage-only key cannot publish events (403)", async () => {
    expect((await call("/v1/events", { key: t.manageKey, body: { type: "a" } })).status).toBe(403);
  });
  it("a read-only key can do neither", async () => {
    expect((await call("/v1/hooks", { key: t.readKey })).status).toBe(403);
    expect((await call("/v1/events", { key: t.readKey, body: { type: "a" } })).status).toBe(403);
  });
  it("the right scope is let in", async () => {
    expect((await call("/v1/hooks", { key: t.manageKey, body: HOOK })).status).toBe(201);
    expect((await call("/v1/events", { key: t.publishKey, body: { type: "a" } })).status).toBe(202);
  });
});

describe("tenant isolation", () => {
  it("another tenant's hook is a 404 on every hook route", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const hook = await createHook(a, HOOK);
    const routes: [string, string, unknown?][] = [
      ["GET", `/v1/hooks/${hook.id}`],
      ["PATCH", `/v1/hooks/${hook.id}`, { description: "mine now" }],
      ["DELETE", `/v1/hooks/${hook.id}`],
      ["POST", `/v1/hooks/${hook.id}/activate`, {}],
      ["POST", `/v1/hooks/${hook.id}/deactivate`],
      ["POST", `/v1/hooks/${hook.id}/rotate-secret`, {}],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(path, { method, key: b.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    const list = await json(call("/v1/hooks", { key: b.key }));
    expect(list.data).toEqual([]);
    // untouched for its owner
    const mine = await json(call(`/v1/hooks/${hook.id}`, { key: a.key }));
    expect(mine.description).toBeNull();
    expect(mine.enabled).toBe(true);
  });
});

describe("hook secrets", () => {
  it("are returned on create only, and stored encrypted", async () => {
    const t = await newTenant();
    const hook = await createHook(t, HOOK);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await call(`/v1/hooks/${hook.id}`, { key: t.key });
    const text = await got.text();
    expect(text).not.toContain(hook.secret);
    expect(text).not.toContain(hook.secret.slice(6));
    expect(JSON.parse(text).has_secret).toBe(true);
    const list = await (await call("/v1/hooks", { key: t.key })).text();
    expect(list).not.toContain(hook.secret.slice(6));
    const patched = await (await call(`/v1/hooks/${hook.id}`, { method: "PATCH", key: t.key, body: { description: "d" } })).text();
    expect(patched).not.toContain(hook.secret.slice(6));
    const row = await testEnv.DB.prepare("SELECT * FROM hooks WHERE id = ?").bind(hook.id).first<Record<string, unknown>>();
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(hook.secret.slice(6));
    expect(String(row!.secret_enc)).toMatch(/^v2\./); // sealed under the hook-secret key, bound to the hook (issue 15)
  });

  it("use 64 hex characters for the seed profiles", async () => {
    const t = await newTenant();
    for (const profile of ["bimdata", "itwin", "speckle", "idfy", "propstack"]) {
      const hook = await createHook(t, { ...HOOK, profile, validation: "none" });
      expect(hook.secret, profile).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("may be supplied, or left out where the profile allows it (Propstack, Speckle)", async () => {
    const t = await newTenant();
    expect((await createHook(t, { ...HOOK, profile: "propstack", secret: null })).has_secret).toBe(false);
    expect((await createHook(t, { ...HOOK, profile: "speckle", secret: "my-own-secret" })).secret).toBe("my-own-secret");
    const res = await call("/v1/hooks", { key: t.key, body: { ...HOOK, profile: "idfy", secret: null } });
    expect(res.status).toBe(422);
  });
});

describe("hook CRUD", () => {
  it("creates, lists with a cursor, updates, deactivates, activates and deletes", async () => {
    const t = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createHook(t, { ...HOOK, description: `h${i}` })).id);
    const p1 = await json(call("/v1/hooks?limit=2", { key: t.key }));
    expect(p1.data.map((h: any) => h.id)).toEqual(ids.slice(0, 2));
    const p2 = await json(call(`/v1/hooks?limit=2&cursor=${p1.next_cursor}`, { key: t.key }));
    expect(p2.data.map((h: any) => h.id)).toEqual(ids.slice(2, 4));
    const p3 = await json(call(`/v1/hooks?limit=2&cursor=${p2.next_cursor}`, { key: t.key }));
    expect(p3.data.map((h: any) => h.id)).toEqual(ids.slice(4));
    expect(p3.next_cursor).toBeNull();

    const id = ids[0]!;
    const upd = await json(call(`/v1/hooks/${id}`, { method: "PATCH", key: t.key, body: { events: ["a.b"], ordering: "none", retry_schedule: [0, 1] } }));
    expect(upd).toMatchObject({ events: ["a.b"], ordering: "none", retry_schedule: [0, 1], last_delivery: { status: "none", icon: "❕" } });
    expect((await json(call(`/v1/hooks/${id}/deactivate`, { method: "POST", key: t.key }))).enabled).toBe(false);
    expect((await json(call(`/v1/hooks/${id}/activate`, { method: "POST", key: t.key }))).enabled).toBe(true);
    expect((await call(`/v1/hooks/${id}`, { method: "DELETE", key: t.key })).status).toBe(204);
    expect((await call(`/v1/hooks/${id}`, { key: t.key })).status).toBe(404);
  });
});
