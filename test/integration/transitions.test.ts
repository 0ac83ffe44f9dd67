/**
 * One owner for hook state (issue 14): every transition through src/hooks/transitions.ts, inactive
 * = paused, tombstone delete, a strict sequence that stops, and the reconciler — proved by injecting
 * faults (a D1 write that throws, an EndpointDO that throws) and checking what a receiver sees.
 */
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { getHook, hookConfigsByIds, toHookConfig } from "../../src/db/hooks";
import type { EndpointDO } from "../../src/endpoint/endpoint-do";
import type { Env } from "../../src/env";
import * as transitions from "../../src/hooks/transitions";
import { admitAll } from "../../src/queue/fanout";
import { runGrants } from "../../src/queue/drain";
import { reconcileHooks } from "../../src/scheduled/reconcile";
import { expireHooks } from "../../src/scheduled/expire";
import { disableFailing } from "../../src/scheduled/auto-disable";
import { failingEndpoints, failingHookWrites } from "../faults";
import {
  atLeast, boxUrl, call, createHook, dataOf, endpoint, endpointRaw, json, newBox, newTenant, publish, publishBatch, received, script, testEnv,
  waitFor, type Tenant,
} from "../helpers";

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const posts = async (box: string) => (await received(box)).filter((r) => r.method === "POST");

/** The env of a transition whose D1 writes to `hooks` fail. */
const d1Failing = (): Env => ({ ...testEnv, DB: failingHookWrites(testEnv.DB) });
/** The env of a transition whose call to this hook's EndpointDO fails. */
const doFailing = (hookId: string): Env => ({
  ...testEnv, ENDPOINTS: failingEndpoints(testEnv.ENDPOINTS, new Set([hookId]), ["configure", "reconcile", "admit", "destroy", "cancelAll"]),
});

/** The promise fails with the injected fault (D1 errors arrive wrapped by drizzle, the fault as their cause). */
async function expectInjected(p: Promise<unknown>) {
  const err = (await p.then(() => null, (e: unknown) => e)) as (Error & { cause?: Error }) | null;
  expect(err).toBeInstanceOf(Error);
  expect(`${err!.message} ${err!.cause?.message ?? ""}`).toMatch(/injected/);
}

const row = async (t: Tenant, id: string) => (await getHook(testEnv.DB, t.id, id)) ?? null;

async function reconcileOnce() {
  await reconcileHooks(testEnv, Date.now(), 100_000);
}

/** D1 and the hook's EndpointDO agree: same version, same active flag, and a deleted hook is a tombstone. */
async function expectAgreement(t: Tenant, hookId: string) {
  const r = await row(t, hookId);
  const view = await endpoint(hookId).view();
  if (!r) {
    expect(view.deleted).toBe(true);
    return;
  }
  expect(view.deleted).toBe(false);
  expect(view.version).toBe(r.updatedAt);
  expect(view.active).toBe(r.status === "active" && r.enabled);
}

async function pendingCount(t: Tenant, hookId: string) {
  return (await json(call(`/v1/hooks/${hookId}/deliveries?status=pending&limit=100`, { key: t.key }))).data.length as number;
}

async function strictHook(t: Tenant, box: string, extra: Record<string, unknown> = {}) {
  return createHook(t, { url: boxUrl(box), events: ["order.*"], order_window_ms: 0, ...extra });
}

describe("inactive = paused, not deaf", () => {
  it("deactivate, publish 20 events, activate: all 20 arrive, in publish order (while_inactive hold)", async () => {
    const t = await newTenant();
    const box = newBox("hold");
    const hook = await strictHook(t, box);
    expect(hook.while_inactive).toBe("hold");
    expect((await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key })).status).toBe(200);
    await publishBatch(t, Array.from({ length: 20 }, (_, n) => ({ type: "order.created", data: { n } })));
    await expect.poll(() => pendingCount(t, hook.id), { timeout: 15_000 }).toBe(20);
    expect(await posts(box)).toEqual([]);

    expect((await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} })).status).toBe(200);
    const log = await waitFor(box, atLeast(20));
    expect(dataOf(log)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
  });

  it("with while_inactive skip, none of the 20 arrive and all 20 are in the history as skipped", async () => {
    const t = await newTenant();
    const box = newBox("skip");
    const hook = await strictHook(t, box, { while_inactive: "skip" });
    await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key });
    await publishBatch(t, Array.from({ length: 20 }, (_, n) => ({ type: "order.created", data: { n } })));
    const skipped = async () => (await json(call(`/v1/hooks/${hook.id}/deliveries?status=skipped&limit=100`, { key: t.key }))).data as any[];
    await expect.poll(async () => (await skipped()).length, { timeout: 15_000 }).toBe(20);
    expect((await skipped()).every((d) => d.status === "skipped" && d.attempts === 0)).toBe(true);

    await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} });
    await publish(t, { type: "order.created", data: { n: "after" } });
    const log = await waitFor(box, atLeast(1));
    await sleep(500);
    expect(dataOf(await received(box))).toEqual([{ n: "after" }]);
    expect(log.length).toBeGreaterThan(0);
  });
});

