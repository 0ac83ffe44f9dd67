/**
 * The benchmark's build of Hookline: the real Worker, plus two routes the benchmark needs —
 * a bare ingest route that does nothing but EVENTS.send (the ingest baseline, in the same worker),
 * and the resource counters of this isolate (src/metrics.ts). Never deployed.
 */
import { Hono } from "hono";
import type { Env } from "../src/env";
import hookline from "../src/index";
import { endpointStub } from "../src/db/hooks";
import { counts, resetCounts } from "../src/metrics";

export { EndpointDO } from "../src/index";

const bench = new Hono<{ Bindings: Env }>();

let sequence = 0;
bench.post("/bench/bare", async (c) => {
  const body = await c.req.json<{ tenant_id: string; type: string; data?: unknown }>();
  const now = Date.now();
  await c.env.EVENTS.send(
    { v: 1, tenant_id: body.tenant_id, id: `bare-${now}-${sequence}`, type: body.type, data: body.data ?? null, published_at: now, index: sequence++ },
    { contentType: "json" },
  );
  return c.json({ status: "queued" }, 202);
});
bench.get("/bench/metrics", (c) => c.json({ ...counts }));
/** What one hook's EndpointDO holds: live count, in memory now and at most, and its cold start's rows. */
bench.get("/bench/endpoint/:hook", async (c) => {
  const s = await endpointStub(c.env.ENDPOINTS, c.req.param("hook")).snapshot();
  return c.json({
    live: s.state.live, in_flight: s.state.inFlight.length, window: s.state.window.length,
    in_memory: s.inMemory, peak_in_memory: s.peakInMemory, cold_start: s.coldStart,
  });
});
bench.post("/bench/metrics/reset", (c) => {
  resetCounts();
  return c.body(null, 204);
});

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (new URL(request.url).pathname.startsWith("/bench/")) return bench.fetch(request, env, ctx);
    return hookline.fetch(request, env, ctx);
  },
  queue: hookline.queue,
  scheduled: hookline.scheduled,
} satisfies ExportedHandler<Env>;
