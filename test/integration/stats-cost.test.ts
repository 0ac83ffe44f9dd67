/**
 * Issue 15, finding 7: GET /v1/stats must not cost a round of Durable Object calls per request,
 * each sorting a month of attempts. It reads hourly aggregates, and a tenant's per-hook figures
 * are computed at most once per STATS_CACHE_MS.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { STATS_CACHE_MS } from "../../src/core/policy";
import type { EndpointDO } from "../../src/endpoint/endpoint-do";
import { createHook, newTenant, testEnv } from "../helpers";

/** The ENDPOINTS namespace, counting the `stats` calls made through it. */
function countingStats(real: DurableObjectNamespace<EndpointDO>, seen: { n: number }): DurableObjectNamespace<EndpointDO> {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "get") {
        return (id: DurableObjectId) => new Proxy(target.get(id), {
          get: (s, p) => (p === "stats" ? (...a: unknown[]) => (seen.n++, (Reflect.get(s, p) as (...x: unknown[]) => unknown)(...a)) : Reflect.get(s, p)),
        });
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("GET /v1/stats (finding 7)", () => {
  it("makes one round of DO calls per tenant and window within the cache time, and says how old the figures are", async () => {
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await createHook(t, { url: `http://127.0.0.1:9/h${i}`, order_window_ms: 0 });
    const seen = { n: 0 };
    const env = { ...testEnv, ENDPOINTS: countingStats(testEnv.ENDPOINTS, seen) };
    const app = createApp();
    const get = (q = "") => app.request(`http://hookline.test/v1/stats${q}`, { headers: { authorization: `Bearer ${t.readKey}` } }, env);

    const first = await get("?window_hours=720");
    expect(first.status).toBe(200);
    expect(seen.n).toBe(3); // one call per hook, each reading its hourly aggregates
    expect(first.headers.get("cache-control")).toBe(`private, max-age=${STATS_CACHE_MS / 1000}`);
    for (let i = 0; i < 5; i++) expect((await get("?window_hours=720")).status).toBe(200);
    expect(seen.n).toBe(3); // polling within the cache time costs no DO call
    expect(Number(/max-age=(\d+)/.exec((await get("?window_hours=720")).headers.get("cache-control")!)![1])).toBeLessThanOrEqual(STATS_CACHE_MS / 1000);
    await get("?window_hours=24"); // another window is its own entry
    expect(seen.n).toBe(6);
  });
});
