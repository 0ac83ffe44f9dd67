import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import {
  atLeast, boxUrl, call, createHook, endpoint, endpointRaw, json, newBox, newTenant, publish, received, script, testEnv,
  waitFor, type Tenant,
} from "../helpers";

const DAY = 86_400_000;
const ORIGIN = "hookline.test"; // host of PUBLIC_URL in the test config

async function cron(at: number, cron = "*/5 * * * *") {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
}

const getHook = async (t: Tenant, id: string) => call(`/v1/hooks/${id}`, { key: t.key });
const status = async (t: Tenant, id: string) => (await json(getHook(t, id))).status;

async function handshakeHook(t: Tenant, reply: { status?: number; headers?: Record<string, string> }, extra: Record<string, unknown> = {}) {
  const box = newBox("hs");
  await script(box, [reply], { status: 200 });
  const hook = await createHook(t, { url: boxUrl(box), validation: "handshake", order_window_ms: 0, ...extra });
  expect(hook.status).toBe("pending_validation");
  const [options] = await waitFor(box, (l) => l.some((r) => r.method === "OPTIONS"));
  return { box, hook, options: options! };
}

describe("validation handshake", () => {
  it("sends OPTIONS with WebHook-Request-Origin and -Callback; echoing the origin activates", async () => {
    const t = await newTenant();
    const { hook, options } = await handshakeHook(t, { status: 200, headers: { "webhook-allowed-origin": ORIGIN, allow: "POST, OPTIONS" } });
    expect(options.method).toBe("OPTIONS");
    expect(options.headers["webhook-request-origin"]).toBe(ORIGIN);
    expect(options.headers["webhook-request-callback"]).toMatch(new RegExp(`^http://hookline\\.test/v1/validate/${hook.id}/[A-Za-z0-9_-]{40,}$`));
    await expect.poll(() => status(t, hook.id)).toBe("active");
    expect((await json(getHook(t, hook.id))).validation_note).toMatch(/handshake ok.*Allow: POST, OPTIONS/);
  });

  it("`*` activates", async () => {
    const t = await newTenant();
    const { hook } = await handshakeHook(t, { status: 200, headers: { "webhook-allowed-origin": "*" } });
    await expect.poll(() => status(t, hook.id)).toBe("active");
  });

  it("a missing or wrong header leaves the hook pending, and pending hooks receive nothing", async () => {
    const t = await newTenant();
    const a = await handshakeHook(t, { status: 200 }, { events: ["x"] });
    const b = await handshakeHook(t, { status: 200, headers: { "webhook-allowed-origin": "evil.example" } }, { events: ["x"] });
    await expect.poll(async () => (await json(getHook(t, a.hook.id))).validation_note).toMatch(/refused/);
    await expect.poll(async () => (await json(getHook(t, b.hook.id))).validation_note).toMatch(/refused.*evil\.example/);
    expect(await status(t, a.hook.id)).toBe("pending_validation");
    expect(await status(t, b.hook.id)).toBe("pending_validation");
    await publish(t, { type: "x" });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await received(a.box)).filter((r) => r.method === "POST")).toEqual([]);
  });

  it("the callback link activates once; a second use or a use after 2 days fails without saying why", async () => {
    const t = await newTenant();
    const { hook, options, box } = await handshakeHook(t, { status: 404 }, { events: ["x"] });
    const link = new URL(options.headers["webhook-request-callback"]!);
    await expect.poll(async () => (await json(getHook(t, hook.id))).validation_note).toMatch(/refused/);
    const first = await call(link.pathname);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id: hook.id, status: "active" });
    expect(await status(t, hook.id)).toBe("active");
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(1));

    const second = await call(link.pathname);
    expect(second.status).toBe(404);
    expect(second.headers.get("content-type")).toBe("application/problem+json");
    const wrongHook = await call(link.pathname.replace(hook.id, "hook_01JD0000000000000000000000"));
    const wrongToken = await call(link.pathname.slice(0, -4) + "AAAA");
    const same = async (r: Response) => {
      const { instance: _path, ...rest } = await r.json<any>();
      return rest;
    };
    const used = await same(second);
    expect(used).toMatchObject({ status: 404, title: "Invalid validation link" });
    expect(await same(wrongHook)).toEqual(used);
    expect(await same(wrongToken)).toEqual(used);

    // a link used after its 2 days
    const late = await handshakeHook(t, { status: 500 });
    const lateLink = new URL(late.options.headers["webhook-request-callback"]!);
    await testEnv.DB.prepare("UPDATE hooks SET validation_deadline = ? WHERE id = ?").bind(Date.now() - 1, late.hook.id).run();
    expect((await call(lateLink.pathname)).status).toBe(404);
    expect(await status(t, late.hook.id)).toBe("pending_validation");
  });

  it("revalidate re-runs the handshake", async () => {
    const t = await newTenant();
    const { hook, box } = await handshakeHook(t, { status: 200 });
    await expect.poll(async () => (await json(getHook(t, hook.id))).validation_note).toMatch(/refused/);
    await script(box, [{ status: 204, headers: { "webhook-allowed-origin": ORIGIN } }], { status: 200 });
    expect((await call(`/v1/hooks/${hook.id}/revalidate`, { method: "POST", key: t.key })).status).toBe(202);
    await expect.poll(() => status(t, hook.id)).toBe("active");
    expect((await received(box)).filter((r) => r.method === "OPTIONS")).toHaveLength(2);
  });

  it("itwin hooks use the handshake by default", async () => {
    const t = await newTenant();
    const hook = await createHook(t, { url: boxUrl(newBox("itw")), profile: "itwin" });
    expect(hook).toMatchObject({ status: "pending_validation", validation: "handshake" });
  });
});

