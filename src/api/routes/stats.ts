/** GET /v1/stats: per tenant and per hook — succeeded, failed, pending, p50/p99 attempt latency over a window. */
import { createRoute, z } from "@hono/zod-openapi";
import { HOUR_MS } from "../../core/time";
import { countDeadLetters } from "../../db/dead-letters";
import { endpointStub, listHooks } from "../../db/hooks";
import { addToHistogram, histogramPercentile, type Histogram } from "../../core/percentile";
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

app.openapi(
  createRoute({
    method: "get", path: "/", tags: ["Stats"], security: [{ apiKey: [] }], middleware: [keyAuth("deliveries:read")] as const,
    summary: "Delivery counts and latency per tenant and per hook",
    request: { query: z.strictObject({ window_hours: z.coerce.number().int().min(1).max(24 * 30).optional() }) },
    responses: { 200: { description: "Stats", content: { "application/json": { schema: Stats } } }, ...problems(401, 403, 422) },
  }),
  async (c) => {
    const hours = c.req.valid("query").window_hours ?? 24;
    const since = Date.now() - hours * HOUR_MS;
    const rows = await listHooks(c.env.DB, c.get("tenantId"), undefined, MAX_HOOKS);
    const dead = await countDeadLetters(c.env.DB, c.get("tenantId"), since);
    const perHook = await Promise.all(rows.map(async (h) => {
      const { counters: _c, ...s } = await endpointStub(c.env.ENDPOINTS, h.id).stats(since);
      return { hook_id: h.id, ...s };
    }));
    const sum = (k: "succeeded" | "failed" | "cancelled" | "pending" | "out_of_order" | "attempts") => perHook.reduce((n, h) => n + h[k], 0);
    const all = perHook.reduce((h, s) => addToHistogram(h, s.latency), {} as Histogram);
    return c.json({
      window_hours: hours,
      since: new Date(since).toISOString(),
      tenant: {
        succeeded: sum("succeeded"), failed: sum("failed"), cancelled: sum("cancelled"), pending: sum("pending"),
        out_of_order: sum("out_of_order"), attempts: sum("attempts"), p50_ms: histogramPercentile(all, 50), p99_ms: histogramPercentile(all, 99),
        dead_letters: dead.inWindow, dead_letters_open: dead.open,
      },
      hooks: perHook.map(({ latency: _l, ...h }) => h),
    }, 200);
  },
);

export default app;
