/** The daily cron removes portal sessions a day past expiry and old redriven dead letters, and keeps the rest. */
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/core/time";
import { DAILY_CRON, runScheduled } from "../../src/scheduled";
import { newTenant, testEnv } from "../helpers";

const ids = async (table: string, like: string) =>
  (await testEnv.DB.prepare(`SELECT id FROM ${table} WHERE id LIKE ? ORDER BY id`).bind(like).all<{ id: string }>()).results.map((r) => r.id);

describe("daily purge of stale control-plane rows", () => {
  it("drops expired portal sessions and old redriven dead letters; keeps live sessions and every dead letter not redriven", async () => {
    const t = await newTenant();
    const now = Date.now();
    const session = (id: string, expiresAt: number) => testEnv.DB.prepare(
      `INSERT INTO portal_sessions (id, tenant_id, key_id, channel, capabilities, created_at, expires_at) VALUES (?, ?, 'key_x', 'c', '["read"]', ?, ?)`,
    ).bind(id, t.id, now - 3 * DAY_MS, expiresAt).run();
    await session("psn_stale_expired", now - 2 * DAY_MS);
    await session("psn_stale_recent", now - 3_600_000); // expired an hour ago: still listed today
    await session("psn_stale_live", now + 3_600_000);
    const dead = (id: string, createdAt: number, redrivenAt: number | null) => testEnv.DB.prepare(
      `INSERT INTO dead_letters (id, message_id, tenant_id, kind, reason, attempts, created_at, redriven_at) VALUES (?, ?, ?, 'event', 'x', 1, ?, ?)`,
    ).bind(id, `m-${id}`, t.id, createdAt, redrivenAt).run();
    await dead("dead_stale_old_redriven", now - 40 * DAY_MS, now - 39 * DAY_MS);
    await dead("dead_stale_old_open", now - 40 * DAY_MS, null);
    await dead("dead_stale_new_redriven", now - DAY_MS, now);

    const result = await runScheduled(DAILY_CRON, now, testEnv);
    expect(result.stale_rows_purged).toBeGreaterThanOrEqual(2);
    expect(await ids("portal_sessions", "psn_stale_%")).toEqual(["psn_stale_live", "psn_stale_recent"]);
    expect(await ids("dead_letters", "dead_stale_%")).toEqual(["dead_stale_new_redriven", "dead_stale_old_open"]);
  });
});
