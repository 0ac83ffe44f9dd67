import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { atLeast, boxUrl, call, createHook, dataOf, json, newBox, newTenant, publish, received, script, settled, waitFor } from "../helpers";


describe("delivery history", () => {
  it("lists deliveries newest first with a cursor and filters, and shows every attempt in order", async () => {
    const t = await newTenant();
    const box = newBox("hist");
    await script(box, [{ status: 500, body: "boom" }, { status: 503, headers: { "retry-after": "0" } }], { status: 200, body: "ok" });
    const hook = await createHook(t, { url: boxUrl(box), events: ["*"], retry_schedule: [0, 0, 0], order_window_ms: 0 });
    await publish(t, { type: "a.one", data: { n: 1 } });
    await publish(t, { type: "a.two", data: { n: 2 } });
    await publish(t, { type: "a.two", data: { n: 3 } });
    await waitFor(box, atLeast(5));
    await settled(hook.id);

    const all = await json(call(`/v1/hooks/${hook.id}/deliveries`, { key: t.readKey }));
    expect(all.data.map((d: any) => d.event_type)).toEqual(["a.two", "a.two", "a.one"]);
    expect(all.data.every((d: any) => d.status === "succeeded")).toBe(true);

    const p1 = await json(call(`/v1/hooks/${hook.id}/deliveries?limit=2`, { key: t.readKey }));
    const p2 = await json(call(`/v1/hooks/${hook.id}/deliveries?limit=2&cursor=${p1.next_cursor}`, { key: t.readKey }));
    expect([...p1.data, ...p2.data].map((d: any) => d.id)).toEqual(all.data.map((d: any) => d.id));
    expect(p2.next_cursor).toBeNull();
    const two = await json(call(`/v1/hooks/${hook.id}/deliveries?event_type=a.two`, { key: t.readKey }));
    expect(two.data).toHaveLength(2);

    const first = all.data[2];
    const one = await json(call(`/v1/hooks/${hook.id}/deliveries/${first.id}`, { key: t.readKey }));
    expect(one.attempt_log.map((a: any) => [a.attempt, a.status_code, a.error_kind])).toEqual([[1, 500, "http_status"], [2, 503, "http_status"], [3, 200, null]]);
    expect(one.attempt_log[0]).toMatchObject({ response_body: "boom", error: "HTTP 500" });
    expect(one.attempt_log[2].response_body).toBe("ok");
    for (const a of one.attempt_log) {
      expect(typeof a.duration_ms).toBe("number");
      expect(Date.parse(a.started_at)).not.toBeNaN();
    }
    expect((await call(`/v1/hooks/${hook.id}/deliveries?status=failed`, { key: t.readKey }).then((r) => r.json<any>())).data).toEqual([]);
    expect((await call(`/v1/hooks/${hook.id}/deliveries?cursor=nonsense`, { key: t.readKey })).status).toBe(422);
    expect((await call(`/v1/hooks/${hook.id}/deliveries`, { key: t.publishKey })).status).toBe(403);
  });

  it("keeps only a 1 KiB excerpt of a large response body", async () => {
    const t = await newTenant();
    const box = newBox("big");
    await script(box, [], { status: 200, body: "z".repeat(50_000) });
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(1));
    await settled(hook.id);
    const [d] = (await json(call(`/v1/hooks/${hook.id}/deliveries`, { key: t.key }))).data;
    const full = await json(call(`/v1/hooks/${hook.id}/deliveries/${d.id}`, { key: t.key }));
    expect(full.attempt_log[0].response_body).toHaveLength(1024);
  });
});

