import { z } from "@hono/zod-openapi";

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    errors: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string() })).optional(),
  })
  .openapi("Problem");

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request", 401: "Missing or invalid credentials", 403: "Key lacks the scope",
  404: "Not found (or another tenant's)", 409: "Conflict", 413: "Payload too large",
  415: "Content-Type must be application/json", 422: "Validation failed",
  429: "Too many requests, or a per-tenant quota reached", 503: "A queue or store is unavailable; try again",
};

/** Error responses for a route's OpenAPI description. */
export function problems(...codes: number[]) {
  return Object.fromEntries(
    codes.map((code) => [code, { description: DESCRIPTIONS[code] ?? "Error", content: { "application/problem+json": { schema: Problem } } }]),
  ) as Record<number, { description: string; content: { "application/problem+json": { schema: typeof Problem } } }>;
}
