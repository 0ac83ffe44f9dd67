/**
 * The EndpointDO at production size: a hook holding 1,000,000 pending deliveries costs the same
 * per admit, per report and per alarm as one holding 1,000 — counted as Cloudflare bills it, with
 * the SQL cursor's rowsRead / rowsWritten — and a cold start reads at most a window of rows.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STRICT_SEQUENCE, WINDOW_MAX } from "../../src/core/policy";
import { EndpointDO } from "../../src/endpoint/endpoint-do";
import { emptyState } from "../../src/endpoint/machine";
import type { AdmitItem, Grant, HookConfig } from "../../src/endpoint/types";
import { endpointRaw, testEnv } from "../helpers";

const T0 = Date.parse("2026-06-01T00:00:00Z");

const config = (hookId: string, over: Partial<HookConfig> = {}): HookConfig => ({
  hookId, tenantId: "ten_scale", url: "http://127.0.0.1:9/never", description: null, events: ["*"], profile: "standard",
  secretEnc: null, prevSecretEnc: null, prevSecretUntil: null, headers: {}, timeoutMs: 15_000,
  ordering: "strict", maxInFlight: 10, orderWindowMs: 0, retrySchedule: null, rateLimitPerS: null, active: false, version: 1, ...over,
} as HookConfig);

/**
 * Stores `n` pending deliveries published at T0 + i (one SQL statement), and counts them in the
 * object's summary, as if they had been admitted while the hook was paused.
 */
function seedBacklog(sql: SqlStorage, n: number) {
  sql.exec(
    `WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ? - 1)
     INSERT INTO deliveries (id, event_id, event_type, published_at, idx, sort_at, status, attempts, next_at,
       out_of_order, created_at, updated_at, last_error, event)
     SELECT printf('dlv_seed%08d', x), printf('seed-%08d', x), 'order.created', ? + x, 0, 0,
       'pending', 0, ?, 0, ?, ?, NULL,
       json_object('id', printf('seed-%08d', x), 'type', 'order.created', 'timestamp', ? + x, 'channel', NULL,
         'data', json_object('n', x), 'changed_attributes', NULL, 'actor', NULL, 'summary', NULL)
     FROM c`,
    n, T0, T0, T0, T0, T0,
  );
  const row = sql.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'machine'`).toArray()[0];
  const { config: _c, window: _w, limits: _l, ...fresh } = emptyState();
  const meta = row ? (JSON.parse(row.v) as typeof fresh) : fresh;
  meta.live += n;
  sql.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('machine', ?)`, JSON.stringify(meta));
}

const item = (i: number): AdmitItem => ({
  id: `dlv_new${String(i).padStart(6, "0")}`, dedupeKey: `new-${i}`, eventId: `new-${i}`, publishedAt: T0 + 10_000_000 + i, index: 0,
  event: { id: `new-${i}`, type: "order.created", timestamp: T0, channel: null, data: { i }, changed_attributes: null, actor: null, summary: null },
});

interface Costs {
  coldStart: { rowsRead: number; rowsWritten: number };
  admit: { rowsRead: number; rowsWritten: number };
  reports: { rowsRead: number; rowsWritten: number };
  alarm: { rowsRead: number; rowsWritten: number };
  delivered: string[];
  peak: number;
}

/** Builds an n-row backlog in a fresh object, then measures one cold start, admits, reports and an alarm. */
async function measure(n: number): Promise<Costs> {
  const hookId = `hook_scale_${n}_${Date.now().toString(36)}`;
  const stub = endpointRaw(hookId);
  await stub.configure(config(hookId)); // paused: nothing leaves while the backlog is built
  return runInDurableObject(stub, async (_instance: EndpointDO, state) => {
    seedBacklog(state.storage.sql, n);
    // A cold start: a new instance over the same storage (what a restart or an eviction gives).
    // Released leases go to a recording queue, not to the real consumer, so nothing else runs.
    const released: unknown[] = [];
    const env = { ...testEnv, DELIVERIES: { send: async (m: unknown) => void released.push(m), sendBatch: async () => {} } };
    const cold = new EndpointDO(state, env as never);
    cold.clock = () => ({ now: T0 + 20_000_000, random: () => 0.5, newLeaseId: (() => { let k = 0; return () => `L${n}-${++k}-${Math.random()}`; })() });
    const meter = () => ({ ...cold.snapshot().meter });
    const diff = (a: { rowsRead: number; rowsWritten: number }, b: typeof a) => ({ rowsRead: b.rowsRead - a.rowsRead, rowsWritten: b.rowsWritten - a.rowsWritten });

    // Admit 100 events (one fan-out batch) behind the backlog, while paused.
    let m0 = meter();
    await cold.admit(config(hookId), Array.from({ length: 100 }, (_, i) => item(i)), 0);
    const admit = diff(m0, meter());

    // Resume and drain 30 strict sequences of 10: report each sequence, take the next.
    await cold.configure(config(hookId, { active: true, version: 2 }));
    const first = released.at(-1) as { leases: string[] };
    let grants: Grant[] = await cold.claim(first.leases);
    const delivered: string[] = [];
    m0 = meter();
    for (let i = 0; i < 30; i++) {
      expect(grants).toHaveLength(STRICT_SEQUENCE);
      delivered.push(...grants.map((g) => g.event.id));
      grants = await cold.report(grants.map((g) => ({
        leaseId: g.leaseId,
        outcome: { ok: true, statusCode: 200, errorKind: null, error: null, durationMs: 12, startedAt: T0 + 20_000_000, retryAfterMs: null, responseHeaders: {}, responseBody: null },
      })), STRICT_SEQUENCE);
    }
    const reports = diff(m0, meter());

    m0 = meter();
    await cold.alarm();
    const alarm = diff(m0, meter());
    return { coldStart: cold.coldStart, admit, reports, alarm, delivered, peak: cold.snapshot().peakInMemory };
  });
}

describe("EndpointDO at 1,000,000 pending deliveries", () => {
  it("reads and writes the same rows per admit, per report and per alarm as at 1,000, and a cold start reads one window", async () => {
    const small = await measure(1_000);
    const large = await measure(1_000_000);
    console.log("endpoint-scale", JSON.stringify({ small, large }, (k, v) => (k === "delivered" ? v.length : v)));

    expect(large.admit).toEqual(small.admit);
    expect(large.reports).toEqual(small.reports);
    expect(large.alarm).toEqual(small.alarm);
    expect(large.coldStart).toEqual(small.coldStart);
    expect(large.coldStart.rowsRead).toBeLessThanOrEqual(WINDOW_MAX);
    expect(large.coldStart.rowsWritten).toBe(0);
    // what left is the head of the backlog, in publish order, the same at both sizes
    const expected = Array.from({ length: 300 }, (_, i) => `seed-${String(i).padStart(8, "0")}`);
    expect(large.delivered).toEqual(expected);
    expect(small.delivered).toEqual(expected);
    // memory holds a window, not the backlog
    expect(large.peak).toBeLessThanOrEqual(WINDOW_MAX + STRICT_SEQUENCE);
    expect(large.peak).toBe(small.peak);
    // and the cost is sane in absolute terms: per delivery a handful of rows, not a scan
    expect(large.reports.rowsRead / 300).toBeLessThan(10);
    expect(large.admit.rowsWritten / 100).toBeLessThan(10);
  });
});
