/**
 * Safety net for auto-disable: a hook whose deliveries have failed continuously for 5 days (and at
 * least 10 attempts) is disabled. The EndpointDO does this itself when an attempt fails; the cron
 * catches hooks that went quiet after failing (nothing left to attempt). The transition is
 * src/hooks/transitions.ts. Reads only what the DO config and the alert need (never filter or metadata: issue 15).
 */
import { and, eq, isNotNull, lte } from "drizzle-orm";
import { AUTO_DISABLE_AFTER_MS, AUTO_DISABLE_MIN_ATTEMPTS } from "../core/policy";
import { configColumns, db, endpointStub } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { disable } from "../hooks/transitions";
import { errorFields, log } from "../log";
import { CRON_BATCH } from "./limits";

export async function disableFailing(env: Env, now: number): Promise<number> {
  const candidates = await db(env.DB).select({ ...configColumns, failingSince: hooks.failingSince }).from(hooks)
    .where(and(eq(hooks.status, "active"), isNotNull(hooks.failingSince), lte(hooks.failingSince, now - AUTO_DISABLE_AFTER_MS)))
    .limit(CRON_BATCH);
  let disabled = 0;
  for (const row of candidates) {
    try {
      const { state } = await endpointStub(env.ENDPOINTS, row.id).snapshot();
      if (state.failStreak < AUTO_DISABLE_MIN_ATTEMPTS) continue;
      if (await disable(env, row, "failing", now)) disabled++;
    } catch (err) {
      // Still active and failing in D1: the next run takes it again.
      log("error", "failing hook not disabled; retried next run", { hook_id: row.id, ...errorFields(err) });
    }
  }
  return disabled;
}