describe("cron jobs (with the controller's scheduledTime as the clock)", () => {
  it("deletes a hook still pending 2 days after creation, with its endpoint storage", async () => {
    const t = await newTenant();
    const { hook } = await handshakeHook(t, { status: 500 });
    await cron(Date.now() + 1 * DAY);
    expect((await getHook(t, hook.id)).status).toBe(200);
    await cron(Date.now() + 2 * DAY + 60_000);
    expect((await getHook(t, hook.id)).status).toBe(404);
  });

  it("an itwin hook created without expires_at expires after 30 days, holds what matches, and activate with a new expiry sends it in order", async () => {
    const t = await newTenant();
    const box = newBox("exp");
    const hook = await createHook(t, { url: boxUrl(box), profile: "itwin", validation: "none", events: ["ChangesetPushedEvent"], order_window_ms: 0 });
    const expiresAt = Date.parse(hook.expires_at);
    expect(expiresAt - Date.now()).toBeGreaterThan(30 * DAY - 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30 * DAY);

    await cron(Date.now() + 29 * DAY);
    expect(await status(t, hook.id)).toBe("active");
    await testEnv.DB.prepare("UPDATE hooks SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, hook.id).run(); // 30 days pass
    await cron(Date.now());
    expect(await status(t, hook.id)).toBe("expired");
    await publish(t, { type: "ChangesetPushedEvent", data: { n: 1 } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(box)).toEqual([]);

    expect((await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} })).status).toBe(409);
    const revived = await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: { expires_at: new Date(Date.now() + 10 * DAY).toISOString() } });
    expect(revived.status).toBe(200);
    expect((await revived.json<any>()).status).toBe("active");
    await publish(t, { type: "ChangesetPushedEvent", data: { n: 2 } });
    // Expired is paused, not deaf: the event published while it was expired was held and leaves first.
    const log = await waitFor(box, atLeast(2));
    expect(log.map((r) => JSON.parse(r.body).content)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("disables a hook that has failed for 5 days with a reason", async () => {
    const t = await newTenant();
    const box = newBox("fail5");
    await script(box, [], { status: 500 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: Array(12).fill(0), order_window_ms: 0 });
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(12));
    await expect.poll(async () => (await endpoint(hook.id).listDeliveries({ limit: 1 }))[0]?.status).toBe("failed");
    await cron(Date.now() + 4 * DAY);
    expect(await status(t, hook.id)).toBe("active");
    await cron(Date.now() + 5 * DAY + 60_000);
    expect(await json(getHook(t, hook.id))).toMatchObject({ status: "disabled", disabled_reason: "failing" });
  });

  it("a DO whose alarm was cleared while holding due work is delivered after the sweep", async () => {
    const t = await newTenant();
    const box = newBox("strand");
    await script(box, [{ status: 500 }], { status: 200 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0, 3], order_window_ms: 0 }); // the retry is due 3 s (± jitter) after the report
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(1));
    const raw = endpointRaw(hook.id);
    await expect.poll(async () => (await endpoint(hook.id).listDeliveries({ limit: 1 }))[0]?.attempts).toBe(1); // reported: the retry is due
    await expect.poll(() => runInDurableObject(raw, (_i, s) => s.storage.getAlarm())).not.toBeNull();
    await runInDurableObject(raw, (_i, s) => s.storage.deleteAlarm()); // the alarm is lost
    await new Promise((r) => setTimeout(r, 4500)); // past the retry's due time
    expect(await received(box)).toHaveLength(1); // stranded
    await cron(Date.now());
    const log = await waitFor(box, atLeast(2));
    expect(log[1]!.status).toBe(200);
  });

  it("running every cron job twice in a row changes nothing the second time", async () => {
    const t = await newTenant();
    await handshakeHook(t, { status: 500 });
    const box = newBox("idem");
    await createHook(t, { url: boxUrl(box), expires_at: new Date(Date.now() + DAY).toISOString() });
    const at = Date.now() + 3 * DAY;
    const snapshot = async () => JSON.stringify((await testEnv.DB.prepare("SELECT * FROM hooks ORDER BY id").all()).results);
    await cron(at);
    await cron(at, "17 3 * * *");
    const once = await snapshot();
    await cron(at);
    await cron(at, "17 3 * * *");
    expect(await snapshot()).toBe(once);
  });
});
