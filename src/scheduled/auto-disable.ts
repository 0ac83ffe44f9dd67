/**
 * Safety net for DESIGN §3's auto-disable: a hook whose deliveries have failed continuously for
 * 5 days (and at least 10 attempts) is disabled. The EndpointDO does this itself when an attempt
 * fails; the cron catches hooks that went quiet after failing (nothing left to attempt).
 * Reads only what the DO config and the alert need (never filter or metadata: issue 15).
 */
import { and, eq, isNotNull, lte } from "drizzle-orm";
import { AUTO_DISABLE_AFTER_MS, AUTO_DISABLE_MIN_ATTEMPTS } from "../core/policy";
import { configColumns, db, endpointStub, toHookConfig } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { emitOperational } from "../lifecycle/operational";
import { log } from "../log";
import { CRON_BATCH } from "./limits";

export async function disableFailing(env: Env, now: number): Promise<number> {
  const candidates = await db(env.DB).select({ ...configColumns, failingSince: hooks.failingSince }).from(hooks)
    .where(and(eq(hooks.status, "active"), isNotNull(hooks.failingSince), lte(hooks.failingSince, now - AUTO_DISABLE_AFTER_MS)))
    .limit(CRON_BATCH);
  let disabled = 0;
  for (const row of candidates) {
    const stub = endpointStub(env.ENDPOINTS, row.id);
    const { state } = await stub.snapshot();
    if (state.failStreak < AUTO_DISABLE_MIN_ATTEMPTS) continue;
    const patch = { status: "disabled", disabledReason: "failing", updatedAt: now };
    await db(env.DB).update(hooks).set(patch).where(and(eq(hooks.id, row.id), eq(hooks.status, "active")));
    await stub.configure(toHookConfig({ ...row, ...patch }));
    log("warn", "hook disabled", { hook_id: row.id, reason: "failing", failing_since: row.failingSince });
    await emitOperational(env, row.tenantId, "hookline.hook.disabled", `${row.id}:${now}`, {
      hook_id: row.id, url: row.url, reason: "failing", disabled_at: new Date(now).toISOString(),
    });
    disabled++;
  }
  return disabled;
}
