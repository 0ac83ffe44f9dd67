/**
 * Issue 15, findings 4, 8 (sessions), 10 and 16: who may sign in to the dashboard, what the
 * session cookie is, and what the pages let another site do.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { base64ToBytes, bytesToBase64 } from "../../src/core/crypto";
import { boxUrl, call, createHook, newBox, newTenant, OPERATOR, testEnv, json } from "../helpers";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const login = (key: string, headers: Record<string, string> = {}) =>
  call("/dashboard/login", { method: "POST", raw: new URLSearchParams({ key }).toString(), headers: { ...FORM, ...headers } });
const cookieOf = (res: Response) => res.headers.get("set-cookie")?.split(";")[0] ?? null;

afterEach(() => vi.useRealTimers());

describe("finding 4: the dashboard needs webhook:manage or deliveries:read", () => {
  it("refuses a publish-only key at sign-in, and lets the read and manage keys in", async () => {
    const t = await newTenant();
    await createHook(t, { url: boxUrl(newBox("d")), description: "secret-ish url" });
    const res = await login(t.publishKey);
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toMatch(/webhook:manage or deliveries:read/);
    for (const key of [t.readKey, t.manageKey]) {
      const ok = await login(key);
      expect(ok.status).toBe(303);
      const page = await call("/dashboard", { headers: { cookie: cookieOf(ok)! } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("secret-ish url");
    }
  });
});

describe("finding 8: the session is a sealed {key id, expiry} that lasts at most 12 hours", () => {
  it("is not the key sealed, and a cookie in the old form (the sealed raw key) is refused", async () => {
    const t = await newTenant();
    const res = await login(t.key);
    const cookie = cookieOf(res)!;
    expect(cookie).not.toContain(t.key);
    // the pre-issue-15 cookie: the API key itself, AES-GCM-sealed under the raw ENCRYPTION_KEY
    const raw = await crypto.subtle.importKey("raw", base64ToBytes(testEnv.ENCRYPTION_KEY), "AES-GCM", false, ["encrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, raw, new TextEncoder().encode(t.key)));
    const old = `hookline_session=${encodeURIComponent(`v1.${bytesToBase64(iv)}.${bytesToBase64(ct)}`)}`;
    const page = await call("/dashboard", { headers: { cookie: old } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/dashboard/login");
  });

  it("expires after 12 hours even if the browser keeps it, and ends at once when the key is revoked", async () => {
    const t = await newTenant();
    const start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: start });
    const cookie = cookieOf(await login(t.key))!;
    vi.setSystemTime(start + 11 * 3600_000);
    expect((await call("/dashboard", { headers: { cookie } })).status).toBe(200);
    vi.setSystemTime(start + 12 * 3600_000 + 1000);
    const late = await call("/dashboard", { headers: { cookie } });
    expect(late.status).toBe(303);
    expect(late.headers.get("location")).toBe("/dashboard/login");
    vi.useRealTimers();

    const k = await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR, body: { scopes: ["deliveries:read"] } }));
    const session = cookieOf(await login(k.key))!;
    expect((await call("/dashboard", { headers: { cookie: session } })).status).toBe(200);
    await call(`/v1/tenants/${t.id}/api-keys/${k.id}`, { method: "DELETE", key: OPERATOR });
    expect((await call("/dashboard", { headers: { cookie: session } })).status).toBe(303);
  });
});

describe("finding 10: sign-in refuses other sites and large bodies", () => {
  it("refuses a cross-site sign-in (login CSRF into the attacker's tenant)", async () => {
    const t = await newTenant();
    const crossSite: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }];
    for (const headers of crossSite) {
      const res = await login(t.key, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    expect((await login(t.key, { origin: "http://hookline.test", "sec-fetch-site": "same-origin" })).status).toBe(303);
  });

  it("answers 413 to a dashboard body over 16 KiB, before reading it", async () => {
    const t = await newTenant();
    const big = await call("/dashboard/login", { method: "POST", raw: `key=${t.key}&pad=${"x".repeat(64 * 1024)}`, headers: FORM });
    expect(big.status).toBe(413);
    expect(big.headers.get("set-cookie")).toBeNull();
    const cookie = cookieOf(await login(t.key))!;
    const hook = await createHook(t, { url: boxUrl(newBox("b")) });
    const res = await call(`/dashboard/hooks/${hook.id}/deactivate`, { method: "POST", raw: "x=" + "y".repeat(1024 * 1024), headers: { ...FORM, cookie } });
    expect(res.status).toBe(413);
    expect((await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).enabled).toBe(true);
  });
});

describe("finding 16: the pages reflect no text, carry a CSP and load no unpinned code", () => {
  it("shows fixed flash messages by code and never the text of ?done=", async () => {
    const t = await newTenant();
    const cookie = cookieOf(await login(t.key))!;
    const hook = await createHook(t, { url: boxUrl(newBox("f")) });
    const lure = "Your account is locked. Call +1 555 0100 and read them your API key";
    for (const path of ["/dashboard", `/dashboard/hooks/${hook.id}`]) {
      const html = await (await call(`${path}?done=${encodeURIComponent(lure)}`, { headers: { cookie } })).text();
      expect(html).not.toContain("Call +1 555");
      expect(html).not.toContain('class="flash"');
    }
    const act = await call(`/dashboard/hooks/${hook.id}/deactivate`, { method: "POST", headers: { cookie, origin: "http://hookline.test" } });
    expect(act.status).toBe(303);
    const next = act.headers.get("location")!;
    expect(next).toMatch(/\?done=[a-z-]+$/);
    expect(await (await call(next, { headers: { cookie } })).text()).toContain('<p class="flash">Hook deactivated; its queue is kept.</p>');
  });

  it("sends a strict CSP with frame-ancestors 'none' on every dashboard page, with no inline style or script", async () => {
    const t = await newTenant();
    const cookie = cookieOf(await login(t.key))!;
    const hook = await createHook(t, { url: boxUrl(newBox("c")) });
    for (const [path, headers] of [["/dashboard/login", {}], ["/dashboard", { cookie }], [`/dashboard/hooks/${hook.id}`, { cookie }]] as const) {
      const res = await call(path, { headers });
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/form-action 'self'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      const html = await res.text();
      expect(html).not.toMatch(/<style|<script|style=/);
    }
    const css = await call("/dashboard/app.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("serves /docs with Swagger UI pinned to one version with subresource integrity, under a CSP", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const tags = [...html.matchAll(/<(script|link)\b[^>]*>/g)].map((m) => m[0]).filter((t) => /src=|href=/.test(t));
    // everything from elsewhere is pinned and integrity-checked; the rest comes from this origin
    const external = tags.filter((t) => !/(src|href)="\/[^/]/.test(t));
    expect(external.length).toBeGreaterThanOrEqual(2);
    for (const tag of external) {
      expect(tag).toMatch(/https:\/\/cdn\.jsdelivr\.net\/npm\/swagger-ui-dist@\d+\.\d+\.\d+\//);
      expect(tag).toMatch(/integrity="sha384-[A-Za-z0-9+/]{64}"/);
      expect(tag).toMatch(/crossorigin="anonymous"/);
    }
    expect(html).not.toMatch(/<script>[^<]/); // no inline script
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' https:\/\/cdn\.jsdelivr\.net/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-eval/);
  });
});
