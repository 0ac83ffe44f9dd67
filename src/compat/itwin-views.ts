/** What both iTwin versions share: finding a webhook by id, reading JSON bodies, iTwin's own errors. */
import { and, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../api/types";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import { AppError, type FieldError } from "../errors";

export const ITWIN_PROFILES = { 1: "itwin", 2: "itwin_v2" } as const;

/** One entry of iTwin's `error.details`. */
export interface ItwinDetail {
  code: string;
  message: string;
  target?: string;
}

/**
 * An error whose iTwin `{"error": {code, message, details}}` member is spelled out, as an operation
 * page documents it. It is still an AppError: the problem+json around it says the same in Hookline's words.
 */
export class ItwinError extends AppError {
  constructor(status: number, readonly code: string, readonly itwinMessage: string, readonly details?: ItwinDetail[], errors?: FieldError[]) {
    super(status, status === 404 ? "not-found" : "validation-error", status === 404 ? "Not found" : "Validation failed",
      details?.[0]?.message ?? itwinMessage, errors);
  }
}

/** 404 as every v1 and v2 operation page documents it. */
export const webhookNotFound = () => new ItwinError(404, "WebhookNotFound", "Requested webhook is not available.");

/**
 * A state change iTwin refuses with 422 and an `InvalidChange` detail, as "Deactivate a webhook"
 * documents for a webhook that is already inactive.
 */
export const invalidChange = (code: string, message: string, detail: string, target: string) =>
  new ItwinError(422, code, message, [{ code: "InvalidChange", message: detail, target }]);

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

/** Every iTwin webhook of one version, oldest first. */
export async function itwinHooks(c: Context<AppEnv>, version: 1 | 2): Promise<HookRow[]> {
  return db(c.env.DB).select().from(hooks)
    .where(and(eq(hooks.tenantId, c.get("tenantId")), eq(hooks.profile, ITWIN_PROFILES[version]), eq(hooks.ephemeral, false)))
    .orderBy(hooks.createdAt);
}

/** A JSON body, or null when there is none or it does not parse (the schema then says what is wrong). */
export const jsonBody = (c: Context<AppEnv>) => c.req.json().catch(() => null);

export const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
