/**
 * Visiting many hooks a bounded number at a time: each run takes the next window of `per` hook
 * ids (ordered), chosen from the run's time slot, so successive runs cover every hook in turn
 * without storing a cursor anywhere.
 */
import { asc, count as countRows, type SQL } from "drizzle-orm";
import { db, endpointStub, type EndpointApi } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { errorFields, log } from "../log";

export async function forEachHookInTurn(
  env: Env,
  where: SQL | undefined,
  now: number,
  periodMs: number,
  per: number,
  visit: (stub: EndpointApi, hookId: string) => Promise<number>,
): Promise<number> {
  const total = (await db(env.DB).select({ n: countRows() }).from(hooks).where(where))[0]?.n ?? 0;
  if (total === 0) return 0;
  const windows = Math.ceil(total / per);
  const offset = (Math.floor(now / periodMs) % windows) * per;
  let done = 0;
  for (let skip = offset; skip < offset + per && skip < total; skip += 100) {
    const rows = await db(env.DB).select({ id: hooks.id }).from(hooks).where(where).orderBy(asc(hooks.id))
      .limit(Math.min(100, offset + per - skip)).offset(skip);
    const results = await Promise.all(rows.map((r) => visit(endpointStub(env.ENDPOINTS, r.id), r.id).catch((err: unknown) => {
      // One hook's object failing must not stop the others; its turn comes again next round.
      log("error", "cron visit of a hook failed; retried on its next turn", { hook_id: r.id, ...errorFields(err) });
      return 0;
    })));
    done += results.reduce((a, b) => a + b, 0);
    if (rows.length < 100) break;
  }
  return done;
}
