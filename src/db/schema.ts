/**
 * D1 control plane (docs/architecture.md#pieces, #hooks). Nothing here is written per event or per attempt.
 * JSON columns hold arrays/objects; times are ms since epoch.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  strictTypes: integer("strict_types", { mode: "boolean" }).notNull().default(false),
  /** Origins that may frame the consumer portal (its CSP frame-ancestors); empty = none (issue 18). */
  portalOrigins: text("portal_origins", { mode: "json" }).$type<string[]>().notNull().default([]),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name"),
    /** First characters of the key, for display ("hk_3fA9…"). */
    prefix: text("prefix").notNull(),
    /** SHA-256 hex of the whole key; the key itself is never stored. */
    hash: text("hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash), index("api_keys_tenant").on(t.tenantId)],
);

export const hooks = sqliteTable(
  "hooks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    channels: text("channels", { mode: "json" }).$type<string[]>().notNull(),
    filter: text("filter", { mode: "json" }).$type<unknown>(),
    profile: text("profile").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** What an inactive hook does with matching events: "hold" (pending until activated) or "skip" (recorded, never sent). */
    whileInactive: text("while_inactive").notNull().default("hold"),
    status: text("status").notNull(),
    disabledReason: text("disabled_reason"),
    expiresAt: integer("expires_at"),
    ordering: text("ordering").notNull().default("strict"),
    maxInFlight: integer("max_in_flight").notNull().default(10),
    orderWindowMs: integer("order_window_ms").notNull().default(1000),
    retrySchedule: text("retry_schedule", { mode: "json" }).$type<number[]>(),
    timeoutMs: integer("timeout_ms").notNull().default(15000),
    rateLimitPerS: integer("rate_limit_per_s"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    validation: text("validation").notNull().default("none"),
    validationTokenHash: text("validation_token_hash"),
    validationDeadline: integer("validation_deadline"),
    /** What the last handshake saw (e.g. "OPTIONS 200, Allow: POST"), for people debugging it. */
    validationNote: text("validation_note"),
    /** AES-GCM sealed secrets; null secret = unsigned (Propstack, Speckle). */
    secretEnc: text("secret_enc"),
    prevSecretEnc: text("prev_secret_enc"),
    prevSecretUntil: integer("prev_secret_until"),
    /** Standard profile: `v1` (HMAC), `v1a` (Ed25519) or `both` (issue 19). */
    signatureScheme: text("signature_scheme").notNull().default("v1"),
    /** The Ed25519 key pair for v1a: `whsk_…` sealed like secrets, `whpk_…` public (readable any time).
     *  The previous pair keeps signing until prev_secret_until, like the previous secret. */
    signingKeyEnc: text("signing_key_enc"),
    publicKey: text("public_key"),
    prevSigningKeyEnc: text("prev_signing_key_enc"),
    prevPublicKey: text("prev_public_key"),
    lastStatus: text("last_status").notNull().default("none"),
    lastError: text("last_error"),
    lastDeliveryAt: integer("last_delivery_at"),
    failingSince: integer("failing_since"),
    /** The id a compatibility façade shows (Propstack/BIMData: a number, iTwin: a UUID). */
    alias: text("alias"),
    /** A one-off target (Idfy's advanced.webhook): never routed, removed after its last delivery. */
    ephemeral: integer("ephemeral", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("hooks_tenant").on(t.tenantId, t.id),
    /** per-tenant quotas count hooks and one-off targets from this index alone (issue 15) */
    index("hooks_tenant_kind").on(t.tenantId, t.ephemeral),
    index("hooks_routing").on(t.tenantId, t.status, t.enabled),
    index("hooks_expiry").on(t.status, t.expiresAt),
    uniqueIndex("hooks_alias").on(t.tenantId, t.alias),
  ],
);

export const eventTypes = sqliteTable(
  "event_types",
  {
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/**
 * Messages that reached `hookline-dead` (issue 13): invalid messages the consumers refused, and
 * messages that exhausted their retries. Kept so an operator can see and redrive them; one row per
 * queue message (message_id is unique: the dead-letter consumer may see a message twice).
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    messageId: text("message_id").notNull(),
    /** null when the message named no tenant (an invalid message) */
    tenantId: text("tenant_id"),
    eventId: text("event_id"),
    /** hooks the message was for; null = every hook the event matches */
    hookIds: text("hook_ids", { mode: "json" }).$type<string[]>(),
    /** where a redrive sends it: hookline-events or hookline-deliveries (null: not redrivable) */
    queue: text("queue"),
    /** event | fanout | drain | validate | invalid */
    kind: text("kind").notNull(),
    reason: text("reason").notNull(),
    /** the message to redrive, as it was sent */
    body: text("body", { mode: "json" }).$type<unknown>(),
    attempts: integer("attempts").notNull(),
    createdAt: integer("created_at").notNull(),
    redrivenAt: integer("redriven_at"),
  },
  (t) => [
    uniqueIndex("dead_letters_message").on(t.messageId),
    index("dead_letters_tenant").on(t.tenantId, t.createdAt),
    index("dead_letters_open").on(t.tenantId, t.redrivenAt),
  ],
);

/**
 * Fixed one-minute windows of a per-tenant rate (issue 15: one-off targets per minute). One row per
 * tenant, limit name and window while the tenant uses it; older windows are deleted as a new one opens.
 */
export const rateWindows = sqliteTable(
  "rate_windows",
  {
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name, t.windowStart] })],
);

/**
 * Consumer-portal sessions (issue 18): minted by a tenant's key for one channel. The link carries a
 * sealed claim naming the row; each request re-reads the row and the key that minted it, so deleting
 * the session or revoking the key ends it at once.
 */
export const portalSessions = sqliteTable(
  "portal_sessions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    keyId: text("key_id").notNull(),
    channel: text("channel").notNull(),
    capabilities: text("capabilities", { mode: "json" }).$type<string[]>().notNull(),
    returnUrl: text("return_url"),
    branding: text("branding", { mode: "json" }).$type<{ name?: string; accent_color?: string }>(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("portal_sessions_tenant").on(t.tenantId, t.createdAt)],
);

export type PortalSessionRow = typeof portalSessions.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type HookRow = typeof hooks.$inferSelect;
export type EventTypeRow = typeof eventTypes.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;
