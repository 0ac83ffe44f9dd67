import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EndpointDO } from "../../src/endpoint/endpoint-do";
import { atLeast, boxUrl, call, createHook, dataOf, endpoint, json, newBox, newTenant, publish, script, waitFor } from "../helpers";
import { endpointRaw } from "../helpers";

const latest = async (hookId: string) => {
  const [d] = await endpoint(hookId).listDeliveries({ limit: 1 });
  return (await endpoint(hookId).getDelivery(d!.id))!;
};

describe("failures and retries", () => {
  it("a 503 with Retry-After: 7 is retried no sooner than 7 s later", async () => {
    const t = await newTenant();
    const box = newBox("ra");
    await script(box, [{ status: 503, headers: { "retry-after": "7" } }], { status: 200 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0, 1], order_window_ms: 0 });
    const raw = endpointRaw(hook.id);
    await publish(t, { type: "x", data: { n: 1 } });
    const [first] = await waitFor(box, atLeast(1));
    await expect.poll(async () => (await latest(hook.id)).attempts.length).toBe(1);
    const d = await latest(hook.id);
    expect(d.attempts[0]).toMatchObject({ status_code: 503, error_kind: "http_status", response_headers: { "retry-after": "7" } });
    const due = Date.parse(d.delivery.next_attempt_at!);
    expect(due - first!.at).toBeGreaterThanOrEqual(7_000 - 50);
    expect(await runInDurableObject(raw, (_i, s) => s.storage.getAlarm())).toBe(due);

    // Running the alarm early changes nothing: the retry is not due.
    await runDurableObjectAlarm(raw);
    expect((await received(box)).length).toBe(1);

    // Move the object's clock 7 s on: now it goes.
    await runInDurableObject(raw, (i: EndpointDO) => {
      const real = i.clock;
      i.clock = () => ({ ...real(), now: Date.now() + 7_000 });
    });
    await runDurableObjectAlarm(raw);
    const log = await waitFor(box, atLeast(2));
    expect(log[1]!.status).toBe(200);
    await expect.poll(async () => (await latest(hook.id)).delivery.status).toBe("succeeded");
  });

  it("a 410 disables the hook", async () => {
    const t = await newTenant();
    const box = newBox("gone");
    await script(box, [], { status: 410 });
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(1));
    await expect.poll(async () => (await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).status).toBe("disabled");
    const h = await json(call(`/v1/hooks/${hook.id}`, { key: t.key }));
    expect(h).toMatchObject({ status: "disabled", disabled_reason: "gone", last_delivery: { status: "failed", icon: "❌", error: "HTTP 410" } });
    // held, not lost: re-activating resumes it
    await script(box, [], { status: 200 });
    await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key });
    const log = await waitFor(box, atLeast(2));
    expect(log[1]!.status).toBe(200);
  });

  it("a timeout and a 302 are failures with the right error kind", async () => {
    const t = await newTenant();
    const slow = newBox("slow");
    const redirect = newBox("redir");
    await script(slow, [], { status: 200, delay_ms: 2500 });
    await script(redirect, [], { status: 302, headers: { location: "https://elsewhere.example/" } });
    const h1 = await createHook(t, { url: boxUrl(slow), events: ["slow"], timeout_ms: 1000, retry_schedule: [0], order_window_ms: 0 });
    const h2 = await createHook(t, { url: boxUrl(redirect), events: ["redir"], retry_schedule: [0], order_window_ms: 0 });
    await publish(t, { type: "slow" });
    await publish(t, { type: "redir" });
    await expect.poll(async () => (await latest(h1.id)).delivery.status).toBe("failed");
    await expect.poll(async () => (await latest(h2.id)).delivery.status).toBe("failed");
    const a = await latest(h1.id);
    expect(a.attempts).toEqual([expect.objectContaining({ status_code: null, error_kind: "timeout" })]);
    const b = await latest(h2.id);
    expect(b.attempts).toEqual([expect.objectContaining({ status_code: 302, error_kind: "http_status", response_headers: expect.objectContaining({ location: "https://elsewhere.example/" }) })]);
    expect(b.delivery.last_error).toMatch(/redirect/);
    expect((await received(redirect)).length).toBe(1); // the redirect was not followed
  });

  it("an exhausted schedule marks the delivery failed and the next one proceeds", async () => {
    const t = await newTenant();
    const box = newBox("exh");
    await script(box, [{ status: 500 }, { status: 500 }, { status: 500 }], { status: 200 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0, 0, 0], order_window_ms: 0 });
    await publish(t, { type: "x", data: { n: 1 } });
    await publish(t, { type: "x", data: { n: 2 } });
    const log = await waitFor(box, atLeast(4));
    expect(dataOf(log)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }, { n: 2 }]);
    const page = await endpoint(hook.id).listDeliveries({ limit: 10 });
    await expect.poll(async () => (await endpoint(hook.id).listDeliveries({ limit: 10 })).map((d) => d.status)).toEqual(["succeeded", "failed"]);
    expect(page.length).toBe(2);
    await expect.poll(async () => (await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).last_delivery).toMatchObject({ status: "succeeded", icon: "✔" });
  });

  it("a connection reset is a connection failure and is retried", async () => {
    const t = await newTenant();
    const box = newBox("reset");
    await script(box, [{ reset: true }], { status: 200 });
    const hook = await createHook(t, { url: boxUrl(box), retry_schedule: [0, 0], order_window_ms: 0 });
    await publish(t, { type: "x" });
    await waitFor(box, atLeast(2));
    await expect.poll(async () => (await latest(hook.id)).delivery.status).toBe("succeeded");
    expect((await latest(hook.id)).attempts.map((a) => a.error_kind)).toEqual(["connection", null]);
  });
});

async function received(box: string) {
  const { received: r } = await import("../helpers");
  return r(box);
}