describe("a stale fan-out batch (config read before the change, admitted after it) delivers nothing", () => {
  async function staleAdmit(hookId: string, config: ReturnType<typeof toHookConfig>) {
    const item = { id: `dlv_stale${Date.now()}`, dedupeKey: `evt_stale${hookId}`, eventId: `evt_stale${hookId}`, publishedAt: Date.now(), index: 0,
      event: { id: `evt_stale${hookId}`, type: "order.created", timestamp: Date.now(), channel: null, data: { stale: true } } };
    const { grants, failures } = await admitAll(testEnv, [{ hookId, config, items: [item], events: new Map() }]);
    expect(failures).toEqual([]);
    await runGrants(testEnv, grants);
  }

  it("after a delete: nothing reaches the URL and the delivery ends cancelled", async () => {
    const t = await newTenant();
    const box = newBox("stale-del");
    const hook = await strictHook(t, box);
    const [stale] = await hookConfigsByIds(testEnv.DB, [hook.id]);
    expect((await call(`/v1/hooks/${hook.id}`, { method: "DELETE", key: t.key })).status).toBe(204);
    await staleAdmit(hook.id, toHookConfig(stale!));
    await sleep(500);
    expect(await posts(box)).toEqual([]);
    const history = await endpoint(hook.id).listDeliveries({ limit: 10 });
    expect(history.map((d) => d.status)).toEqual(["cancelled"]);
  });

  it("after a deactivate: nothing reaches the URL; the delivery is held and leaves on activation", async () => {
    const t = await newTenant();
    const box = newBox("stale-off");
    const hook = await strictHook(t, box);
    const [stale] = await hookConfigsByIds(testEnv.DB, [hook.id]);
    await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key });
    await staleAdmit(hook.id, toHookConfig(stale!));
    await sleep(500);
    expect(await posts(box)).toEqual([]);
    await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} });
    expect(dataOf(await waitFor(box, atLeast(1)))).toEqual([{ stale: true }]);
  });
});

describe("a strict sequence stops at once when its hook is deleted or deactivated", () => {
  for (const change of ["delete", "deactivate"] as const) {
    it(`${change}: at most the request already in flight reaches the URL afterwards (slow receiver)`, async () => {
      const t = await newTenant();
      const box = newBox(`seq-${change}`);
      await script(box, [], { status: 200, delay_ms: 400 });
      const hook = await strictHook(t, box);
      await publishBatch(t, Array.from({ length: 10 }, (_, n) => ({ type: "order.created", data: { n } })));
      await waitFor(box, atLeast(1));
      const res = change === "delete"
        ? await call(`/v1/hooks/${hook.id}`, { method: "DELETE", key: t.key })
        : await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key });
      expect(res.status).toBe(change === "delete" ? 204 : 200);
      const atChange = (await posts(box)).length;
      await sleep(2500); // the rest of the sequence would take 10 × 400 ms
      const after = (await posts(box)).length;
      expect(after - atChange).toBeLessThanOrEqual(1);
      expect(after).toBeLessThan(10);
    });
  }
});

/**
 * D1 says inactive while the hook's object still holds the active config (its push was lost): one
 * reconciler run makes them agree, and an event published after it is not sent.
 */
async function reconciledThenDeaf(t: Tenant, hookId: string, box: string) {
  expect((await endpoint(hookId).view()).active).toBe(true);
  await reconcileOnce();
  await expectAgreement(t, hookId);
  await publish(t, { type: "order.created", data: { n: 1 } });
  await sleep(1000);
  expect(await posts(box)).toEqual([]);
}

