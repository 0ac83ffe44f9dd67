/**
 * Active hooks past expires_at become `expired`: inactive and kept (matching events are held, or
 * skipped per while_inactive); `activate` revives them. The transition is src/hooks/transitions.ts.
 * Reads only what the DO config and the alert need (never filter or metadata: issue 15).
 */
import { and, eq, isNotNull, lte } from "drizzle-orm";
import { configColumns, db } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { expire } from "../hooks/transitions";
import { errorFields, log } from "../log";
import { CRON_BATCH } from "./limits";

export async function expireHooks(env: Env, now: number): Promise<number> {
  const due = await db(env.DB).select({ ...configColumns, expiresAt: hooks.expiresAt }).from(hooks)
    .where(and(eq(hooks.status, "active"), isNotNull(hooks.expiresAt), lte(hooks.expiresAt, now)))
    .limit(CRON_BATCH);
  let expired = 0;
  for (const row of due) {
    try {
      if (await expire(env, row, now)) expired++;
    } catch (err) {
      // Still active and past its expiry in D1: the next run takes it again.
      log("error", "hook not expired; retried next run", { hook_id: row.id, ...errorFields(err) });
    }
  }
  return expired;
}
