/**
 * The consumer portal's boundary (issue 18): a link for channel A manages A's hooks and nothing
 * else; expired, revoked, tampered and foreign tokens are refused; the token opens neither /v1 nor
 * the dashboard; cross-site posts fail; frame-ancestors is the tenant's setting.
 */
import { describe, expect, it } from "vitest";
import { sealClaims } from "../../src/core/crypto";
import { mintSession, sealOfToken, tokenOfSeal } from "../../src/portal/sessions";
import { OPERATOR, boxUrl, call, createHook, json, newBox, newTenant, testEnv, type Tenant } from "../helpers";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const SAME = { ...FORM, origin: "http://hookline.test" };
const pathOf = (url: string) => new URL(url).pathname;

async function session(t: Tenant, body: Record<string, unknown>, key = t.key) {
  const res = await call("/v1/portal/sessions", { key, body });
  const out = await res.json<any>();
  if (res.status !== 201) throw new Error(`mint failed: ${res.status} ${JSON.stringify(out)}`);
  return out as { id: string; url: string; token: string; expires_at: string; capabilities: string[] };
}

async function keyIdOf(t: Tenant, key: string) {
  const { data } = await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR }));
  return (data as { id: string; prefix: string }[]).find((k) => key.startsWith(k.prefix))!.id;
}

/** Two channels' hooks, one hook for every channel and one shared by A and B. */
async function setup() {
  const t = await newTenant();
  const a = await createHook(t, { url: boxUrl(newBox("pa")), description: "A's hook", channels: ["cloud-a"] });
  const b = await createHook(t, { url: boxUrl(newBox("pb")), description: "B's hook", channels: ["cloud-b"] });
  const all = await createHook(t, { url: boxUrl(newBox("pall")), description: "every channel" });
  const both = await createHook(t, { url: boxUrl(newBox("pab")), description: "A and B", channels: ["cloud-a", "cloud-b"] });
  const s = await session(t, { channel: "cloud-a" });
  return { t, a, b, all, both, s, base: pathOf(s.url) };
}

