/**
 * GET /v1/validate/:hook/:token — the manual validation link (public, single-use, 2 days).
 * Every failure looks the same, so the link reveals nothing about other hooks.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { sha256Hex, timingSafeEqual } from "../../core/crypto";
import { db } from "../../db/hooks";
import { hooks } from "../../db/schema";
import { AppError } from "../../errors";
import { activate } from "../../lifecycle/handshake";
import { problems } from "../openapi";
import { router } from "../router";

const invalidLink = () => new AppError(404, "invalid-validation-link", "Invalid validation link", "This validation link is invalid, already used, or expired.");

const app = router();

app.openapi(
  createRoute({
    method: "get", path: "/{hook}/{token}", tags: ["Hooks"], summary: "Validate a hook manually (the WebHook-Request-Callback link)",
    request: { params: z.object({ hook: z.string().max(100), token: z.string().max(200) }) },
    responses: {
      200: { description: "Validated", content: { "application/json": { schema: z.object({ id: z.string(), status: z.literal("active") }) } } },
      ...problems(404),
    },
  }),
  async (c) => {
    const { hook, token } = c.req.valid("param");
    const presented = await sha256Hex(token); // hashed first, whatever the hook id, so timing says nothing
    const row = (await db(c.env.DB).select().from(hooks).where(eq(hooks.id, hook)).limit(1))[0];
    const stored = row?.validationTokenHash ?? "0".repeat(64);
    const ok = timingSafeEqual(presented, stored);
    if (!row || !ok || row.status !== "pending_validation" || (row.validationDeadline ?? 0) < Date.now()) throw invalidLink();
    await activate(c.env, row, "validated manually with the callback link");
    return c.json({ id: row.id, status: "active" as const }, 200);
  },
);

export default app;
