/** Shapes shared by the EndpointDO, its pure machine and the consumers that talk to it. */
import type { OutboundEvent, ProfileName } from "../core/profiles";
import type { SignatureScheme } from "../core/profiles/standard";

/** Everything the DO needs to order, retry and hand out deliveries for one hook. */
export interface HookConfig {
  hookId: string;
  tenantId: string;
  url: string;
  description: string | null;
  events: string[];
  profile: ProfileName;
  secretEnc: string | null;
  prevSecretEnc: string | null;
  prevSecretUntil: number | null;
  /** Standard profile (issue 19): which signatures to send; absent = "v1". */
  signatureScheme?: SignatureScheme;
  /** Sealed `whsk_` Ed25519 keys for v1a: the current one, and the previous one until prevSecretUntil. */
  signingKeyEnc?: string | null;
  prevSigningKeyEnc?: string | null;
  headers: Record<string, string>;
  timeoutMs: number;
  ordering: "strict" | "none";
  maxInFlight: number;
  orderWindowMs: number;
  retrySchedule: number[] | null;
  rateLimitPerS: number | null;
  /** status = active and enabled. Inactive hooks hold their queue (or skip, see whileInactive). */
  active: boolean;
  /** What an inactive hook does with events that match it: keep them pending until it is
   *  activated ("hold", the default), or record them as `skipped` and never send them. */
  whileInactive?: "hold" | "skip";
  /** Tombstone: the hook is being deleted. Nothing is sent again; what is admitted ends `cancelled`. */
  deleted?: boolean;
  /** A one-off target: its hook row is removed once its last delivery ends. */
  ephemeral?: boolean;
  /** The hook row's updated_at: a config older than the one held is ignored (a fan-out batch that
   *  read D1 before a deactivation must not switch the hook back on). */
  version?: number;
}

export type OrderKey = readonly [publishedAt: number, index: number, id: string];

export interface Delivery {
  id: string;
  eventId: string;
  publishedAt: number;
  index: number;
  status: "pending" | "delivering";
  /** Attempts made so far. */
  attempts: number;
  /** Not before this time (ms). */
  nextAt: number;
  leaseId: string | null;
  leaseExpiresAt: number | null;
  outOfOrder: boolean;
  createdAt: number;
  lastError: string | null;
}

export type ErrorKind =
  | "timeout" | "connection" | "dns" | "tls" | "http_status" | "blocked_target" | "response_too_large";

/** What the consumer saw when it tried one delivery. */
export interface Outcome {
  ok: boolean;
  statusCode: number | null;
  errorKind: ErrorKind | null;
  error: string | null;
  durationMs: number;
  startedAt: number;
  retryAfterMs: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
}

/** A lease on one delivery, with what the consumer needs to sign and send it. */
export interface Grant {
  leaseId: string;
  deliveryId: string;
  attempt: number;
  hook: HookConfig;
  event: OutboundEvent;
}

export interface AdmitItem {
  id: string;
  dedupeKey: string;
  eventId: string;
  publishedAt: number;
  index: number;
  event: OutboundEvent;
}

/** `skipped`: admitted while the hook was inactive with while_inactive "skip"; never sent. */
export type FinalStatus = "succeeded" | "failed" | "cancelled" | "skipped";
export type DeliveryStatus = Delivery["status"] | FinalStatus;

export interface Counters {
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
  outOfOrder: number;
}
