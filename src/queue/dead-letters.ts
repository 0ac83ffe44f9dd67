/**
 * hookline-dead: what could not be processed. Two shapes arrive here:
 *  - a consumer's own dead letter `{reason, message_id, body, attempts}` (an invalid message, or a
 *    message on its last attempt, with the error that failed it);
 *  - a message the queue moved after max_retries, with its original body (an EventMessage from
 *    hookline-events, a DeliveryJob from hookline-deliveries) and no reason.
 * The consumer records each in D1 (dead_letters), once per message, and logs it with its event and
 * hooks; operators list and redrive them (api/routes/dead-letters.ts), tenants see the count in
 * GET /v1/stats.
 */
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { newId } from "../core/ids";
import { QUEUE_MAX_RETRIES } from "../core/policy";
import { EventMessage, EventPack, type DeliveryJob } from "../core/schemas";
import { markRedriven, recordDeadLetter } from "../db/dead-letters";
import { db } from "../db/hooks";
import { hooks, type DeadLetterRow } from "../db/schema";
import type { Env } from "../env";
import { log } from "../log";

/** What a consumer sends to hookline-dead itself. */
export const DeadLetterEnvelope = z.object({
  reason: z.string(),
  message_id: z.string(),
  body: z.unknown(),
  attempts: z.number().int().nonnegative().optional(),
});
export type DeadLetterEnvelope = z.infer<typeof DeadLetterEnvelope>;

const HookIdLike = z.string().min(1).max(100);
const Job = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fanout"), event: EventMessage, hook_ids: z.array(HookIdLike).min(1) }),
  z.object({ kind: z.literal("drain"), hook_id: HookIdLike, leases: z.array(z.string()) }),
  z.object({ kind: z.literal("validate"), hook_id: HookIdLike, token: z.string() }),
]);

export const EVENTS_QUEUE = "hookline-events";
export const DELIVERIES_QUEUE = "hookline-deliveries";

/** An error as one short line for logs and reasons: its name and message, never a query's bound values. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 300);
  // drizzle wraps D1 errors as "Failed query: <sql> params: <values>": keep the cause only.
  const inner = err.message.startsWith("Failed query") && err.cause instanceof Error ? err.cause : err;
  return `${inner.name}: ${inner.message.split("\n")[0]}`.slice(0, 300);
}

/** Hands a message to hookline-dead with the reason and acks it; retried if that send fails. */
export async function deadLetter(env: Env, msg: Message<unknown>, reason: string): Promise<void> {
  log("warn", "message sent to the dead-letter queue", { message_id: msg.id, attempts: msg.attempts, reason });
  try {
    const envelope: DeadLetterEnvelope = { reason, message_id: msg.id, body: msg.body, attempts: msg.attempts };
    await env.DEAD.send(envelope, { contentType: "json" });
    msg.ack();
  } catch (err) {
    log("error", "dead-letter send failed", { message_id: msg.id, error: errorText(err) });
    msg.retry();
  }
}

/**
 * Retry a message that failed, unless this was its last attempt: then it goes to hookline-dead now,
 * carrying the reason (the queue would move it there anyway, without one).
 */
export async function retryOrDeadLetter(env: Env, msg: Message<unknown>, reason: string, options?: QueueRetryOptions): Promise<void> {
  if (msg.attempts > QUEUE_MAX_RETRIES) await deadLetter(env, msg, `retries exhausted: ${reason}`);
  else msg.retry(options);
}

/** What a dead message is about, and where a redrive sends it. */
export interface DeadLetterFacts {
  tenantId: string | null;
  eventId: string | null;
  hookIds: string[] | null;
  queue: string | null;
  kind: "event" | "fanout" | "drain" | "validate" | "invalid";
  /** the message to redrive (for an invalid one: what arrived) */
  body: unknown;
}

