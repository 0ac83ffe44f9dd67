/**
 * Per-tenant rates in fixed one-minute windows, counted in D1 (`rate_windows`): one conditional
 * upsert per request that uses the rate, atomic because D1 has a single writer. A request that would
 * pass the limit takes nothing, so a refused batch does not spend the tenant's allowance.
 */
export const RATE_WINDOW_MS = 60_000;

export type RateVerdict = { ok: true; used: number } | { ok: false; retryAfterS: number };

/** Takes `n` from the tenant's `name` allowance of `limit` per minute, or says when to retry. */
export async function takeRate(d1: D1Database, tenantId: string, name: string, n: number, limit: number, now: number): Promise<RateVerdict> {
  const windowStart = now - (now % RATE_WINDOW_MS);
  const retryAfterS = Math.max(1, Math.ceil((windowStart + RATE_WINDOW_MS - now) / 1000));
  if (n > limit) return { ok: false, retryAfterS };
  const row = await d1
    .prepare(
      `INSERT INTO rate_windows (tenant_id, name, window_start, count) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (tenant_id, name, window_start) DO UPDATE SET count = count + excluded.count
       WHERE rate_windows.count + excluded.count <= ?5
       RETURNING count`,
    )
    .bind(tenantId, name, windowStart, n, limit)
    .first<{ count: number }>();
  if (!row) return { ok: false, retryAfterS };
  // The first take of a new window clears the tenant's earlier ones: the table stays one row per rate.
  if (row.count === n) {
    await d1.prepare("DELETE FROM rate_windows WHERE tenant_id = ?1 AND name = ?2 AND window_start < ?3").bind(tenantId, name, windowStart).run();
  }
  return { ok: true, used: row.count };
}
