/** GET /v1/stats: per tenant and per hook — succeeded, failed, pending, p50/p99 attempt latency over a window. */
import { createRoute, z } from "@hono/zod-openapi";
import { STATS_CACHE_MS } from "../../core/policy";
import { HOUR_MS } from "../../core/time";
import { countDeadLetters } from "../../db/dead-letters";
import { endpointStub, listHooks } from "../../db/hooks";
import { addToHistogram, histogramPercentile, type Histogram } from "../../core/percentile";
import type { Env } from "../../env";
import { keyAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const Counts = z.object({
  succeeded: z.number(), failed: z.number(), cancelled: z.number(), pending: z.number(), out_of_order: z.number(),
  attempts: z.number(), p50_ms: z.number().nullable(), p99_ms: z.number().nullable(),
});
const TenantCounts = Counts.extend({
  dead_letters: z.number().openapi({ description: "Messages of this tenant that reached hookline-dead in the window (an operator can redrive them)" }),
  dead_letters_open: z.number().openapi({ description: "Of this tenant's dead letters of any age, those not redriven yet" }),
});
const Stats = z.object({
  window_hours: z.number(), since: z.string(), tenant: TenantCounts, hooks: z.array(Counts.extend({ hook_id: z.string() })),
}).openapi("Stats");

const MAX_HOOKS = 1000;
const app = router();

/**
 * One tenant's per-hook figures, computed from each hook's hourly aggregates (one DO call per hook,
 * each reading at most one row per hour of the window), are kept per isolate for STATS_CACHE_MS: a
 * client polling the endpoint costs one round of DO calls per interval, not one per request.
 */
type HookStatsOut = Awaited<ReturnType<ReturnType<typeof endpointStub>["stats"]>> & { hook_id: string };
const cache = new Map<string, { at: number; perHook: HookStatsOut[] }>();

async function hookStats(env: Env, tenantId: string, hours: number, since: number): Promise<{ perHook: HookStatsOut[]; age: number }> {
  const key = `${tenantId}:${hours}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < STATS_CACHE_MS) return { perHook: hit.perHook, age: Date.now() - hit.at };
  const rows = await listHooks(env.DB, tenantId, undefined, MAX_HOOKS);
  const perHook = await Promise.all(rows.map(async (h) => ({ hook_id: h.id, ...(await endpointStub(env.ENDPOINTS, h.id).stats(since)) })));
  if (cache.size >= 10_000) cache.clear();
  cache.set(key, { at: Date.now(), perHook });
  return { perHook, age: 0 };
}

app.openapi(
  createRoute({
    method: "get", path: "/", tags: ["Stats"], security: [{ apiKey: [] }], middleware: [keyAuth("deliveries:read")] as const,
    summary: "Delivery counts and latency per tenant and per hook",
    description: `Per-hook figures come from hourly aggregates and may be up to ${STATS_CACHE_MS / 1000} s old (see the cache-control header).`,
    request: { query: z.strictObject({ window_hours: z.coerce.number().int().min(1).max(24 * 30).optional() }) },
    responses: { 200: { description: "Stats", content: { "application/json": { schema: Stats } } }, ...problems(401, 403, 422) },
  }),
  async (c) => {
    const hours = c.req.valid("query").window_hours ?? 24;
    const since = Date.now() - hours * HOUR_MS;
    const { perHook, age } = await hookStats(c.env, c.get("tenantId"), hours, since);
    const dead = await countDeadLetters(c.env.DB, c.get("tenantId"), since);
    const sum = (k: "succeeded" | "failed" | "cancelled" | "pending" | "out_of_order" | "attempts") => perHook.reduce((n, h) => n + h[k], 0);
    const all = perHook.reduce((h, s) => addToHistogram(h, s.latency), {} as Histogram);
    c.header("cache-control", `private, max-age=${Math.max(0, Math.ceil((STATS_CACHE_MS - age) / 1000))}`);
    return c.json({
      window_hours: hours,
      since: new Date(since).toISOString(),
      tenant: {
        succeeded: sum("succeeded"), failed: sum("failed"), cancelled: sum("cancelled"), pending: sum("pending"),
        out_of_order: sum("out_of_order"), attempts: sum("attempts"), p50_ms: histogramPercentile(all, 50), p99_ms: histogramPercentile(all, 99),
        dead_letters: dead.inWindow, dead_letters_open: dead.open,
      },
      hooks: perHook.map(({ latency: _l, counters: _c, ...h }) => h),
    }, 200);
  },
);

export default app;
