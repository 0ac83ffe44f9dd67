/** Dead letters (what reached hookline-dead): record once, list, count, mark redriven. */
import { and, asc, count, desc, eq, gte, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { db } from "./hooks";
import { deadLetters, type DeadLetterRow } from "./schema";

/** Stores a dead letter unless one with the same message id is there already. True when stored. */
export async function recordDeadLetter(d1: D1Database, row: DeadLetterRow): Promise<boolean> {
  const res = await db(d1).insert(deadLetters).values(row).onConflictDoNothing({ target: deadLetters.messageId })
    .returning({ id: deadLetters.id });
  return res.length > 0;
}

export type DeadLetterStatus = "open" | "redriven" | "all";

export interface DeadLetterQuery {
  tenantId?: string;
  kind?: string;
  status: DeadLetterStatus;
  /** newest first: only ids before this one */
  before?: string;
  limit: number;
}

const summary = {
  id: deadLetters.id, messageId: deadLetters.messageId, tenantId: deadLetters.tenantId, eventId: deadLetters.eventId,
  hookIds: deadLetters.hookIds, queue: deadLetters.queue, kind: deadLetters.kind, reason: deadLetters.reason,
  attempts: deadLetters.attempts, createdAt: deadLetters.createdAt, redrivenAt: deadLetters.redrivenAt,
};
export type DeadLetterSummary = Omit<DeadLetterRow, "body">;

function where(q: Omit<DeadLetterQuery, "limit" | "before">, extra: (SQL | undefined)[] = []) {
  return and(
    q.tenantId ? eq(deadLetters.tenantId, q.tenantId) : undefined,
    q.kind ? eq(deadLetters.kind, q.kind) : undefined,
    q.status === "open" ? isNull(deadLetters.redrivenAt) : q.status === "redriven" ? isNotNull(deadLetters.redrivenAt) : undefined,
    ...extra,
  );
}

/** A page of dead letters, newest first, without their bodies. */
export async function listDeadLetters(d1: D1Database, q: DeadLetterQuery): Promise<DeadLetterSummary[]> {
  return db(d1).select(summary).from(deadLetters)
    .where(where(q, [q.before ? lt(deadLetters.id, q.before) : undefined]))
    .orderBy(desc(deadLetters.id)).limit(q.limit);
}

export async function getDeadLetter(d1: D1Database, id: string): Promise<DeadLetterRow | undefined> {
  return (await db(d1).select().from(deadLetters).where(eq(deadLetters.id, id)).limit(1))[0];
}

/** Open dead letters that can be redriven (they name a queue), oldest first. */
export async function redrivableDeadLetters(d1: D1Database, q: { tenantId?: string; kind?: string; limit: number }): Promise<DeadLetterRow[]> {
  return db(d1).select().from(deadLetters)
    .where(where({ ...q, status: "open" }, [isNotNull(deadLetters.queue)]))
    .orderBy(asc(deadLetters.id)).limit(q.limit);
}

export async function markRedriven(d1: D1Database, id: string, at: number): Promise<void> {
  await db(d1).update(deadLetters).set({ redrivenAt: at }).where(eq(deadLetters.id, id));
}

/** A tenant's dead letters since `since`, and those not redriven yet (any age). */
export async function countDeadLetters(d1: D1Database, tenantId: string, since: number): Promise<{ inWindow: number; open: number }> {
  const [inWindow, open] = await Promise.all([
    db(d1).select({ n: count() }).from(deadLetters).where(and(eq(deadLetters.tenantId, tenantId), gte(deadLetters.createdAt, since))),
    db(d1).select({ n: count() }).from(deadLetters).where(and(eq(deadLetters.tenantId, tenantId), isNull(deadLetters.redrivenAt))),
  ]);
  return { inWindow: inWindow[0]?.n ?? 0, open: open[0]?.n ?? 0 };
}
