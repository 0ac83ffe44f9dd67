/**
 * Safety net for a lost alarm or lease: poke the EndpointDO of every active hook whose
 * backlog might be stranded. A poke runs the DO's alarm logic (expire leases, release due work,
 * re-arm the alarm) and is a no-op when nothing waits. Bounded per run.
 */
import { and, asc, eq, gt } from "drizzle-orm";
import { db, endpointStub } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";

import { CRON_POKE_BATCH as PER_RUN } from "./limits";

export async function sweepStranded(env: Env, _now: number): Promise<number> {
  let poked = 0;
  let after = "";
  while (poked < PER_RUN) {
    const rows = await db(env.DB).select({ id: hooks.id }).from(hooks)
      .where(and(eq(hooks.status, "active"), eq(hooks.enabled, true), gt(hooks.id, after)))
      .orderBy(asc(hooks.id)).limit(100);
    if (rows.length === 0) break;
    await Promise.all(rows.map((r) => endpointStub(env.ENDPOINTS, r.id).poke().catch(() => null)));
    poked += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  return poked;
}
