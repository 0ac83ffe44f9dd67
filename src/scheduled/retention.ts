/** Daily: delivery history older than LOG_RETENTION_DAYS is purged from every hook's EndpointDO. */
import { asc, gt } from "drizzle-orm";
import { DAY_MS } from "../core/time";
import { db, endpointStub } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { settings } from "../env";
import { CRON_POKE_BATCH } from "./limits";

export async function purgeHistory(env: Env, now: number): Promise<number> {
  const before = now - settings(env).logRetentionDays * DAY_MS;
  let removed = 0;
  let seen = 0;
  let after = "";
  while (seen < CRON_POKE_BATCH) {
    const rows = await db(env.DB).select({ id: hooks.id }).from(hooks).where(gt(hooks.id, after)).orderBy(asc(hooks.id)).limit(100);
    if (!rows.length) break;
    const counts = await Promise.all(rows.map((r) => endpointStub(env.ENDPOINTS, r.id).purge(before).catch(() => 0)));
    removed += counts.reduce((a, b) => a + b, 0);
    seen += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  return removed;
}
