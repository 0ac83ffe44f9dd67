/**
 * Wire shapes, one zod schema each: validation, TypeScript types and OpenAPI from the same source.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_PATTERN, HookFilter } from "./filters";
import { idPattern } from "./ids";
import {
  MAX_MAX_IN_FLIGHT,
  MAX_ORDER_WINDOW_MS,
  MAX_RETRY_DELAY_S,
  MAX_RETRY_ENTRIES,
  MAX_TIMEOUT_MS,
} from "./policy";
import { SIGNATURE_SCHEMES } from "./profiles/standard";
import { PROFILE_NAMES } from "./profiles/types";

export const Scope = z.enum(["webhook:manage", "events:publish", "deliveries:read"]);
export type Scope = z.infer<typeof Scope>;

export const TenantId = z.string().regex(idPattern("ten"), "not a tenant id").openapi({ example: "ten_01JD0000000000000000000000" });
export const HookId = z.string().regex(idPattern("hook"), "not a hook id").openapi({ example: "hook_01JD0000000000000000000000" });
export const KeyId = z.string().regex(idPattern("key"), "not a key id");
export const DeliveryId = z.string().regex(idPattern("dlv"), "not a delivery id");

const EVENT_NAME = /^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$/;
export const EventName = z.string().min(1).max(200).regex(EVENT_NAME, "event names are dot-separated words of A-Z a-z 0-9 _ -");
/** A name a publisher may use: `hookline.` (any case) is Hookline's own operational events (issue 15, finding 3). */
export const PublicEventName = EventName.refine((t) => !t.toLowerCase().startsWith("hookline."), "the hookline. prefix is reserved for Hookline's operational events");
export const EventPattern = z.string().min(1).max(200).regex(EVENT_PATTERN, "an event name, `*`, or a prefix ending in `.*`");
const Channel = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "channels are printable ASCII without spaces");

/** Header names a hook may set; values must not carry CR/LF (header injection). */
const RESERVED_HEADERS = new Set([
  "host", "content-length", "content-type", "content-encoding", "user-agent",
  // hop-by-hop (RFC 9110 §7.6.1) and their legacy companions: they describe one connection, not the request
  "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
  "transfer-encoding", "upgrade", "expect",
  "webhook-id", "webhook-timestamp", "webhook-signature", "signature", "x-bimdata-signature",
  "x-webhook-signature", "x-idfy-signature", "x-propstack-signature",
]);
/** `cf-*` headers carry Cloudflare's own routing and identity (cf-connecting-ip, cf-worker, …). */
const isReservedHeader = (h: string) => RESERVED_HEADERS.has(h.toLowerCase()) || h.toLowerCase().startsWith("cf-");
export const CustomHeaders = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "not a valid header name")
      .refine((h) => !isReservedHeader(h), "this header is set by Hookline or the network"),
    z.string().max(1000).regex(/^[^\r\n\0]*$/, "header values must not contain CR, LF or NUL"),
  )
  .refine((h) => Object.keys(h).length <= 20, "at most 20 custom headers");

export const Metadata = z
  .record(z.string().max(100), z.string().max(1000))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 metadata entries");

export const RetrySchedule = z
  .array(z.number().int().min(0).max(MAX_RETRY_DELAY_S))
  .min(1)
  .max(MAX_RETRY_ENTRIES)
  .openapi({ description: "Seconds before each attempt; the first entry is the first attempt (usually 0).", example: [0, 5, 300] });

export const Profile = z.enum(PROFILE_NAMES);
export const HookStatus = z.enum(["pending_validation", "active", "disabled", "expired"]);
export const Ordering = z.enum(["strict", "none"]);
export const WhileInactive = z.enum(["hold", "skip"]).openapi({
  description: "What a deactivated, disabled or expired hook does with events that match it: `hold` keeps them pending and sends them in order once it is activated (default); `skip` records them as `skipped` and never sends them.",
});
export const SignatureScheme = z.enum(SIGNATURE_SCHEMES).openapi({
  description: "Standard profile only: `v1` HMAC-SHA256 with the whsec_ secret, `v1a` Ed25519 with the hook's key pair (verify with its whpk_ public key), or `both`.",
});

const hookFields = {
  url: z.string().min(1).max(2048).openapi({ example: "https://example.com/webhooks" }),
  description: z.string().max(500).nullable(),
  events: z.array(EventPattern).min(1).max(100),
  channels: z.array(Channel).max(100),
  filter: HookFilter.nullable(),
  enabled: z.boolean(),
  while_inactive: WhileInactive,
  ordering: Ordering,
  max_in_flight: z.number().int().min(1).max(MAX_MAX_IN_FLIGHT),
  order_window_ms: z.number().int().min(0).max(MAX_ORDER_WINDOW_MS),
  retry_schedule: RetrySchedule.nullable(),
  timeout_ms: z.number().int().min(1000).max(MAX_TIMEOUT_MS),
  rate_limit_per_s: z.number().int().min(1).max(10_000).nullable(),
  headers: CustomHeaders,
  metadata: Metadata,
  expires_at: z.iso.datetime({ offset: true }).nullable(),
  signature_scheme: SignatureScheme,
};