describe("resend, recover, test", () => {
  it("resend delivers the same event again and it appears in the history", async () => {
    const t = await newTenant();
    const box = newBox("resend");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    const { id: eventId } = await publish(t, { type: "x", data: { again: true } });
    await waitFor(box, atLeast(1));
    await settled(hook.id);
    const [d] = (await json(call(`/v1/hooks/${hook.id}/deliveries`, { key: t.key }))).data;
    const res = await call(`/v1/hooks/${hook.id}/deliveries/${d.id}/resend`, { method: "POST", key: t.key });
    expect(res.status).toBe(202);
    const { id: fresh } = await res.json<any>();
    const log = await waitFor(box, atLeast(2));
    expect(dataOf(log)).toEqual([{ again: true }, { again: true }]);
    expect(log[1]!.headers["webhook-id"]).toBe(eventId);
    await settled(hook.id);
    const hist = await json(call(`/v1/hooks/${hook.id}/deliveries`, { key: t.key }));
    expect(hist.data.map((x: any) => [x.id, x.event_id, x.status])).toEqual([[fresh, eventId, "succeeded"], [d.id, eventId, "succeeded"]]);
    expect((await call(`/v1/hooks/${hook.id}/deliveries/dlv_01JD0000000000000000000000/resend`, { method: "POST", key: t.key })).status).toBe(404);
  });

  it("recover re-queues exactly the failed deliveries since the time given, in their order", async () => {
    const t = await newTenant();
    const box = newBox("recover");
    await script(box, [{ status: 500 }, { status: 200 }, { status: 500 }, { status: 500 }], { status: 200 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0], order_window_ms: 0 });
    for (const n of [1, 2, 3, 4]) await publish(t, { type: "x", data: { n } });
    await waitFor(box, atLeast(4));
    await settled(hook.id);
    const failed = await json(call(`/v1/hooks/${hook.id}/deliveries?status=failed`, { key: t.key }));
    expect(failed.data).toHaveLength(3);
    const res = await call(`/v1/hooks/${hook.id}/recover`, { method: "POST", key: t.key, body: { since: new Date(Date.now() - 3_600_000).toISOString() } });
    expect(res.status).toBe(202);
    expect((await res.json<any>()).recovered).toBe(3);
    const log = await waitFor(box, atLeast(7));
    expect(dataOf(log).slice(4).map((d) => d.n)).toEqual([1, 3, 4]);
    const tooOld = await call(`/v1/hooks/${hook.id}/recover`, { method: "POST", key: t.key, body: { since: new Date(Date.now() - 15 * 86_400_000).toISOString() } });
    expect(tooOld.status).toBe(422);
  });

  it("the test ping arrives signed", async () => {
    const t = await newTenant();
    const box = newBox("ping");
    const hook = await createHook(t, { url: boxUrl(box), events: ["order.*"] });
    const res = await call(`/v1/hooks/${hook.id}/test`, { method: "POST", key: t.key });
    expect(res.status).toBe(202);
    const [r] = await waitFor(box, atLeast(1));
    const payload = new Webhook(hook.secret).verify(r!.body, r!.headers) as any;
    expect(payload).toMatchObject({ type: "hookline.ping", data: { hook_id: hook.id } });
  });
});

describe("stats", () => {
  it("counts match the deliveries made", async () => {
    const t = await newTenant();
    const a = newBox("sa");
    const b = newBox("sb");
    await script(b, [], { status: 500 });
    const ha = await createHook(t, { url: boxUrl(a), order_window_ms: 0 });
    const hb = await createHook(t, { url: boxUrl(b), retry_schedule: [0, 0], order_window_ms: 0 });
    for (let i = 0; i < 3; i++) await publish(t, { type: "x", data: { i } });
    await waitFor(a, atLeast(3));
    await waitFor(b, atLeast(6));
    await settled(ha.id, hb.id);
    const s = await json(call("/v1/stats", { key: t.readKey }));
    const byId = Object.fromEntries(s.hooks.map((h: any) => [h.hook_id, h]));
    expect(byId[ha.id]).toMatchObject({ succeeded: 3, failed: 0, pending: 0, attempts: 3 });
    expect(byId[hb.id]).toMatchObject({ succeeded: 0, failed: 3, pending: 0, attempts: 6 });
    expect(s.tenant).toMatchObject({ succeeded: 3, failed: 3, pending: 0, attempts: 9 });
    expect(s.tenant.p50_ms).toBeGreaterThanOrEqual(0);
    expect(s.tenant.p99_ms).toBeGreaterThanOrEqual(s.tenant.p50_ms);
  });
});

describe("operational events", () => {
  it("a hook answering 410 is disabled and a hook subscribed to hookline.hook.disabled receives the notice", async () => {
    const t = await newTenant();
    const gone = newBox("gone");
    const alerts = newBox("alerts");
    await script(gone, [], { status: 410 });
    const dead = await createHook(t, { url: boxUrl(gone), events: ["order.*"], order_window_ms: 0 });
    const alerting = await createHook(t, { url: boxUrl(alerts), events: ["hookline.hook.disabled"], order_window_ms: 0 });
    await publish(t, { type: "order.created" });
    const [notice] = await waitFor(alerts, atLeast(1));
    const payload = new Webhook(alerting.secret).verify(notice!.body, notice!.headers) as any;
    expect(payload).toMatchObject({ type: "hookline.hook.disabled", data: { hook_id: dead.id, reason: "gone" } });
  });

  it("an exhausted delivery raises hookline.delivery.failed, and an alerting hook's own failures raise nothing", async () => {
    const t = await newTenant();
    const bad = newBox("bad");
    const alerts = newBox("alerts2");
    await script(bad, [], { status: 500 });
    await script(alerts, [], { status: 500 }); // the alerting hook fails too
    const failing = await createHook(t, { url: boxUrl(bad), events: ["order.*"], retry_schedule: [0], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(alerts), events: ["hookline.*"], retry_schedule: [0], order_window_ms: 0 });
    await publish(t, { type: "order.created" });
    const [notice] = await waitFor(alerts, atLeast(1));
    expect(JSON.parse(notice!.body)).toMatchObject({ type: "hookline.delivery.failed", data: { hook_id: failing.id, event_type: "order.created", attempts: 1 } });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await received(alerts)).length).toBe(1); // no loop on its own failure
  });
});
