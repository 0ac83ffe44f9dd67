/**
 * Daily: control-plane rows that have served their purpose. Portal sessions a day past their
 * expiry (a link that has expired is refused either way; the row only lets a tenant list it), and
 * dead letters that an operator has redriven, once older than LOG_RETENTION_DAYS. A dead letter that
 * was never redriven is kept, whatever its age: nothing accepted is dropped silently. Bounded per run.
 */
import { DAY_MS } from "../core/time";
import type { Env } from "../env";
import { settings } from "../env";

const BATCH = 1000;

export async function purgeStaleRows(env: Env, now: number): Promise<number> {
  const sessions = await env.DB.prepare(
    `DELETE FROM portal_sessions WHERE id IN (SELECT id FROM portal_sessions WHERE expires_at < ? LIMIT ?)`,
  ).bind(now - DAY_MS, BATCH).run();
  const dead = await env.DB.prepare(
    `DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE redriven_at IS NOT NULL AND created_at < ? LIMIT ?)`,
  ).bind(now - settings(env).logRetentionDays * DAY_MS, BATCH).run();
  return (sessions.meta.changes ?? 0) + (dead.meta.changes ?? 0);
}
