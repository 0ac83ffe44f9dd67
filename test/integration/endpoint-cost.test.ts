/**
 * Rows written per delivery, from the SQL cursors (what Cloudflare bills, index entries included),
 * pinned so that a change cannot quietly double them. See bench/RESULTS.md for what each costs.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EndpointDO } from "../../src/endpoint/endpoint-do";
import type { DeliveryCursor } from "../../src/endpoint/store";
import type { AdmitItem, Grant, HookConfig, Outcome } from "../../src/endpoint/types";
import { endpointRaw, testEnv } from "../helpers";

const config = (hookId: string, over: Partial<HookConfig> = {}): HookConfig => ({
  hookId, tenantId: "ten_cost", url: "http://127.0.0.1:9/never", description: null, events: ["*"], profile: "standard",
  secretEnc: null, prevSecretEnc: null, prevSecretUntil: null, headers: {}, timeoutMs: 15_000,
  ordering: "none", maxInFlight: 10, orderWindowMs: 0, retrySchedule: [0, 0], rateLimitPerS: null, active: true, version: 1, ...over,
} as HookConfig);

const item = (i: number, now: number): AdmitItem => ({
  id: "", dedupeKey: `evt-${i}`, eventId: `evt-${i}`, publishedAt: now, index: i,
  event: { id: `evt-${i}`, type: "order.created", timestamp: now, channel: null, data: { i }, changed_attributes: null, actor: null, summary: null },
});
const outcome = (ok: boolean): Outcome => ({
  ok, statusCode: ok ? 200 : 500, errorKind: ok ? null : "http_status", error: null, durationMs: 9, startedAt: Date.now(),
  retryAfterMs: null, responseHeaders: {}, responseBody: null,
});

/** Runs `steps` against a fresh object and returns the rows each step wrote. */
async function rowsWritten(name: string, over: Partial<HookConfig>, steps: (o: EndpointDO, released: { leases: string[] }[]) => Promise<void>[] | Promise<void>) {
  const hookId = `hook_cost_${name}_${Date.now().toString(36)}`;
  const stub = endpointRaw(hookId);
  return runInDurableObject(stub, async (_i: EndpointDO, state) => {
    const released: { leases: string[] }[] = [];
    const env = { ...testEnv, DELIVERIES: { send: async (m: { leases: string[] }) => void released.push(m), sendBatch: async () => {} } };
    const o = new EndpointDO(state, env as never);
    await o.configure(config(hookId, over));
    const before = o.snapshot().meter.rowsWritten;
    await steps(o, released);
    return o.snapshot().meter.rowsWritten - before;
  });
}