/** Pure: classify the body of a message that reached hookline-dead. */
export function describeDead(body: unknown): DeadLetterFacts {
  const ev = EventMessage.safeParse(body);
  if (ev.success) {
    const e = ev.data;
    return { tenantId: e.tenant_id, eventId: e.id, hookIds: e.target_hook_id ? [e.target_hook_id] : null, queue: EVENTS_QUEUE, kind: "event", body: e };
  }
  const pack = EventPack.safeParse(body);
  if (pack.success) {
    // a batch publish's events (one tenant): redriven whole, admits dedupe what already went
    const first = pack.data.pack[0]!;
    return { tenantId: first.tenant_id, eventId: first.id, hookIds: null, queue: EVENTS_QUEUE, kind: "event", body: pack.data };
  }
  const job = Job.safeParse(body);
  if (job.success) {
    const j = job.data;
    if (j.kind === "fanout") {
      return { tenantId: j.event.tenant_id, eventId: j.event.id, hookIds: j.hook_ids, queue: DELIVERIES_QUEUE, kind: "fanout", body: j };
    }
    return { tenantId: null, eventId: null, hookIds: [j.hook_id], queue: DELIVERIES_QUEUE, kind: j.kind, body: j };
  }
  // Nothing to redrive; keep what can be told about it.
  const o = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const tenant = typeof o.tenant_id === "string" && /^ten_[0-9A-Z]{26}$/.test(o.tenant_id) ? o.tenant_id : null;
  const event = typeof o.id === "string" && o.id.length <= 100 ? o.id : null;
  return { tenantId: tenant, eventId: event, hookIds: null, queue: null, kind: "invalid", body: body ?? null };
}

export async function handleDeadBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const envelope = DeadLetterEnvelope.safeParse(msg.body);
    const inner = envelope.success ? envelope.data.body : msg.body;
    const facts = describeDead(inner);
    const reason = envelope.success ? envelope.data.reason : `retries exhausted (moved by the queue after ${QUEUE_MAX_RETRIES} retries)`;
    try {
      if (facts.tenantId === null && facts.hookIds?.length === 1) facts.tenantId = await tenantOfHook(env, facts.hookIds[0]!);
      const now = Date.now();
      const row: DeadLetterRow = {
        id: newId("dead", now),
        // one row per dead message: the original message's id when the consumer sent it, else this one's
        messageId: envelope.success ? envelope.data.message_id : msg.id,
        tenantId: facts.tenantId,
        eventId: facts.eventId,
        hookIds: facts.hookIds,
        queue: facts.queue,
        kind: facts.kind,
        reason: reason.slice(0, 1000),
        body: facts.body,
        attempts: envelope.success ? envelope.data.attempts ?? msg.attempts : msg.attempts,
        createdAt: now,
        redrivenAt: null,
      };
      const stored = await recordDeadLetter(env.DB, row);
      log("error", "dead letter", {
        dead_letter_id: stored ? row.id : null, duplicate: !stored, message_id: row.messageId, kind: row.kind,
        tenant_id: row.tenantId, event_id: row.eventId, hook_ids: row.hookIds, reason: row.reason,
      });
      msg.ack();
    } catch (err) {
      log("error", "dead letter could not be recorded, retried", { message_id: msg.id, error: errorText(err) });
      msg.retry();
    }
  }
}

async function tenantOfHook(env: Env, hookId: string): Promise<string | null> {
  const r = await db(env.DB).select({ tenantId: hooks.tenantId }).from(hooks).where(eq(hooks.id, hookId)).limit(1);
  return r[0]?.tenantId ?? null;
}

/** Sends a dead letter's message back to its queue and marks it redriven. Admit dedupes by event id. */
export async function redrive(env: Env, row: Pick<DeadLetterRow, "id" | "queue" | "body">, now = Date.now()): Promise<void> {
  if (row.queue === EVENTS_QUEUE) await env.EVENTS.send(row.body, { contentType: "json" });
  else if (row.queue === DELIVERIES_QUEUE) await env.DELIVERIES.send(row.body as DeliveryJob);
  else throw new Error(`dead letter ${row.id} names no queue`);
  await markRedriven(env.DB, row.id, now);
  log("info", "dead letter redriven", { dead_letter_id: row.id, queue: row.queue });
}
