/** Hooks still pending validation 2 days after creation are deleted, EndpointDO storage first, then the row. */
import { and, eq, lt } from "drizzle-orm";
import { db } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { removeUnvalidated } from "../hooks/transitions";
import { errorFields, log } from "../log";
import { CRON_BATCH } from "./limits";

export async function deleteUnvalidated(env: Env, now: number): Promise<number> {
  const due = await db(env.DB).select({ id: hooks.id, tenantId: hooks.tenantId }).from(hooks)
    .where(and(eq(hooks.status, "pending_validation"), lt(hooks.validationDeadline, now)))
    .limit(CRON_BATCH);
  let deleted = 0;
  for (const row of due) {
    try {
      await removeUnvalidated(env, row.id);
      log("info", "unvalidated hook deleted", { hook_id: row.id, tenant_id: row.tenantId });
      deleted++;
    } catch (err) {
      // The row is still there, pending and past its deadline: the next run takes it again.
      log("error", "unvalidated hook not deleted; retried next run", { hook_id: row.id, ...errorFields(err) });
    }
  }
  return deleted;
}
