/** Response views: how a stored row is shown over the API (and by the dashboard and the portal). */
import type { HookFilter } from "../core/filters";
import type { ProfileName } from "../core/profiles";
import type { SignatureScheme } from "../core/profiles/standard";
import type { HookOut } from "../core/schemas";
import { maskHeaders } from "../core/sealed-headers";
import { isoOrNull } from "../core/time";
import type { HookRow } from "../db/schema";

/** The last delivery's status as Speckle's list shows it: none yet ❕, succeeded ✔, failed ❌. */
export const ICONS = { none: "❕", succeeded: "✔", failed: "❌" } as const;

export function toHookOut(row: HookRow): HookOut {
  const last = (row.lastStatus as keyof typeof ICONS) ?? "none";
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    channels: row.channels,
    filter: (row.filter as HookFilter | null) ?? null,
    profile: row.profile as ProfileName,
    enabled: row.enabled,
    while_inactive: row.whileInactive as HookOut["while_inactive"],
    status: row.status as HookOut["status"],
    disabled_reason: row.disabledReason,
    expires_at: isoOrNull(row.expiresAt),
    ordering: row.ordering as HookOut["ordering"],
    max_in_flight: row.maxInFlight,
    order_window_ms: row.orderWindowMs,
    retry_schedule: row.retrySchedule ?? null,
    timeout_ms: row.timeoutMs,
    rate_limit_per_s: row.rateLimitPerS,
    headers: maskHeaders(row.headers),
    metadata: row.metadata,
    validation: row.validation as HookOut["validation"],
    validation_note: row.validationNote,
    alias: row.alias,
    has_secret: row.secretEnc !== null,
    signature_scheme: row.signatureScheme as SignatureScheme,
    public_key: row.publicKey,
    last_delivery: {
      status: last,
      icon: ICONS[last] ?? ICONS.none,
      at: isoOrNull(row.lastDeliveryAt),
      error: last === "failed" ? row.lastError : null,
    },
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

