import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { api } from "./client";

describe("OpenAPI document (served by wrangler dev)", () => {
  it("validates as OpenAPI 3.1 and lists every /v1 route with its error responses", async () => {
    const doc = await (await api("/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    const validated = (await SwaggerParser.validate(structuredClone(doc))) as any;
    expect(validated.info.title).toBe("Hookline");

    const routes = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = [
      "POST /v1/tenants", "POST /v1/tenants/{id}/api-keys", "GET /v1/tenants/{id}/api-keys", "DELETE /v1/tenants/{id}/api-keys/{key}",
      "POST /v1/hooks", "GET /v1/hooks", "GET /v1/hooks/{id}", "PATCH /v1/hooks/{id}", "DELETE /v1/hooks/{id}",
      "POST /v1/hooks/{id}/activate", "POST /v1/hooks/{id}/deactivate", "POST /v1/hooks/{id}/revalidate",
      "POST /v1/hooks/{id}/rotate-secret", "GET /v1/hooks/{id}/public-key", "POST /v1/hooks/{id}/test", "POST /v1/hooks/{id}/recover",
      "GET /v1/hooks/{id}/deliveries", "GET /v1/hooks/{id}/deliveries/{delivery}", "POST /v1/hooks/{id}/deliveries/{delivery}/resend",
      "POST /v1/events", "POST /v1/events/batch",
      "GET /v1/event-types", "POST /v1/event-types", "PATCH /v1/event-types/{name}", "GET /v1/event-types/presets/{profile}", "POST /v1/event-types/import/{profile}",
      "GET /v1/validate/{hook}/{token}", "GET /v1/stats",
      "GET /v1/dead-letters", "GET /v1/dead-letters/{id}", "POST /v1/dead-letters/{id}/redrive", "POST /v1/dead-letters/redrive",
    ];
    for (const r of expected) expect(routes, r).toContain(r);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses);
        expect(codes.some((c) => c.startsWith("4")), `${method} ${path} documents its errors`).toBe(true);
      }
    }
  });

  it("serves an API reference page at /docs", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html.toLowerCase()).toContain("swagger");
  });
});
