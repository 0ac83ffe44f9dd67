/** What both iTwin versions share: finding a webhook by id, and reading JSON bodies. */
import { and, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../api/types";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import { AppError } from "../errors";

export const ITWIN_PROFILES = { 1: "itwin", 2: "itwin_v2" } as const;

/**
 * The tenant's iTwin webhook behind `:id`: of the asked version's profile, or of either when the
 * request names no version (the webhook then answers in its own version).
 */
export async function itwinHook(c: Context<AppEnv>, version: 1 | 2 | null): Promise<HookRow> {
  const profiles = version ? [ITWIN_PROFILES[version]] : [ITWIN_PROFILES[1], ITWIN_PROFILES[2]];
  const id = c.req.param("id") ?? "";
  const rows = id.length > 100 ? [] : await db(c.env.DB).select().from(hooks)
    .where(and(eq(hooks.tenantId, c.get("tenantId")), eq(hooks.id, id), inArray(hooks.profile, profiles), eq(hooks.ephemeral, false)))
    .limit(1);
  if (!rows[0]) throw webhookNotFound();
  return rows[0];
}

export const webhookNotFound = () => new AppError(404, "not-found", "Not found", "Requested webhook is not available.");

/** Every iTwin webhook of one version, oldest first. */
export async function itwinHooks(c: Context<AppEnv>, version: 1 | 2): Promise<HookRow[]> {
  return db(c.env.DB).select().from(hooks)
    .where(and(eq(hooks.tenantId, c.get("tenantId")), eq(hooks.profile, ITWIN_PROFILES[version]), eq(hooks.ephemeral, false)))
    .orderBy(hooks.createdAt);
}

/** A JSON body, or null when there is none or it does not parse (the schema then says what is wrong). */
export const jsonBody = (c: Context<AppEnv>) => c.req.json().catch(() => null);

export const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
