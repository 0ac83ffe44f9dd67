/**
 * Consumer-portal sessions (issue 18). A tenant's key mints a link for one channel; whoever holds it
 * manages that channel's hooks and nothing else.
 *
 * The token is `hlp_<iv>.<ciphertext>` (base64url): a sealed claim {sid, tid, ch, exp} under the
 * `portal-session` key, which HKDF derives from ENCRYPTION_KEY for this purpose alone — a dashboard
 * session or a sealed secret never opens as a portal token, nor the other way round. The claim only
 * names its row: every request re-reads the session and the key that minted it, so deleting the
 * session or revoking the key ends it at once, and a claim that names another tenant or channel
 * than its row is refused.
 */
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { openClaims, sealClaims } from "../core/crypto";
import { newId } from "../core/ids";
import { db } from "../db/hooks";
import { apiKeys, portalSessions, tenants, type PortalSessionRow } from "../db/schema";
import type { Env } from "../env";
import { settings } from "../env";

/** A session lasts at most a day (issue 18), an hour unless asked. */
export const PORTAL_MAX_TTL_S = 24 * 3600;
export const PORTAL_DEFAULT_TTL_S = 3600;

/** What a portal link may do: `read` is always granted; `manage` edits hooks; `deliver` sends tests, resends and recovers. */
export const PORTAL_CAPABILITIES = ["read", "manage", "deliver"] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

export interface PortalBranding {
  name?: string;
  accent_color?: string;
}

export interface PortalSession {
  id: string;
  tenantId: string;
  channel: string;
  capabilities: PortalCapability[];
  returnUrl: string | null;
  branding: PortalBranding | null;
  expiresAt: number;
  /** the tenant's portal_origins: the page's frame-ancestors */
  allowedOrigins: string[];
}

interface Claims {
  sid: string;
  tid: string;
  ch: string;
}

const toUrl64 = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromUrl64 = (u: string) => {
  const b = u.replace(/-/g, "+").replace(/_/g, "/");
  return b + "=".repeat((4 - (b.length % 4)) % 4);
};

/** `v2.<iv>.<ct>` ⇄ `hlp_<iv>.<ct>`: the same seal, in characters a URL path keeps as they are. */
export function tokenOfSeal(sealed: string): string {
  const [, iv, ct] = sealed.split(".");
  return `hlp_${toUrl64(iv!)}.${toUrl64(ct!)}`;
}
export function sealOfToken(token: string): string | null {
  const m = /^hlp_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{20,2000})$/.exec(token);
  return m ? `v2.${fromUrl64(m[1]!)}.${fromUrl64(m[2]!)}` : null;
}

export interface MintInput {
  channel: string;
  ttl_s?: number;
  capabilities?: PortalCapability[];
  return_url?: string;
  branding?: PortalBranding;
}

/** Stores a session row and seals its link. */
export async function mintSession(env: Env, tenantId: string, keyId: string, input: MintInput, now = Date.now()) {
  const id = newId("psn", now);
  const expiresAt = now + (input.ttl_s ?? PORTAL_DEFAULT_TTL_S) * 1000;
  const capabilities: PortalCapability[] = input.capabilities
    ? [...new Set<PortalCapability>(["read", ...input.capabilities])]
    : [...PORTAL_CAPABILITIES];
  const row: PortalSessionRow = {
    id, tenantId, keyId, channel: input.channel, capabilities, returnUrl: input.return_url ?? null,
    branding: input.branding ?? null, createdAt: now, expiresAt, revokedAt: null,
  };
  await db(env.DB).insert(portalSessions).values(row);
  const token = tokenOfSeal(await sealClaims<Claims>(env.ENCRYPTION_KEY, "portal-session", { sid: id, tid: tenantId, ch: input.channel }, expiresAt));
  return { row, token, url: `${settings(env).publicUrl}/portal/${token}` };
}

/** The tenant's live sessions (not revoked, not expired), newest first; of one channel when given. */
export async function liveSessions(env: Env, tenantId: string, channel: string | undefined, limit: number, now = Date.now()): Promise<PortalSessionRow[]> {
  const live = and(eq(portalSessions.tenantId, tenantId), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, now));
  return db(env.DB).select().from(portalSessions)
    .where(channel === undefined ? live : and(live, eq(portalSessions.channel, channel)))
    .orderBy(desc(portalSessions.createdAt)).limit(limit);
}

/** Ends a session of this tenant; false when there is none (or it is another tenant's). */
export async function revokeSession(env: Env, tenantId: string, id: string, now = Date.now()): Promise<boolean> {
  const res = await db(env.DB).update(portalSessions).set({ revokedAt: now })
    .where(and(eq(portalSessions.id, id), eq(portalSessions.tenantId, tenantId))).returning({ id: portalSessions.id });
  return res.length > 0;
}

/**
 * The live session behind a token, or null: a token that is not a seal of this purpose, expired,
 * tampered, revoked, minted by a key since revoked, or whose claim disagrees with its row.
 */
export async function openSession(env: Env, token: string, now = Date.now()): Promise<PortalSession | null> {
  const sealed = sealOfToken(token);
  if (!sealed) return null;
  const claims = await openClaims<Claims>(env.ENCRYPTION_KEY, "portal-session", sealed, now, PORTAL_MAX_TTL_S * 1000);
  if (!claims || typeof claims.sid !== "string") return null;
  const rows = await db(env.DB)
    .select({ s: portalSessions, origins: tenants.portalOrigins })
    .from(portalSessions)
    .innerJoin(apiKeys, and(eq(apiKeys.id, portalSessions.keyId), isNull(apiKeys.revokedAt)))
    .innerJoin(tenants, eq(tenants.id, portalSessions.tenantId))
    .where(and(eq(portalSessions.id, claims.sid), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, now)))
    .limit(1);
  const r = rows[0];
  if (!r || r.s.tenantId !== claims.tid || r.s.channel !== claims.ch) return null;
  return {
    id: r.s.id, tenantId: r.s.tenantId, channel: r.s.channel, capabilities: r.s.capabilities as PortalCapability[],
    returnUrl: r.s.returnUrl, branding: r.s.branding ?? null, expiresAt: r.s.expiresAt, allowedOrigins: r.origins ?? [],
  };
}

/** The tenant's portal settings. */
export async function portalOrigins(env: Env, tenantId: string): Promise<string[]> {
  const rows = await db(env.DB).select({ o: tenants.portalOrigins }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return rows[0]?.o ?? [];
}

export async function setPortalOrigins(env: Env, tenantId: string, origins: string[]): Promise<void> {
  await db(env.DB).update(tenants).set({ portalOrigins: origins }).where(eq(tenants.id, tenantId));
}

/**
 * The CSP frame-ancestors value for a tenant's origins: exactly those origins, or 'none'. Each was
 * checked to be a bare origin when stored, so nothing here can add another directive.
 */
export const frameAncestors = (origins: string[]) => (origins.length ? origins.join(" ") : "'none'");