export const HookCreate = z
  .strictObject({
    ...hookFields,
    profile: Profile,
    /** Supply your own secret (format per profile), or null for none where the profile allows. */
    secret: z.string().max(256).nullable(),
    validation: z.enum(["handshake", "none"]),
  })
  .partial()
  .required({ url: true })
  .openapi("HookCreate");
export type HookCreate = z.infer<typeof HookCreate>;

export const HookUpdate = z.strictObject(hookFields).partial().openapi("HookUpdate");
export type HookUpdate = z.infer<typeof HookUpdate>;

export const LastDelivery = z.object({
  status: z.enum(["none", "succeeded", "failed"]),
  icon: z.enum(["❕", "✔", "❌"]),
  at: z.string().nullable(),
  error: z.string().nullable(),
});

export const Hook = z
  .object({
    id: HookId,
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    channels: z.array(z.string()),
    filter: HookFilter.nullable(),
    profile: Profile,
    enabled: z.boolean(),
    while_inactive: WhileInactive,
    status: HookStatus,
    disabled_reason: z.string().nullable(),
    expires_at: z.string().nullable(),
    ordering: Ordering,
    max_in_flight: z.number(),
    order_window_ms: z.number(),
    retry_schedule: z.array(z.number()).nullable(),
    timeout_ms: z.number(),
    rate_limit_per_s: z.number().nullable(),
    headers: z.record(z.string(), z.string()),
    metadata: z.record(z.string(), z.string()),
    validation: z.enum(["handshake", "none"]),
    validation_note: z.string().nullable(),
    alias: z.string().nullable().openapi({ description: "The id a compatibility façade shows for this hook" }),
    has_secret: z.boolean(),
    signature_scheme: SignatureScheme,
    public_key: z.string().nullable().openapi({ description: "The whpk_ Ed25519 public key that verifies v1a signatures (null without v1a)." }),
    last_delivery: LastDelivery,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Hook");
export type HookOut = z.infer<typeof Hook>;

/** What a publisher sends to POST /v1/events. */
export const EventIn = z
  .strictObject({
    id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_\-:.]+$/, "ids are A-Z a-z 0-9 _ - : .").optional()
      .openapi({ description: "Your idempotency key; a repeated id is delivered once per hook." }),
    type: PublicEventName,
    data: z.unknown().optional().openapi({ description: "Any JSON value, ≤ 100 KiB serialised, nested ≤ 64 levels." }),
    channel: Channel.optional(),
    changed_attributes: z.array(z.string().min(1).max(200)).max(200).optional(),
    occurred_at: z.iso.datetime({ offset: true }).optional(),
    actor: z.string().max(200).optional(),
    summary: z.string().max(1000).optional(),
    target: z
      .strictObject({
        url: z.string().min(1).max(2048),
        profile: Profile.optional(),
        secret: z.string().max(256).optional(),
      })
      .optional()
      .openapi({ description: "A one-off target (Idfy's advanced.webhook): delivered here instead of to subscriptions, through an ephemeral hook removed after its last delivery." }),
  })
  .openapi("Event");
export type EventIn = z.infer<typeof EventIn>;

/**
 * The message on `hookline-events`: the contract for any Worker that binds the queue and sends
 * directly. `published_at` (ms) and `index` order events from one request; other producers
 * may omit them and send `occurred_at` instead.
 */
export const EventMessage = z.strictObject({
  v: z.literal(1),
  tenant_id: TenantId,
  id: z.string().min(1).max(100),
  type: EventName,
  data: z.unknown().optional(),
  channel: Channel.nullish(),
  changed_attributes: z.array(z.string()).max(200).nullish(),
  occurred_at: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).nullish(),
  published_at: z.number().int().nonnegative().nullish(),
  index: z.number().int().nonnegative().nullish(),
  actor: z.string().max(200).nullish(),
  summary: z.string().max(1000).nullish(),
  /** set by the API for a one-off target: deliver to this hook only */
  target_hook_id: HookId.nullish(),
});
export type EventMessage = z.infer<typeof EventMessage>;

/**
 * Several events of one batch publish in one queue message (Queues bill each message per 64 KB
 * written, read and deleted, so 100 small events cost 3 operations instead of 300). Internal: the
 * API writes it; producers send EventMessage.
 */
export const EventPack = z.strictObject({ v: z.literal(1), pack: z.array(EventMessage).min(1).max(100) });
export type EventPack = z.infer<typeof EventPack>;

/** Jobs on `hookline-deliveries`. */
export type DeliveryJob =
  | { kind: "drain"; hook_id: string; leases: string[] }
  | { kind: "fanout"; event: EventMessage; hook_ids: string[] }
  | { kind: "validate"; hook_id: string; token: string };
