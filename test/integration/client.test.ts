/**
 * hookline/client (issue 19): the committed client is generated from this API's /openapi.json, and
 * it drives the README walk-through end to end (tenant, key, hook, list, publish, deliveries).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient } from "hookline/client";
import { verify } from "hookline/verify";
import committed from "../../src/client/openapi.json";
import { atLeast, boxUrl, call, newBox, OPERATOR, script, waitFor } from "../helpers";

/** The Worker's own fetch handler: the client talks to it as it would over the network. */
const workerFetch = (req: Request) => (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default.fetch(req);
const client = (apiKey: string) => createClient({ baseUrl: "http://hookline.test", apiKey, fetch: workerFetch });

describe("hookline/client", () => {
  it("is generated from the API's current /openapi.json (run `npm run client:generate` after changing the API)", async () => {
    const { servers: _servers, ...live } = await (await call("/openapi.json")).json<Record<string, unknown>>();
    // compared path by path first, so a failure names what drifted
    const livePaths = Object.keys(live.paths as object).sort();
    expect(livePaths, "paths in /openapi.json vs src/client/openapi.json").toEqual(Object.keys(committed.paths).sort());
    expect(live, "src/client/openapi.json is stale: run npm run client:generate").toEqual(committed);
  });

  it("drives the README walk-through: tenant, API key, hook, list, publish, delivery history", async () => {
    const operator = client(OPERATOR);
    // 1. a tenant, and an API key for it (shown once)
    const tenant = await operator.POST("/v1/tenants", { body: { name: "acme" } });
    expect(tenant.response.status).toBe(201);
    const key = await operator.POST("/v1/tenants/{id}/api-keys", {
      params: { path: { id: tenant.data!.id } },
      body: { scopes: ["webhook:manage", "events:publish", "deliveries:read"] },
    });
    expect(key.response.status).toBe(201);
    expect(key.data!.key).toMatch(/^hk_/);
    const api = client(key.data!.key);

    // 2. a hook (the secret is shown once), here signing with Ed25519 as well
    const box = newBox("readme");
    await script(box, [], { status: 200 });
    const hook = await api.POST("/v1/hooks", { body: { url: boxUrl(box), events: ["order.*"], signature_scheme: "both", order_window_ms: 0 } });
    expect(hook.response.status).toBe(201);
    expect(hook.data).toMatchObject({ events: ["order.*"], profile: "standard", signature_scheme: "both", status: "active" });
    const { secret, public_key } = hook.data!;
    expect(secret).toMatch(/^whsec_/);
    const pk = await api.GET("/v1/hooks/{id}/public-key", { params: { path: { id: hook.data!.id } } });
    expect(pk.data!.public_key).toBe(public_key);

    // 3. list hooks
    const list = await api.GET("/v1/hooks", { params: { query: { limit: 10 } } });
    expect(list.data!.data.map((h) => h.id)).toEqual([hook.data!.id]);

    // 4. publish an event
    const published = await api.POST("/v1/events", { body: { type: "order.created", data: { id: "42", total: 99.5 } } });
    expect(published.response.status).toBe(202);
    const [r] = await waitFor(box, atLeast(1));
    expect(JSON.parse(r!.body)).toMatchObject({ type: "order.created", data: { id: "42", total: 99.5 } });
    expect(await verify("standard", secret!, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1" });
    expect(await verify("standard", public_key!, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1a" });

    // 5. what happened
    let deliveries;
    for (let i = 0; i < 300; i++) {
      deliveries = await api.GET("/v1/hooks/{id}/deliveries", { params: { path: { id: hook.data!.id } } });
      if (deliveries.data?.data[0]?.status === "succeeded") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(deliveries!.data!.data).toHaveLength(1);
    expect(deliveries!.data!.data[0]).toMatchObject({ status: "succeeded" });

    // errors come back typed, as problem+json
    const bad = await api.POST("/v1/hooks", { body: { url: "ftp://example.com/x" } });
    expect(bad.response.status).toBe(422);
    expect(bad.data).toBeUndefined();
    expect(bad.error).toMatchObject({ status: 422, type: "https://hookline.dev/problems/validation-error" });
  });
});