describe("fault injection: every transition converges after one reconciler run", () => {
  it("deactivate — D1 write fails: nothing changes; DO call fails: the reconciler pushes it; an inactive hook receives nothing", async () => {
    const t = await newTenant();
    const box = newBox("f-off");
    const hook = await strictHook(t, box);
    await expectInjected(transitions.deactivate(d1Failing(), (await row(t, hook.id))!));
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    expect((await row(t, hook.id))!.enabled).toBe(true);

    await transitions.deactivate(doFailing(hook.id), (await row(t, hook.id))!); // D1 written, push lost
    await reconciledThenDeaf(t, hook.id, box);
    await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} });
    expect(dataOf(await waitFor(box, atLeast(1)))).toEqual([{ n: 1 }]); // held, not lost
  });

  it("activate — D1 write fails: stays inactive; DO call fails: the reconciler pushes it and nothing held is lost", async () => {
    const t = await newTenant();
    const box = newBox("f-on");
    const hook = await strictHook(t, box);
    await call(`/v1/hooks/${hook.id}/deactivate`, { method: "POST", key: t.key });
    await publish(t, { type: "order.created", data: { n: 1 } });
    await expect.poll(() => pendingCount(t, hook.id)).toBe(1);

    await expectInjected(transitions.activate(d1Failing(), (await row(t, hook.id))!, null));
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    expect(await posts(box)).toEqual([]);

    await transitions.activate(doFailing(hook.id), (await row(t, hook.id))!, null);
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    await publish(t, { type: "order.created", data: { n: 2 } });
    expect(dataOf(await waitFor(box, atLeast(2)))).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("delete — DO call fails: nothing changes; the row delete fails: the DO is already a tombstone and the reconciler removes the row", async () => {
    const t = await newTenant();
    const box = newBox("f-del");
    const hook = await strictHook(t, box);
    await expectInjected(transitions.remove(doFailing(hook.id), (await row(t, hook.id))!));
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    expect(await row(t, hook.id)).not.toBeNull();

    await expectInjected(transitions.remove(d1Failing(), (await row(t, hook.id))!));
    expect((await endpoint(hook.id).view()).deleted).toBe(true);
    await publish(t, { type: "order.created", data: { n: 1 } }); // the row is still routable: admitted, cancelled
    await sleep(1000);
    expect(await posts(box)).toEqual([]);
    await reconcileOnce();
    expect(await row(t, hook.id)).toBeNull();
    await expectAgreement(t, hook.id);
    expect((await call(`/v1/hooks/${hook.id}`, { key: t.key })).status).toBe(404);
  });

  it("expiry — D1 write fails: the hook stays active and agrees; DO call fails: the reconciler pushes it; an expired hook receives nothing", async () => {
    const t = await newTenant();
    const box = newBox("f-exp");
    const hook = await strictHook(t, box, { expires_at: new Date(Date.now() + DAY).toISOString() });
    await testEnv.DB.prepare("UPDATE hooks SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, hook.id).run();
    await expireHooks(d1Failing(), Date.now());
    expect((await row(t, hook.id))!.status).toBe("active");
    await reconcileOnce();
    await expectAgreement(t, hook.id);

    await expireHooks(doFailing(hook.id), Date.now());
    expect((await row(t, hook.id))!.status).toBe("expired");
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    await publish(t, { type: "order.created", data: { n: 1 } });
    await expect.poll(() => pendingCount(t, hook.id)).toBe(1); // held, not sent
    expect(await posts(box)).toEqual([]);
  });

  it("auto-disable (cron) — D1 write fails: stays active and agrees; DO call fails: the reconciler pushes it", async () => {
    const t = await newTenant();
    const box = newBox("f-fail");
    const hook = await strictHook(t, box);
    await runInDurableObject(endpointRaw(hook.id), (i: EndpointDO) => {
      const s = (i as unknown as { state: { failStreak: number; failingSince: number } }).state;
      s.failStreak = 12;
      s.failingSince = Date.now() - 6 * DAY;
    });
    await testEnv.DB.prepare("UPDATE hooks SET failing_since = ? WHERE id = ?").bind(Date.now() - 6 * DAY, hook.id).run();
    await disableFailing(d1Failing(), Date.now());
    expect((await row(t, hook.id))!.status).toBe("active");
    await reconcileOnce();
    await expectAgreement(t, hook.id);

    // snapshot() must answer for the cron to decide; only the config push fails.
    const env: Env = { ...testEnv, ENDPOINTS: failingEndpoints(testEnv.ENDPOINTS, new Set([hook.id]), ["configure"]) };
    await disableFailing(env, Date.now());
    expect((await row(t, hook.id))!).toMatchObject({ status: "disabled", disabledReason: "failing" });
    await reconciledThenDeaf(t, hook.id, box);
  });

  it("410 Gone — the DO's own disable fails to reach D1: the reconciler applies it, and the hook receives nothing more", async () => {
    const t = await newTenant();
    const box = newBox("f-gone");
    await script(box, [{ status: 410 }], { status: 200 });
    const hook = await strictHook(t, box);
    await runInDurableObject(endpointRaw(hook.id), (i: EndpointDO) => {
      const self = i as unknown as { env: Env };
      self.env = { ...self.env, DB: failingHookWrites(self.env.DB) };
    });
    await publish(t, { type: "order.created", data: { n: 1 } });
    await waitFor(box, atLeast(1));
    await expect.poll(async () => (await endpoint(hook.id).view()).disabled?.reason).toBe("gone");
    expect((await row(t, hook.id))!.status).toBe("active"); // the write failed: D1 does not know yet

    await reconcileOnce();
    expect((await row(t, hook.id))!).toMatchObject({ status: "disabled", disabledReason: "gone" });
    await expectAgreement(t, hook.id);
    await publish(t, { type: "order.created", data: { n: 2 } });
    await sleep(1000);
    expect((await posts(box)).length).toBe(1);
    // Re-enabling resumes from the held queue: the 410'd delivery and the one published since, in order.
    await call(`/v1/hooks/${hook.id}/activate`, { method: "POST", key: t.key, body: {} });
    expect(dataOf(await waitFor(box, atLeast(3)))).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }]);
  });

  it("URL change on a handshake hook — D1 write fails: unchanged; DO call fails: the reconciler makes the DO inactive, the old URL receives nothing", async () => {
    const t = await newTenant();
    const oldBox = newBox("f-url-old");
    const newBoxId = newBox("f-url-new");
    await script(oldBox, [{ status: 200, headers: { "webhook-allowed-origin": "*" } }], { status: 200 });
    const hook = await strictHook(t, oldBox, { validation: "handshake" });
    await expect.poll(async () => (await row(t, hook.id))!.status).toBe("active");
    const { updateHook } = await import("../../src/api/hook-service");

    await expectInjected(updateHook(d1Failing(), (await row(t, hook.id))!, { url: boxUrl(newBoxId) }));
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    expect((await row(t, hook.id))!.url).toBe(boxUrl(oldBox));

    await updateHook(doFailing(hook.id), (await row(t, hook.id))!, { url: boxUrl(newBoxId) });
    expect((await row(t, hook.id))!.status).toBe("pending_validation");
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    await publish(t, { type: "order.created", data: { n: 1 } });
    await sleep(1000);
    expect(await posts(oldBox)).toEqual([]);
    expect(await posts(newBoxId)).toEqual([]);
  });
});

describe("the reconciler", () => {
  it("runs from the cron, bounded per run, and repairs nothing when D1 and the DOs agree", async () => {
    const t = await newTenant();
    const hook = await strictHook(t, newBox("rec"));
    await reconcileOnce();
    await expectAgreement(t, hook.id);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(await reconcileHooks(testEnv, Date.now(), 100_000)).toBe(0);
  });

  it("visits a different window of hooks on each run until every hook had its turn", async () => {
    const t = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await strictHook(t, newBox("turn"))).id);
    for (const id of ids) await transitions.deactivate(doFailing(id), (await row(t, id))!);
    const total = (await testEnv.DB.prepare("SELECT COUNT(*) AS n FROM hooks").first<{ n: number }>())!.n;
    const per = Math.max(1, Math.ceil(total / 4));
    const period = 5 * 60_000;
    for (let run = 0; run < Math.ceil(total / per); run++) await reconcileHooks(testEnv, run * period, per);
    for (const id of ids) await expectAgreement(t, id);
  });
});