describe("minting a portal session", () => {
  it("needs webhook:manage and returns a url, a token and an expiry within 24 hours", async () => {
    const t = await newTenant();
    expect((await call("/v1/portal/sessions", { body: { channel: "x" } })).status).toBe(401);
    expect((await call("/v1/portal/sessions", { key: t.readKey, body: { channel: "x" } })).status).toBe(403);
    expect((await call("/v1/portal/sessions", { key: t.publishKey, body: { channel: "x" } })).status).toBe(403);
    const s = await session(t, { channel: "x" }, t.manageKey);
    expect(s.token).toMatch(/^hlp_/);
    expect(s.url).toBe(`http://hookline.test/portal/${s.token}`);
    expect(s.capabilities).toEqual(["read", "manage", "deliver"]);
    const left = Date.parse(s.expires_at) - Date.now();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(3600_000);
  });

  it("refuses a ttl over 24 hours, an unknown capability, a channel with spaces and a javascript: return_url with a 422", async () => {
    const t = await newTenant();
    for (const body of [
      { channel: "x", ttl_s: 86_401 }, { channel: "x", capabilities: ["admin"] }, { channel: "a b" },
      { channel: "x", return_url: "javascript:alert(1)" }, { channel: "x", branding: { accent_color: "red;}" } }, { channel: "x", extra: 1 },
    ]) {
      const res = await call("/v1/portal/sessions", { key: t.key, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

describe("a channel-A link", () => {
  it("lists exactly channel A's hooks", async () => {
    const { a, b, all, both, base } = await setup();
    const res = await call(base);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-hook="${a.id}"`);
    for (const other of [b, all, both]) expect(html).not.toContain(other.id);
  });

  it("gets 404 for channel B's hook, its deliveries and every action on it, and B's hook is unchanged", async () => {
    const { t, b, base } = await setup();
    const sent = await json(call(`/v1/hooks/${b.id}/test`, { key: t.key, method: "POST" }));
    for (const path of [`/hooks/${b.id}`, `/hooks/${b.id}/edit`, `/hooks/${b.id}/deliveries/${sent.delivery_id}`]) {
      expect((await call(base + path)).status, path).toBe(404);
    }
    for (const path of ["/test", "/deactivate", "/rotate", "/delete", "/edit", `/deliveries/${sent.delivery_id}/resend`]) {
      const res = await call(`${base}/hooks/${b.id}${path}`, { method: "POST", raw: "url=https%3A%2F%2Fevil.example%2F", headers: SAME });
      expect(res.status, path).toBe(404);
    }
    const after = await json(call(`/v1/hooks/${b.id}`, { key: t.key }));
    expect(after).toMatchObject({ enabled: true, url: b.url });
  });

  it("gets 404 for another tenant's hook of the same channel name", async () => {
    const { base } = await setup();
    const other = await newTenant();
    const theirs = await createHook(other, { url: boxUrl(newBox("px")), channels: ["cloud-a"] });
    expect((await call(`${base}/hooks/${theirs.id}`)).status).toBe(404);
    expect((await call(`${base}/hooks/${theirs.id}/deactivate`, { method: "POST", headers: SAME })).status).toBe(404);
  });

  it("creates hooks in channel A only, shows the secret once, and explains a bad URL next to its field", async () => {
    const { t, base } = await setup();
    const bad = await call(`${base}/hooks/new`, { method: "POST", raw: new URLSearchParams({ url: "ftp://x", filter: "{nope" }).toString(), headers: SAME });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toMatch(/id="url-error"[^>]*>[^<]+/);
    expect(badHtml).toContain('id="filter-error"');
    expect(badHtml).toMatch(/aria-invalid="true"/);

    const body = new URLSearchParams({ url: boxUrl(newBox("pnew")), description: "made in the portal", channels: "cloud-b" });
    const res = await call(`${base}/hooks/new`, { method: "POST", raw: body.toString(), headers: SAME });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    const secret = /data-secret="true">(whsec_[^<]+)</.exec(html)?.[1];
    expect(secret).toBeDefined();
    const id = /hooks\/(hook_[0-9A-Z]+)/.exec(html)![1]!;
    const hook = await json(call(`/v1/hooks/${id}`, { key: t.key }));
    expect(hook.channels).toEqual(["cloud-a"]);
    const page = await (await call(`${base}/hooks/${id}`)).text();
    expect(page).not.toContain(secret!);
  });
});

describe("tokens that are refused", () => {
  it("an expired token, whose row and claim both say so", async () => {
    const t = await newTenant();
    const { token } = await mintSession(testEnv, t.id, await keyIdOf(t, t.key), { channel: "a", ttl_s: 60 }, Date.now() - 120_000);
    const res = await call(`/portal/${token}`);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("This link is not valid");
  });

  it("a claim sealed to live longer than 24 hours", async () => {
    const t = await newTenant();
    const { row } = await mintSession(testEnv, t.id, await keyIdOf(t, t.key), { channel: "a" });
    const long = tokenOfSeal(await sealClaims(testEnv.ENCRYPTION_KEY, "portal-session", { sid: row.id, tid: t.id, ch: "a" }, Date.now() + 25 * 3600_000));
    expect((await call(`/portal/${long}`)).status).toBe(401);
  });

  it("a revoked session, and every session of a revoked key", async () => {
    const t = await newTenant();
    const s = await session(t, { channel: "a" });
    expect((await call(pathOf(s.url))).status).toBe(200);
    const other = await newTenant();
    expect((await call(`/v1/portal/sessions/${s.id}`, { key: other.key, method: "DELETE" })).status).toBe(404);
    const listed = await json(call("/v1/portal/sessions?channel=a", { key: t.key }));
    expect(listed.data.map((x: any) => x.id)).toEqual([s.id]);
    expect(JSON.stringify(listed)).not.toContain(s.token);
    expect((await json(call("/v1/portal/sessions", { key: other.key }))).data).toEqual([]);
    expect((await call(`/v1/portal/sessions/${s.id}`, { key: t.key, method: "DELETE" })).status).toBe(204);
    expect((await call(pathOf(s.url))).status).toBe(401);
    expect((await json(call("/v1/portal/sessions", { key: t.key }))).data).toEqual([]);

    const byManage = await session(t, { channel: "a" }, t.manageKey);
    expect((await call(pathOf(byManage.url))).status).toBe(200);
    const kid = await keyIdOf(t, t.manageKey);
    expect((await call(`/v1/tenants/${t.id}/api-keys/${kid}`, { key: OPERATOR, method: "DELETE" })).status).toBe(204);
    expect((await call(pathOf(byManage.url))).status).toBe(401);
  });

  it("a tampered token, a token for another purpose, and a claim naming another channel than its row", async () => {
    const t = await newTenant();
    const s = await session(t, { channel: "a" });
    const flip = (tok: string, i: number) => tok.slice(0, i) + (tok[i] === "A" ? "B" : "A") + tok.slice(i + 1);
    for (const i of [6, 30, s.token.length - 3]) expect((await call(`/portal/${flip(s.token, i)}`)).status).toBe(401);
    expect((await call(`/portal/${s.token}x`)).status).toBe(401);
    // the same claim under the dashboard-session key: the purpose-derived keys differ
    const dash = tokenOfSeal(await sealClaims(testEnv.ENCRYPTION_KEY, "dashboard-session", { sid: s.id, tid: t.id, ch: "a" }, Date.now() + 600_000));
    expect((await call(`/portal/${dash}`)).status).toBe(401);
    const forged = tokenOfSeal(await sealClaims(testEnv.ENCRYPTION_KEY, "portal-session", { sid: s.id, tid: t.id, ch: "b" }, Date.now() + 600_000));
    expect((await call(`/portal/${forged}`)).status).toBe(401);
  });

  it("cannot reach /v1 or the dashboard", async () => {
    const t = await newTenant();
    const s = await session(t, { channel: "a" });
    for (const path of ["/v1/hooks", "/v1/portal/sessions", "/v1/event-types"]) {
      const res = await call(path, { headers: { authorization: `Bearer ${s.token}` }, ...(path === "/v1/portal/sessions" ? { body: { channel: "b" }, key: null } : {}) });
      expect(res.status, path).toBe(401);
    }
    const asCookie = await call("/dashboard", { headers: { cookie: `hookline_session=${sealOfToken(s.token)}` } });
    expect(asCookie.status).toBe(303);
    expect(asCookie.headers.get("location")).toBe("/dashboard/login");
    const login = await call("/dashboard/login", { method: "POST", raw: `key=${s.token}`, headers: SAME });
    expect(login.status).toBe(401);
  });
});

describe("cross-site requests", () => {
  it("a form post from another origin, or without the token, changes nothing", async () => {
    const { t, a, base } = await setup();
    const evil = await call(`${base}/hooks/${a.id}/deactivate`, { method: "POST", headers: { ...FORM, origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    const site = await call(`${base}/hooks/${a.id}/deactivate`, { method: "POST", headers: { ...FORM, "sec-fetch-site": "cross-site" } });
    expect(site.status).toBe(403);
    // Origin: null (a sandboxed frame, a no-referrer page) is taken only with Sec-Fetch-Site: same-origin
    for (const headers of [{ origin: "null" }, { origin: "null", "sec-fetch-site": "same-site" }, { origin: "null", "sec-fetch-site": "cross-site" }] as Record<string, string>[]) {
      expect((await call(`${base}/hooks/${a.id}/deactivate`, { method: "POST", headers: { ...FORM, ...headers } })).status, JSON.stringify(headers)).toBe(403);
    }
    for (const path of [`/portal/hooks/${a.id}/deactivate`, `/portal//hooks/${a.id}/deactivate`, `/portal/hlp_/hooks/${a.id}/deactivate`]) {
      expect([401, 404]).toContain((await call(path, { method: "POST", headers: SAME })).status);
    }
    expect((await json(call(`/v1/hooks/${a.id}`, { key: t.key }))).enabled).toBe(true);
    const ok = await call(`${base}/hooks/${a.id}/deactivate`, { method: "POST", headers: SAME });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`${base}/hooks/${a.id}?done=deactivated`);
    expect((await json(call(`/v1/hooks/${a.id}`, { key: t.key }))).enabled).toBe(false);
  });
});

describe("embedding", () => {
  it("frame-ancestors is 'none' until the tenant lists origins, then exactly those", async () => {
    const { t, base } = await setup();
    const before = await call(base);
    const csp = before.headers.get("content-security-policy")!;
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
    expect(before.headers.get("x-frame-options")).toBe("DENY");
    expect(before.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await before.text()).not.toMatch(/<style|<script|style=/);

    for (const bad of ["https://app.example.com/path", "https://app.example.com; script-src *", "javascript:x", "*"]) {
      expect((await call("/v1/portal/settings", { key: t.key, method: "PUT", body: { allowed_origins: [bad] } })).status, bad).toBe(422);
    }
    const put = await json(call("/v1/portal/settings", { key: t.key, method: "PUT", body: { allowed_origins: ["https://app.example.com", "http://localhost:3000"] } }));
    expect(put.allowed_origins).toEqual(["https://app.example.com", "http://localhost:3000"]);
    expect((await json(call("/v1/portal/settings", { key: t.key }))).allowed_origins).toEqual(put.allowed_origins);
    const after = await call(base);
    expect(after.headers.get("content-security-policy")).toContain("frame-ancestors https://app.example.com http://localhost:3000;");
    expect(after.headers.get("x-frame-options")).toBeNull();
    // a refused token is never framed
    expect((await call(`/portal/${"hlp_x"}`)).headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  });

  it("shows the branding name, accent colour and a way back", async () => {
    const t = await newTenant();
    const s = await session(t, { channel: "a", branding: { name: "Acme Cloud", accent_color: "#aa3377" }, return_url: "https://app.acme.example/settings" });
    const html = await (await call(pathOf(s.url))).text();
    expect(html).toContain("<title>Webhooks for a · Acme Cloud</title>");
    expect(html).toContain(`href="https://app.acme.example/settings"`);
    expect(html).toContain(`href="/portal/${s.token}/brand.css"`);
    expect(await (await call(`/portal/${s.token}/brand.css`)).text()).toBe(":root{--accent:#aa3377}\n");
  });
});

describe("capabilities", () => {
  it("a read-only link shows hooks and history but offers and accepts no change", async () => {
    const t = await newTenant();
    const a = await createHook(t, { url: boxUrl(newBox("pro")), channels: ["a"] });
    const s = await session(t, { channel: "a", capabilities: ["read"] });
    expect(s.capabilities).toEqual(["read"]);
    const base = pathOf(s.url);
    const list = await (await call(base)).text();
    expect(list).toContain(a.id);
    expect(list).not.toContain("New hook");
    const page = await (await call(`${base}/hooks/${a.id}`)).text();
    for (const label of ["Send test event", "Deactivate", "Rotate secret", "Delete this hook", "Recover"]) expect(page).not.toContain(label);
    expect((await call(`${base}/hooks/new`)).status).toBe(403);
    for (const path of ["/test", "/deactivate", "/rotate", "/delete"]) {
      expect((await call(`${base}/hooks/${a.id}${path}`, { method: "POST", headers: SAME })).status, path).toBe(403);
    }
    expect((await json(call(`/v1/hooks/${a.id}`, { key: t.key }))).enabled).toBe(true);
  });
});

describe("the session routes in /v1", () => {
  const routes = [
    { method: "POST", path: "/v1/portal/sessions", body: { channel: "a" } },
    { method: "GET", path: "/v1/portal/sessions" },
    { method: "DELETE", path: "/v1/portal/sessions/psn_01JD0000000000000000000000" },
    { method: "GET", path: "/v1/portal/settings" },
    { method: "PUT", path: "/v1/portal/settings", body: { allowed_origins: [] } },
  ];

  it("need a live key with webhook:manage: 401 without one, 403 with deliveries:read or events:publish only", async () => {
    const t = await newTenant();
    for (const r of routes) {
      const send = (key: string | null) => call(r.path, { method: r.method, key, body: r.body });
      for (const key of [null, "hk_notakey"]) {
        const res = await send(key);
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
      }
      for (const key of [t.readKey, t.publishKey]) expect((await send(key)).status, `${r.method} ${r.path}`).toBe(403);
      expect((await send(t.manageKey)).status, `${r.method} ${r.path}`).toBeLessThan(500);
    }
  });

  it("are in the OpenAPI document with their error responses", async () => {
    const doc = await json(call("/openapi.json"));
    const ops = [["post", "/v1/portal/sessions"], ["get", "/v1/portal/sessions"], ["delete", "/v1/portal/sessions/{id}"], ["get", "/v1/portal/settings"], ["put", "/v1/portal/settings"]] as const;
    for (const [method, path] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403"]));
      expect(op.security).toEqual([{ apiKey: [] }]);
    }
    expect(doc.components.schemas.PortalSessionCreate.properties).toHaveProperty("ttl_s");
    expect(doc.components.schemas.PortalSession.required).toEqual(expect.arrayContaining(["url", "token", "expires_at"]));
  });
});
