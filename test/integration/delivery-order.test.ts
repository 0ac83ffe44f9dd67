import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EndpointDO } from "../../src/endpoint/endpoint-do";
import {
  atLeast, boxUrl, call, createHook, dataOf, endpoint, json, newBox, newTenant, publishBatch, script, seeded, waitFor,
  type Step,
} from "../helpers";
import { endpointRaw } from "../helpers";

const N = 200;

/** A receiver that fails about 30 % of requests at random (seeded), with a mix of failure kinds. */
function flakySteps(count: number, seed: number): Step[] {
  const rand = seeded(seed);
  const kinds: Step[] = [{ status: 500 }, { status: 503 }, { status: 429 }, { reset: true }];
  return Array.from({ length: count }, () => (rand() < 0.3 ? kinds[Math.floor(rand() * kinds.length)]! : { status: 200 }));
}

async function publishN(t: Awaited<ReturnType<typeof newTenant>>, n: number) {
  for (let i = 0; i < n; i += 100) {
    await publishBatch(t, Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ type: "seq.item", data: { seq: i + k } })));
  }
}

describe("ordering", () => {
  it(`${N} events to a strict hook with a randomly failing receiver arrive in publish order, once each after their first 2xx`, async () => {
    const t = await newTenant();
    const box = newBox("strict");
    await script(box, flakySteps(2 * N, 7), { status: 200 });
    await createHook(t, { url: boxUrl(box), events: ["seq.*"], retry_schedule: Array(20).fill(0), order_window_ms: 0 });
    await publishN(t, N);
    const log = await waitFor(box, (l) => l.filter((r) => r.status === 200).length >= N, 60_000);

    const posts = log.filter((r) => r.method === "POST");
    const seqs = dataOf(posts).map((d) => d.seq as number);
    // strict: the receiver never sees event k+1 before event k has succeeded
    const succeeded = posts.map((r, i) => [seqs[i]!, r.status] as const).filter(([, s]) => s === 200).map(([q]) => q);
    expect(succeeded).toEqual(Array.from({ length: N }, (_, i) => i));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
    // retries happened, and nothing was repeated after a 2xx
    expect(posts.length).toBeGreaterThan(N);
    const failures = posts.filter((r) => r.status !== 200).length;
    expect(posts.length).toBe(N + failures);
  });

  it(`with ordering: none, all ${N} events arrive (once each after their first 2xx)`, async () => {
    const t = await newTenant();
    const box = newBox("none");
    await script(box, flakySteps(2 * N, 11), { status: 200 });
    await createHook(t, { url: boxUrl(box), events: ["seq.*"], ordering: "none", max_in_flight: 8, retry_schedule: Array(20).fill(0) });
    await publishN(t, N);
    const log = await waitFor(box, (l) => l.filter((r) => r.status === 200).length >= N, 60_000);
    const ok = dataOf(log.filter((r) => r.status === 200)).map((d) => d.seq as number);
    expect(new Set(ok).size).toBe(N);
    expect(ok.length).toBe(N);
  });

  it("events admitted out of publish order within the settle window leave in publish order; a late one is flagged and counted", async () => {
    const t = await newTenant();
    const box = newBox("settle");
    const hook = await createHook(t, { url: boxUrl(box), events: ["*"], order_window_ms: 3000 });
    const stub = endpoint(hook.id);
    const row = await json(call(`/v1/hooks/${hook.id}`, { key: t.key }));
    expect(row.order_window_ms).toBe(3000);
    // the window counts from each event's publish time: 3 s leaves room for ten admits on a loaded machine
    const base = Date.now();
    const items = [5, 2, 9, 0, 7, 1, 8, 3, 6, 4].map((k) => ({
      id: `dlv_${String(k).padStart(26, "0")}`,
      dedupeKey: `e${k}`,
      eventId: `e${k}`,
      publishedAt: base + k,
      index: 0,
      event: { id: `e${k}`, type: "shuffled", timestamp: base + k, data: { seq: k } },
    }));
    const hookConfig = {
      hookId: hook.id, tenantId: t.id, url: hook.url, description: null, events: ["*"], profile: "standard" as const,
      secretEnc: null, prevSecretEnc: null, prevSecretUntil: null, headers: {}, timeoutMs: 15000, ordering: "strict" as const,
      maxInFlight: 10, orderWindowMs: 3000, retrySchedule: null, rateLimitPerS: null, active: true,
    };
    // admitted one by one, shuffled, as concurrent fan-out consumers would
    for (const it of items) {
      const res = await stub.admit(hookConfig, [it], 1);
      expect(res.grants).toEqual([]); // held: the settle window has not passed
    }
    const log = await waitFor(box, atLeast(10), 20_000);
    expect(dataOf(log).map((d) => d.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // one that arrives after later events already left
    await stub.admit(hookConfig, [{ ...items[0]!, id: "dlv_LATE0000000000000000000000", dedupeKey: "late", eventId: "late", publishedAt: base + 3, event: { ...items[0]!.event, id: "late", data: { seq: "late" } } }], 0);
    const log2 = await waitFor(box, atLeast(11), 20_000);
    expect(dataOf(log2).at(-1)).toEqual({ seq: "late" });
    const stats = await stub.stats(0);
    expect(stats.out_of_order).toBe(1);
    expect(stats.counters.outOfOrder).toBe(1);
    const page = await stub.listDeliveries({ limit: 20 });
    expect(page.find((d) => d.event_id === "late")).toMatchObject({ out_of_order: true, status: "succeeded" });
  });

  it("the alarm is never later than the earliest due work", async () => {
    const t = await newTenant();
    const box = newBox("alarm");
    await script(box, [], { status: 500 });
    const hook = await createHook(t, { url: boxUrl(box), events: ["*"], ordering: "none", retry_schedule: [0, 600], order_window_ms: 0 });
    const raw = endpointRaw(hook.id);
    // a retry far away, then a fresh delivery (lease soon), then check the alarm follows the earliest
    await publishBatch(t, [{ type: "a" }]);
    await waitFor(box, atLeast(1));
    const check = () =>
      runInDurableObject(raw, async (instance: EndpointDO, state) => {
        const { wakeAt } = instance.snapshot();
        return { wakeAt, alarm: await state.storage.getAlarm() };
      });
    await expect.poll(async () => (await check()).wakeAt).toBeGreaterThan(Date.now() + 400_000);
    let { wakeAt, alarm } = await check();
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(wakeAt!); // a sooner alarm may stay (an early wake-up re-arms)
    await runDurableObjectAlarm(raw); // fire it: now the alarm is exactly the retry, far away
    ({ wakeAt, alarm } = await check());
    expect(alarm).toBe(wakeAt);
    await script(box, [{ status: 200, delay_ms: 1500 }], { status: 500 });
    await publishBatch(t, [{ type: "b" }]);
    await expect.poll(async () => (await check()).wakeAt).toBeLessThan(Date.now() + 60_000);
    ({ wakeAt, alarm } = await check());
    expect(alarm).toBe(wakeAt); // pulled forward to the lease expiry, not left at the retry
    expect(await runDurableObjectAlarm(raw)).toBe(true);
  });
});
