/**
 * No-loss accounting under injected faults, against wrangler dev (DESIGN §3, §8).
 * N events × M hooks of mixed profiles and orderings; the receiver is scripted per hook with slow
 * answers (past the timeout), 500, 503 + Retry-After, 429, 410, connection resets, 302 and
 * "2xx after N failures". The receiver's own log is the ground truth.
 */
import { describe, expect, it } from "vitest";
import { api, box, boxUrl, ok, script, seen, tenant, until, type Seen } from "./client";

const N = 60;
const TIMEOUT_MS = 1000;
const SCHEDULE = [0, 1, 1, 1, 2, 2, 2, 2];

type Step = { status?: number; delay_ms?: number; headers?: Record<string, string>; reset?: boolean };
const FAULTS: Record<string, Step> = {
  slow: { status: 200, delay_ms: 1500 },
  e500: { status: 500 },
  e503: { status: 503, headers: { "retry-after": "1" } },
  e429: { status: 429, headers: { "retry-after": "1" } },
  reset: { reset: true },
  redirect: { status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } },
};

/** A deterministic fault script: every `every`-th request gets the next fault, the rest 200. */
function faultScript(kinds: string[], every: number, count: number): Step[] {
  let k = 0;
  return Array.from({ length: count }, (_, i) => (i % every === every - 1 ? FAULTS[kinds[k++ % kinds.length]!]! : { status: 200 }));
}

interface HookPlan {
  name: string;
  profile: string;
  ordering: "strict" | "none";
  steps: Step[];
  schedule?: number[];
}

const PLANS: HookPlan[] = [
  { name: "standard-strict", profile: "standard", ordering: "strict", steps: faultScript(["e500", "slow", "reset", "e503"], 4, 3 * N) },
  { name: "standard-none", profile: "standard", ordering: "none", steps: faultScript(["e429", "e500", "redirect"], 5, 3 * N) },
  { name: "bimdata-strict", profile: "bimdata", ordering: "strict", steps: faultScript(["reset", "e500"], 6, 3 * N) },
  { name: "itwin-none", profile: "itwin", ordering: "none", steps: faultScript(["slow", "e503"], 7, 3 * N) },
  { name: "speckle-strict", profile: "speckle", ordering: "strict", steps: faultScript(["e500"], 3, 3 * N) },
  // "2xx after N failures", and a schedule short enough that some deliveries end failed
  { name: "idfy-exhausting", profile: "idfy", ordering: "strict", schedule: [0, 0], steps: Array.from({ length: 3 * N }, (_, i) => (i % 5 < 2 ? { status: 500 } : { status: 200 })) },
  { name: "propstack-gone", profile: "propstack", ordering: "strict", steps: [...Array(10).fill({ status: 200 }), { status: 410 }] },
];

const lostResponse = (r: Seen & { delay_ms?: number }) => r.status !== 200 || (r.delay_ms ?? 0) > TIMEOUT_MS;

describe("no-loss accounting under faults (wrangler dev)", () => {
  it(`${N} events × ${PLANS.length} hooks: every delivery ends, nothing is lost, strict hooks keep publish order`, async () => {
    const t = await tenant("reliability");
    const hooks: { plan: HookPlan; id: string; box: string }[] = [];
    for (const plan of PLANS) {
      const b = box(plan.name);
      await script(b, plan.steps, { status: 200 });
      const hook = await ok(api("/v1/hooks", {
        key: t.key,
        body: {
          url: boxUrl(b), profile: plan.profile, validation: "none", ordering: plan.ordering, timeout_ms: TIMEOUT_MS,
          retry_schedule: plan.schedule ?? SCHEDULE, order_window_ms: plan.ordering === "strict" ? 200 : 0, description: plan.name,
        },
      }), 201);
      hooks.push({ plan, id: hook.id, box: b });
    }

    const published: string[] = [];
    for (let i = 0; i < N; i += 20) {
      const res = await ok(api("/v1/events/batch", {
        key: t.key,
        body: { events: Array.from({ length: 20 }, (_, k) => ({ id: `rel-${i + k}`, type: "reliability.tick", data: { seq: i + k } })) },
      }), 202);
      published.push(...res.data.map((e: { id: string }) => e.id));
    }

    // The 410 hook is disabled: wait for that, then revive it so its held queue drains.
    const gone = hooks.find((h) => h.plan.name === "propstack-gone")!;
    await until(async () => (await ok(api(`/v1/hooks/${gone.id}`, { key: t.key }))).status, (s) => s === "disabled", 60_000, "410 disables");
    await ok(api(`/v1/hooks/${gone.id}/activate`, { method: "POST", key: t.key }));

    const stats = await until(
      async () => ok(api("/v1/stats", { key: t.key })),
      (s: any) => s.tenant.pending === 0 && s.tenant.succeeded + s.tenant.failed === N * PLANS.length,
      150_000,
      "all deliveries to end",
    );
    const total = N * PLANS.length;
    expect(stats.tenant.succeeded + stats.tenant.failed + stats.tenant.pending).toBe(total);

    let delivered = 0;
    let failed = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let faults = 0;
    for (const h of hooks) {
      const log = (await seen(h.box)) as (Seen & { delay_ms?: number })[];
      faults += log.filter(lostResponse).length;
      const byEvent = new Map<string, (Seen & { delay_ms?: number })[]>();
      for (const r of log) byEvent.set(r.headers["webhook-id"]!, [...(byEvent.get(r.headers["webhook-id"]!) ?? []), r]);
      const hist: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await ok(api(`/v1/hooks/${h.id}/deliveries?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { key: t.key }));
        hist.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      expect(hist.length, h.plan.name).toBe(N);
      const succeeded = new Set(hist.filter((d) => d.status === "succeeded").map((d) => d.event_id));
      failed += hist.filter((d) => d.status === "failed").length;

      for (const id of published) {
        const tries = byEvent.get(id) ?? [];
        expect(tries.length, `${h.plan.name} saw ${id}`).toBeGreaterThan(0); // each event id reached the receiver
        const firstOk = tries.findIndex((r) => !lostResponse(r));
        if (succeeded.has(id)) {
          expect(firstOk, `${h.plan.name}: ${id} succeeded, so the receiver answered 2xx`).toBe(tries.length - 1);
          delivered++;
        } else {
          expect(firstOk, `${h.plan.name}: ${id} failed, so no 2xx was seen in time`).toBe(-1);
        }
        // duplicates only where a retry followed a lost response
        duplicates += tries.length - 1;
        for (const r of tries.slice(0, -1)) expect(lostResponse(r)).toBe(true);
      }
      if (h.plan.ordering === "strict") {
        // arrival order of first successful receipt = publish order
        const firsts = log.filter((r) => !lostResponse(r)).map((r) => published.indexOf(r.headers["webhook-id"]!));
        const sorted = [...firsts].sort((a, b) => a - b);
        if (JSON.stringify(firsts) !== JSON.stringify(sorted)) outOfOrder++;
        expect(firsts, `${h.plan.name} in publish order`).toEqual(sorted);
      }
    }
    const summary = {
      events_published: N, hooks: PLANS.length, deliveries_expected: total, delivered_2xx: delivered,
      failed_after_schedule: failed, lost: total - delivered - failed, retries_after_lost_response: duplicates,
      faults_injected: faults, strict_hooks_out_of_order: outOfOrder,
    };
    console.log(`\nreliability summary ${JSON.stringify(summary)}`);
    expect(summary.lost).toBe(0);
    expect(delivered).toBe(stats.tenant.succeeded);
    expect(failed).toBe(stats.tenant.failed);
    expect(faults).toBeGreaterThan(50);
  });
});
