/**
 * Active hooks past expires_at become `expired`: deactivated and kept; `activate` revives them.
 * Reads only what the DO config and the alert need (never filter or metadata: issue 15).
 */
import { and, eq, isNotNull, lte } from "drizzle-orm";
import { configColumns, db, endpointStub, toHookConfig } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { emitOperational } from "../lifecycle/operational";
import { log } from "../log";
import { CRON_BATCH } from "./limits";

export async function expireHooks(env: Env, now: number): Promise<number> {
  const due = await db(env.DB).select({ ...configColumns, expiresAt: hooks.expiresAt }).from(hooks)
    .where(and(eq(hooks.status, "active"), isNotNull(hooks.expiresAt), lte(hooks.expiresAt, now)))
    .limit(CRON_BATCH);
  for (const row of due) {
    const next = { ...row, status: "expired", updatedAt: now };
    await db(env.DB).update(hooks).set({ status: "expired", updatedAt: now }).where(and(eq(hooks.id, row.id), eq(hooks.status, "active")));
    await endpointStub(env.ENDPOINTS, row.id).configure(toHookConfig(next));
    log("info", "hook expired", { hook_id: row.id, tenant_id: row.tenantId });
    await emitOperational(env, row.tenantId, "hookline.hook.expired", `${row.id}:${row.expiresAt}`, {
      hook_id: row.id, url: row.url, expires_at: new Date(row.expiresAt!).toISOString(),
    });
  }
  return due.length;
}