describe("rows written per delivery (SQL cursor counts)", () => {
  it("a batch of 10 that succeeds on the first try while its message is held: one block row for all ten, one stats and one summary row", async () => {
    const n = await rowsWritten("first-try", {}, async (o) => {
      const now = Date.now();
      const { grants } = await o.admit(config(o.snapshot().state.config!.hookId), Array.from({ length: 10 }, (_, i) => item(i, now)), 10, true);
      expect(grants).toHaveLength(10);
      const next = await o.report(grants.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) })), 10);
      expect(next).toEqual([]);
    });
    // one block row holding the 10 finished deliveries with their first attempts (no index entry),
    // the hour's stats row, and the summary row (last status flipped to succeeded)
    expect(n).toBe(3);
  });

  it("a second caller whose admit gets no grant writes its own deliveries, not those the first still holds", async () => {
    const n = await rowsWritten("two-holders", {}, async (o) => {
      const now = Date.now();
      const cfg = config(o.snapshot().state.config!.hookId);
      const a = await o.admit(cfg, Array.from({ length: 20 }, (_, i) => item(i, now)), 20, true);
      expect(a.grants).toHaveLength(10); // max_in_flight
      const b = await o.admit(cfg, Array.from({ length: 5 }, (_, i) => item(100 + i, now)), 5, true);
      expect(b.grants).toEqual([]); // no lease free: B is done, its 5 are written as pending (row + queue index)
      let grants = a.grants;
      while (grants.length) grants = await o.report(grants.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) })), 10);
    });
    // B: 5 × 2 (pending: row + queue-index entry) + 5 × 1 (finished in place);
    // A: its 20, finished over two reports, in one block row when its drain ends; the hour's stats
    // row once; the summary row 4 times (B's admit, the first success, B's leases out, back in)
    expect(n).toBe(5 * 2 + 5 + 1 + 1 + 4);
  });

  it("a holder's first-try successes wait for the end of its drain, and a read in between sees them", async () => {
    const hookId = `hook_cost_pool_${Date.now().toString(36)}`;
    await runInDurableObject(endpointRaw(hookId), async (_i: EndpointDO, state) => {
      const o = new EndpointDO(state, testEnv as never);
      const cfg = config(hookId);
      await o.configure(cfg);
      const now = Date.now();
      let grants = (await o.admit(cfg, Array.from({ length: 30 }, (_, i) => item(i, now)), 30, true)).grants;
      const ok = () => grants.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) }));
      const before = o.snapshot().meter.rowsWritten;
      grants = await o.report(ok(), 10);
      grants = await o.report(ok(), 10);
      expect(o.snapshot().meter.rowsWritten - before).toBe(1); // the summary's first success; no block, no stats yet
      // a read writes what is pooled first: all 20 finished are there, with their aggregates
      const listed = o.listDeliveries({ limit: 50 });
      expect(listed.map((d) => d.status)).toEqual(Array(20).fill("succeeded"));
      expect(o.stats(0)).toMatchObject({ succeeded: 20, attempts: 20, pending: 10 });
      grants = await o.report(ok(), 10);
      expect(grants).toEqual([]);
      expect(o.listDeliveries({ limit: 50 })).toHaveLength(30);
      expect(o.stats(0)).toMatchObject({ succeeded: 30, attempts: 30, pending: 0 });
      // admitted again (a redelivered message): nothing new, whether pooled or written
      expect((await o.admit(cfg, Array.from({ length: 30 }, (_, i) => item(i, now)), 30, true)).admitted).toBe(0);
    });
  });

  it("an object reset while successes are pooled: the holder's next report fails, and its message admits them all again", async () => {
    const hookId = `hook_cost_reset_${Date.now().toString(36)}`;
    await runInDurableObject(endpointRaw(hookId), async (_i: EndpointDO, state) => {
      const cfg = config(hookId);
      const before = new EndpointDO(state, testEnv as never);
      await before.configure(cfg);
      const now = Date.now();
      const items = Array.from({ length: 20 }, (_, i) => item(i, now));
      const first = (await before.admit(cfg, items, 20, true)).grants;
      const second = await before.report(first.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) })), 10);
      expect(second).toHaveLength(10); // ten succeeded and wait in memory
      // the reset: a new instance over the same storage; the pooled ten were never written
      const after = new EndpointDO(state, testEnv as never);
      await expect(after.report(second.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) })), 10)).rejects.toThrow(/previous instance/);
      expect(after.listDeliveries({ limit: 50 })).toEqual([]);
      // the unacknowledged message comes back: all 20 are admitted again, none lost
      expect((await after.admit(cfg, items, 20, true)).admitted).toBe(20);
    });
  });

  it("the dedupe check reads nothing for events newer than every stored one, and still finds an older one after a cold start", async () => {
    const hookId = `hook_cost_dedupe_${Date.now().toString(36)}`;
    await runInDurableObject(endpointRaw(hookId), async (_i: EndpointDO, state) => {
      const cfg = config(hookId, { active: false }); // nothing is sent: admits only
      const now = Date.now();
      const first = new EndpointDO(state, testEnv as never);
      await first.configure(cfg);
      expect((await first.admit(cfg, Array.from({ length: 10 }, (_, i) => item(i, now)), 0)).admitted).toBe(10);
      const read = first.snapshot().meter.rowsRead;
      expect((await first.admit(cfg, Array.from({ length: 10 }, (_, i) => item(100 + i, now + 1)), 0)).admitted).toBe(10);
      expect(first.snapshot().meter.rowsRead - read).toBe(0); // ten newer ids: no lookup
      // a new instance over the same storage: the stored ids are found again (one read of the mark first)
      const cold = new EndpointDO(state, testEnv as never);
      const again = await cold.admit(cfg, [...Array.from({ length: 10 }, (_, i) => item(i, now)), item(200, now + 2)], 0);
      expect(again).toMatchObject({ admitted: 1, duplicates: 10 });
    });
  });

  it("large events are written in block rows under the 2 MB row limit, and each stays readable", async () => {
    const hookId = `hook_cost_big_${Date.now().toString(36)}`;
    await runInDurableObject(endpointRaw(hookId), async (_i: EndpointDO, state) => {
      const o = new EndpointDO(state, testEnv as never);
      const cfg = config(hookId, { maxInFlight: 100 });
      await o.configure(cfg);
      const now = Date.now();
      const big = (i: number): AdmitItem => {
        const it = item(i, now);
        return { ...it, event: { ...it.event, data: { i, blob: "x".repeat(100 * 1024 - 20) } } };
      };
      const { grants } = await o.admit(cfg, Array.from({ length: 40 }, (_, i) => big(i)), 40, true);
      expect(grants).toHaveLength(40);
      const before = o.snapshot().meter.rowsWritten;
      await o.report(grants.map((g) => ({ leaseId: g.leaseId, outcome: outcome(true) })), 0);
      // 40 × ~100 KB = ~4 MB: 8 blocks of 5 (≤ 512 K characters each), the stats and the summary rows
      expect(o.snapshot().meter.rowsWritten - before).toBe(8 + 2);
      const sizes = state.storage.sql.exec<{ n: number }>(`SELECT length(items) AS n FROM done_blocks`).toArray().map((r) => r.n);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(512 * 1024);
      expect(o.listDeliveries({ limit: 50 })).toHaveLength(40);
      // a page reads the items of the blocks that reach it: 5 from the newest block, not the 5 newest blocks (~2.5 MB)
      const store = (o as unknown as { store: { read: (q: string, ...a: unknown[]) => unknown[] } }).store;
      const read = store.read.bind(store);
      let blocksParsed = 0;
      store.read = (q, ...a) => {
        const rows = read(q, ...a);
        if (/SELECT items FROM done_blocks/.test(q)) blocksParsed += rows.length;
        return rows;
      };
      const ids = grants.map((g) => g.deliveryId).sort().reverse();
      expect(o.listDeliveries({ limit: 5 }).map((d) => d.id)).toEqual(ids.slice(0, 5));
      expect(blocksParsed).toBe(1);
      // paging with a cursor walks all 40 across the blocks, newest first, each once
      const walked: string[] = [];
      for (let before: DeliveryCursor | undefined; ; ) {
        const page = o.listDeliveries({ limit: 7, before });
        if (!page.length) break;
        walked.push(...page.map((d) => d.id));
        before = [0, 0, page[page.length - 1]!.id];
      }
      expect(walked).toEqual(ids);
      expect(o.getDelivery(grants[37]!.deliveryId)?.delivery.status).toBe("succeeded");
      expect((o.deliveryEvent(grants[37]!.deliveryId)?.data as { i: number }).i).toBe(37);
    });
  });

  it("one delivery that fails once and then succeeds: written as pending when retried, then finished", async () => {
    let grants: Grant[] = [];
    const n = await rowsWritten("retry", {}, async (o, released) => {
      const now = Date.now();
      ({ grants } = await o.admit(config(o.snapshot().state.config!.hookId), [item(0, now)], 1, true));
      // fails: the retry is due at once (schedule [0, 0]) and released to the queue
      expect(await o.report([{ leaseId: grants[0]!.leaseId, outcome: outcome(false) }], 0)).toEqual([]);
      grants = await o.claim(released.at(-1)!.leases);
      expect(grants).toHaveLength(1);
      await o.report([{ leaseId: grants[0]!.leaseId, outcome: outcome(true) }], 0);
    });
    // failure: the row inserted pending (row + live-index entry = 2), stats row, summary row (lease
    // out, status flipped) = 4; success: row finished (row + live-index removal = 2), second attempt
    // row 1, stats row 1, summary row 1 = 5
    expect(n).toBe(9);
  });
});
