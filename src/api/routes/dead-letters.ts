/**
 * Operator routes over hookline-dead (issue 13): list what could not be processed, look at one,
 * and redrive — send its message back to the queue it came from. Redriving is idempotent: admit
 * dedupes by event id, so hooks that already have the event do not get it twice.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { DEAD_LETTER_PAGE, DEFAULT_PAGE_SIZE } from "../../core/policy";
import { idPattern } from "../../core/ids";
import { TenantId } from "../../core/schemas";
import { getDeadLetter, listDeadLetters, redrivableDeadLetters, type DeadLetterSummary } from "../../db/dead-letters";
import type { DeadLetterRow } from "../../db/schema";
import { AppError, conflict, notFound } from "../../errors";
import { errorText, redrive } from "../../queue/dead-letters";
import { log } from "../../log";
import { operatorAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const DeadLetterId = z.string().regex(idPattern("dead"), "not a dead letter id").openapi({ example: "dead_01JD0000000000000000000000" });
const Kind = z.enum(["event", "fanout", "drain", "validate", "invalid"]).openapi({
  description: "event: a message of hookline-events; fanout: one or more hooks' share of an event; drain, validate: delivery jobs; invalid: a message that failed validation (not redrivable)",
});
const DeadLetter = z.object({
  id: DeadLetterId,
  message_id: z.string().openapi({ description: "The queue message that died" }),
  tenant_id: z.string().nullable(),
  event_id: z.string().nullable(),
  hook_ids: z.array(z.string()).nullable().openapi({ description: "The hooks it was for; null = every hook the event matches" }),
  queue: z.string().nullable().openapi({ description: "Where a redrive sends it (hookline-events or hookline-deliveries); null = not redrivable" }),
  kind: Kind,
  reason: z.string(),
  attempts: z.number().int(),
  created_at: z.string(),
  redriven_at: z.string().nullable(),
}).openapi("DeadLetter");
const DeadLetterFull = DeadLetter.extend({ body: z.unknown().openapi({ description: "The message, as a redrive sends it" }) }).openapi("DeadLetterWithBody");
const Redriven = z.object({ id: DeadLetterId, queue: z.string(), redriven_at: z.string() }).openapi("DeadLetterRedriven");
const RedriveMany = z.strictObject({
  tenant_id: TenantId.optional(),
  kind: Kind.optional(),
  limit: z.number().int().min(1).max(DEAD_LETTER_PAGE).optional().openapi({ description: `At most this many (default and max ${DEAD_LETTER_PAGE}), oldest first` }),
}).openapi("DeadLetterRedriveMany");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const out = (r: DeadLetterSummary) => ({
  id: r.id, message_id: r.messageId, tenant_id: r.tenantId, event_id: r.eventId, hook_ids: r.hookIds ?? null, queue: r.queue,
  kind: r.kind as z.infer<typeof Kind>, reason: r.reason, attempts: r.attempts, created_at: new Date(r.createdAt).toISOString(),
  redriven_at: iso(r.redrivenAt),
});

const security = [{ operatorToken: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const app = router();
app.use("*", operatorAuth);

app.openapi(
  createRoute({
    method: "get", path: "/", tags: ["Operations"], security, summary: "List dead letters (operator), newest first",
    request: {
      query: z.strictObject({
        tenant_id: TenantId.optional(),
        kind: Kind.optional(),
        status: z.enum(["open", "redriven", "all"]).optional().openapi({ description: "open = not redriven yet (default: all)" }),
        limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PAGE).optional(),
        cursor: DeadLetterId.optional().openapi({ description: "`next_cursor` of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of dead letters (without bodies)", ...json(z.object({ data: z.array(DeadLetter), next_cursor: z.string().nullable() })) }, ...problems(401, 422) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await listDeadLetters(c.env.DB, { tenantId: q.tenant_id, kind: q.kind, status: q.status ?? "all", before: q.cursor, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return c.json({ data: page.map(out), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null }, 200);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/{id}", tags: ["Operations"], security, summary: "Get a dead letter with its message (operator)",
    request: { params: z.object({ id: DeadLetterId }) },
    responses: { 200: { description: "The dead letter", ...json(DeadLetterFull) }, ...problems(401, 404, 422) },
  }),
  async (c) => {
    const row = await getDeadLetter(c.env.DB, c.req.valid("param").id);
    if (!row) throw notFound("dead letter");
    return c.json({ ...out(row), body: row.body }, 200);
  },
);

async function redriveOrThrow(env: Parameters<typeof redrive>[0], row: DeadLetterRow, now: number) {
  try {
    await redrive(env, row, now);
  } catch (err) {
    log("error", "redrive failed", { dead_letter_id: row.id, error: errorText(err) });
    throw new AppError(503, "redrive-failed", "Redrive failed", "The message could not be sent back to its queue; try again.");
  }
}

app.openapi(
  createRoute({
    method: "post", path: "/{id}/redrive", tags: ["Operations"], security,
    summary: "Redrive a dead letter: send its message back to its queue (operator; idempotent, admit dedupes by event id)",
    request: { params: z.object({ id: DeadLetterId }) },
    responses: { 202: { description: "Sent back to its queue", ...json(Redriven) }, ...problems(401, 404, 409, 422, 503) },
  }),
  async (c) => {
    const row = await getDeadLetter(c.env.DB, c.req.valid("param").id);
    if (!row) throw notFound("dead letter");
    if (!row.queue) throw conflict(`This dead letter is a ${row.kind} message (${row.reason}): there is nothing to redrive.`);
    const now = Date.now();
    await redriveOrThrow(c.env, row, now);
    return c.json({ id: row.id, queue: row.queue, redriven_at: new Date(now).toISOString() }, 202);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/redrive", tags: ["Operations"], security,
    summary: "Redrive the open dead letters (operator), oldest first, optionally of one tenant or kind",
    request: { body: { required: true, ...json(RedriveMany) } },
    responses: { 202: { description: "Sent back to their queues", ...json(z.object({ data: z.array(Redriven) })) }, ...problems(400, 401, 415, 422, 503) },
  }),
  async (c) => {
    const q = c.req.valid("json");
    const rows = await redrivableDeadLetters(c.env.DB, { tenantId: q.tenant_id, kind: q.kind, limit: q.limit ?? DEAD_LETTER_PAGE });
    const data: z.infer<typeof Redriven>[] = [];
    for (const row of rows) {
      const now = Date.now();
      await redriveOrThrow(c.env, row, now);
      data.push({ id: row.id, queue: row.queue!, redriven_at: new Date(now).toISOString() });
    }
    return c.json({ data }, 202);
  },
);

export default app;
