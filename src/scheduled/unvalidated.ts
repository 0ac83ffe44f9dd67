/** Hooks still pending validation 2 days after creation are deleted, with their EndpointDO storage. */
import { and, eq, lt } from "drizzle-orm";
import { db, endpointStub } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { log } from "../log";
import { CRON_BATCH } from "./limits";

export async function deleteUnvalidated(env: Env, now: number): Promise<number> {
  const due = await db(env.DB).select({ id: hooks.id, tenantId: hooks.tenantId }).from(hooks)
    .where(and(eq(hooks.status, "pending_validation"), lt(hooks.validationDeadline, now)))
    .limit(CRON_BATCH);
  for (const row of due) {
    await db(env.DB).delete(hooks).where(and(eq(hooks.id, row.id), eq(hooks.status, "pending_validation")));
    await endpointStub(env.ENDPOINTS, row.id).destroy();
    log("info", "unvalidated hook deleted", { hook_id: row.id, tenant_id: row.tenantId });
  }
  return due.length;
}
