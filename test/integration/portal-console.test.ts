/**
 * The console the dashboard and the portal share (issue 18): forms with messages per field, the
 * per-hook chart from the hourly aggregates, the attempt inspector (the exact request, secrets
 * masked), delivery filters and pages.
 */
import { describe, expect, it } from "vitest";
import { boxUrl, call, createHook, json, newBox, newTenant, publish, received, script, waitFor, atLeast, type Received, type Tenant } from "../helpers";

/** The POSTs a receiver saw after its first one. */
const laterPosts = (log: Received[]) => log.filter((r) => r.method === "POST").slice(1);

const FORM = { "content-type": "application/x-www-form-urlencoded", origin: "http://hookline.test" };

async function signIn(key: string) {
  const res = await call("/dashboard/login", { method: "POST", raw: new URLSearchParams({ key }).toString(), headers: FORM });
  expect(res.status).toBe(303);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

const post = (path: string, cookie: string, form: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return call(path, { method: "POST", raw: body.toString(), headers: { ...FORM, cookie } });
};

async function settled(t: Tenant, hookId: string, n: number) {
  for (let i = 0; i < 200; i++) {
    const { data } = await json(call(`/v1/hooks/${hookId}/deliveries?limit=100`, { key: t.key }));
    if (data.length >= n && data.every((d: any) => d.status === "succeeded" || d.status === "failed")) return data;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("deliveries did not settle");
}

describe("dashboard forms", () => {
  it("creates a hook from the catalogue with a message per bad field, shows the secret once, and edits it", async () => {
    const t = await newTenant();
    await call("/v1/event-types", { key: t.key, body: { name: "invoice.paid", description: "An invoice was paid in full" } });
    const cookie = await signIn(t.key);
    const blank = await (await call("/dashboard/hooks/new", { headers: { cookie } })).text();
    expect(blank).toContain('value="invoice.paid"');
    expect(blank).toContain("An invoice was paid in full");
    expect(blank).toMatch(/<label for="url">Endpoint URL<\/label>/);

    const bad = await post("/dashboard/hooks/new", cookie, { url: "", retry_schedule: "0, soon", filter: '{"data":{"x":{"$regex":"a"}}}' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toMatch(/id="url-error">Required/);
    expect(html).toMatch(/id="retry_schedule-error">Whole seconds/);
    expect(html).toContain('id="filter-error"');
    expect(html).toContain('value="0, soon"'); // what was typed is kept

    const url = boxUrl(newBox("form"));
    const made = await post("/dashboard/hooks/new", cookie, { url, description: "Billing", events: "invoice.paid", events_other: "order.*", filter: '{"data":{"amount":{"$gt":10}}}', retry_schedule: "0, 5", channels: "eu, us" });
    expect(made.status).toBe(201);
    const page = await made.text();
    expect(page).toMatch(/data-secret="true">whsec_/);
    const id = /hooks\/(hook_[0-9A-Z]+)/.exec(page)![1]!;
    const hook = await json(call(`/v1/hooks/${id}`, { key: t.key }));
    expect(hook).toMatchObject({ url, description: "Billing", events: ["invoice.paid", "order.*"], channels: ["eu", "us"], retry_schedule: [0, 5], filter: { data: { amount: { $gt: 10 } } } });

    const edit = await (await call(`/dashboard/hooks/${id}/edit`, { headers: { cookie } })).text();
    expect(edit).toMatch(/value="invoice.paid" checked/);
    expect(edit).toContain('value="order.*"');
    const saved = await post(`/dashboard/hooks/${id}/edit`, cookie, { url, description: "Billing v2", events: "invoice.paid", channels: "" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/dashboard/hooks/${id}?done=updated`);
    expect(await json(call(`/v1/hooks/${id}`, { key: t.key }))).toMatchObject({ description: "Billing v2", events: ["invoice.paid"], channels: [], filter: null, retry_schedule: null });
  });

  it("offers no forms to a key with deliveries:read only", async () => {
    const t = await newTenant();
    const hook = await createHook(t, { url: boxUrl(newBox("ro")) });
    const cookie = await signIn(t.readKey);
    expect((await call("/dashboard/hooks/new", { headers: { cookie } })).status).toBe(403);
    expect((await post(`/dashboard/hooks/${hook.id}/edit`, cookie, { url: hook.url })).status).toBe(403);
    expect(await (await call("/dashboard", { headers: { cookie } })).text()).not.toContain("New hook");
  });
});

describe("hook page", () => {
  it("charts the succeeded and failed deliveries, and the inspector shows the exact request with secrets masked", async () => {
    const t = await newTenant();
    const box = newBox("chart");
    await script(box, [{ status: 200 }, { status: 200 }, { status: 500, body: "maintenance window" }]);
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0], order_window_ms: 0, headers: { "x-api-key": "key-9f8e7d6c5b4a" } });
    for (const n of [1, 2, 3]) await publish(t, { type: "invoice.paid", data: { n } });
    await waitFor(box, atLeast(3));
    const deliveries = await settled(t, hook.id, 3);
    const cookie = await signIn(t.key);

    for (const range of ["24h", "7d"]) {
      const page = await (await call(`/dashboard/hooks/${hook.id}?range=${range}`, { headers: { cookie } })).text();
      expect(page).toContain(`data-chart="${range}"`);
      expect(page).toContain('data-succeeded="2"');
      expect(page).toContain('data-failed="1"');
      expect(page).toMatch(/<svg class="chart"[^>]*role="img" aria-label="2 succeeded, 1 failed/);
    }

    const failed = deliveries.find((d: any) => d.status === "failed");
    const inspector = await (await call(`/dashboard/hooks/${hook.id}/deliveries/${failed.id}`, { headers: { cookie } })).text();
    const sent = (await received(box)).find((r) => r.body.includes('"n":3'))!;
    const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
    const body = unescape(/data-request-body="true">([^<]*)</.exec(inspector)![1]!);
    expect(body).toBe(sent.body);
    const headers = unescape(/data-request-headers="true">([^<]*)</.exec(inspector)![1]!);
    expect(headers).toContain(`webhook-id: ${sent.headers["webhook-id"]}`);
    expect(headers).toContain(`webhook-timestamp: ${sent.headers["webhook-timestamp"]}`);
    expect(headers).toContain("webhook-signature: v1,********");
    expect(headers).toContain("x-api-key: ********");
    expect(inspector).not.toContain("key-9f8e7d6c5b4a");
    expect(inspector).not.toContain(sent.headers["webhook-signature"]!.slice(3));
    expect(inspector).toContain("maintenance window");
    expect(inspector).toContain("HTTP 500");
  });

  it("filters deliveries by status and event type and pages through them", async () => {
    const t = await newTenant();
    const box = newBox("pages");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    for (let i = 0; i < 22; i++) await publish(t, { type: i % 2 ? "order.created" : "order.paid", data: { i } });
    await waitFor(box, atLeast(22), 30_000);
    await settled(t, hook.id, 22);
    const cookie = await signIn(t.key);
    const rows = (html: string) => html.match(/<tr data-delivery=/g)?.length ?? 0;

    const first = await (await call(`/dashboard/hooks/${hook.id}`, { headers: { cookie } })).text();
    expect(rows(first)).toBe(20);
    const older = /href="([^"]*cursor=[^"#]+)#history"/.exec(first)![1]!.replace(/&amp;/g, "&");
    const second = await (await call(older, { headers: { cookie } })).text();
    expect(rows(second)).toBe(2);
    expect(second).not.toContain("Older →");

    const paid = await (await call(`/dashboard/hooks/${hook.id}?event_type=order.paid`, { headers: { cookie } })).text();
    expect(rows(paid)).toBe(11);
    expect(paid).not.toContain(">order.created</a>");
    const failed = await (await call(`/dashboard/hooks/${hook.id}?status=failed`, { headers: { cookie } })).text();
    expect(rows(failed)).toBe(0);
    expect(failed).toContain("No deliveries match these filters.");
    expect((await call(`/dashboard/hooks/${hook.id}?status=lost`, { headers: { cookie } })).status).toBe(422);
    expect((await call(`/dashboard/hooks/${hook.id}?cursor=nonsense`, { headers: { cookie } })).status).toBe(422);
  });
});

describe("portal actions", () => {
  it("rotates the secret (shown once), recovers failed deliveries since a time, edits and deletes, all inside the channel", async () => {
    const t = await newTenant();
    const box = newBox("pact");
    await script(box, [{ status: 503, body: "down" }]);
    const hook = await createHook(t, { url: boxUrl(box), channels: ["acme"], retry_schedule: [0], order_window_ms: 0 });
    await publish(t, { type: "invoice.paid", channel: "acme", data: { n: 1 } });
    await waitFor(box, atLeast(1));
    await settled(t, hook.id, 1);
    const s = await json(call("/v1/portal/sessions", { key: t.key, body: { channel: "acme" } }));
    const base = new URL(s.url).pathname;
    const go = (path: string, form: Record<string, string> = {}) => call(base + path, { method: "POST", raw: new URLSearchParams(form).toString(), headers: FORM });

    const rotated = await go(`/hooks/${hook.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    const secret = /data-secret="true">(whsec_[^<]+)</.exec(await rotated.text())![1]!;
    expect(secret).not.toBe(hook.secret);

    expect((await go(`/hooks/${hook.id}/recover`, { since: "yesterday" })).status).toBe(422);
    const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    const recovered = await go(`/hooks/${hook.id}/recover`, { since });
    expect(recovered.status).toBe(303);
    expect(recovered.headers.get("location")).toBe(`${base}/hooks/${hook.id}?done=recovered`);
    expect(await (await call(recovered.headers.get("location")!)).text()).toContain("Failed deliveries queued again.");
    const [again] = laterPosts(await waitFor(box, atLeast(2)));
    expect(JSON.parse(again!.body).data).toEqual({ n: 1 });

    const edited = await go(`/hooks/${hook.id}/edit`, { url: hook.url, description: "renamed in the portal", channels: "other" });
    expect(edited.status).toBe(303);
    expect(await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).toMatchObject({ description: "renamed in the portal", channels: ["acme"] });

    const deleted = await go(`/hooks/${hook.id}/delete`);
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe(`${base}?done=deleted`);
    expect((await call(`/v1/hooks/${hook.id}`, { key: t.key })).status).toBe(404);
  });
});
