/**
 * Policy numbers in one place. Each cites where it comes from.
 */

/** Standard Webhooks / Svix default schedule, in seconds: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 36000] as const;
/** ±20 % jitter on each retry delay (docs/architecture.md#delivery-semantics). */
export const RETRY_JITTER = 0.2;
/** Per-hook schedules: at most 20 entries, each ≤ 24 h (docs/architecture.md#delivery-semantics). */
export const MAX_RETRY_ENTRIES = 20;
export const MAX_RETRY_DELAY_S = 24 * 3600;
/** Retry-After on 429/503 is honoured but clamped to 1 h (docs/architecture.md#delivery-semantics). */
export const MAX_RETRY_AFTER_S = 3600;

/** Request timeout towards targets: default 15 s, max 30 s (docs/architecture.md#the-flow-of-one-event). */
export const DEFAULT_TIMEOUT_MS = 15_000;
export const MAX_TIMEOUT_MS = 30_000;
/** A lease outlives the fetch timeout by this margin before the DO re-releases the delivery. */
export const LEASE_MARGIN_MS = 15_000;
/** A delivery released to the queue but not yet claimed keeps its lease this long (queue latency). */
export const RELEASE_LEASE_MS = 5 * 60_000;

/** Publish-order settle window for strict hooks (docs/architecture.md#delivery-semantics). */
export const DEFAULT_ORDER_WINDOW_MS = 1000;
export const MAX_ORDER_WINDOW_MS = 60_000;
/**
 * Strict hooks: a consumer may hold up to this many consecutive deliveries at once. It sends them
 * one at a time, in order, stops at the first failure and reports them together — still one
 * request in flight, but one Durable Object round trip per sequence instead of per delivery.
 */
export const STRICT_SEQUENCE = 10;
/**
 * The EndpointDO keeps only the head of a hook's backlog in memory (docs/architecture.md#the-endpointdos-bounded-window): it pages in up to
 * WINDOW_FILL pending deliveries through an index when fewer than half of that are left, and never
 * holds more than WINDOW_MAX. At ~200 bytes a delivery that is ~50 KB, whatever the backlog —
 * against a 128 MB isolate. WINDOW_FILL exceeds MAX_MAX_IN_FLIGHT so an unordered hook fills its
 * leases from one page.
 */
export const WINDOW_FILL = 128;
export const WINDOW_MAX = 256;
/** Live deliveries cancelled per step when a hook is deleted (the rest continue on the alarm). */
export const CANCEL_CHUNK = 5_000;
/** Finished deliveries removed per retention step (an indexed range; the rest continue later). */
export const PURGE_CHUNK = 500;

/** Unordered hooks: concurrent leases (docs/architecture.md#delivery-semantics). */
export const DEFAULT_MAX_IN_FLIGHT = 10;
export const MAX_MAX_IN_FLIGHT = 100;

/** Auto-disable after continuous failure for 5 days and at least 10 attempts (Svix behaviour, docs/architecture.md#delivery-semantics). */
export const AUTO_DISABLE_AFTER_MS = 5 * 24 * 3600_000;
export const AUTO_DISABLE_MIN_ATTEMPTS = 10;

/** Attempt log: response body excerpt ≤ 1 KiB (docs/architecture.md#delivery-semantics). */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Response headers kept in the attempt log. */
export const LOGGED_RESPONSE_HEADERS = ["content-type", "content-length", "retry-after", "location", "server", "date", "x-request-id"];

/** Event `data` ≤ 100 KiB (queue messages are limited to 128 KB) (docs/architecture.md#api). */
export const MAX_EVENT_DATA_BYTES = 100 * 1024;
/** Batch publish: ≤ 100 events, ≤ 256 KB request (queue sendBatch limit) (issue 4). */
export const MAX_BATCH_EVENTS = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
/**
 * A batch publish packs its events into queue messages of at most this many bytes: under the
 * 128 KB message limit with room for the envelope (Queues bill 64 KB per operation either way).
 */
export const QUEUE_PACK_BYTES = 120 * 1024;
/** Any request body above this is refused with 413 before parsing. */
export const MAX_REQUEST_BYTES = 300 * 1024;
/**
 * One-off targets (an event's `target`, Idfy's advanced.webhook) created per tenant per minute
 * (issue 15, finding 2): each is a new signed, retried POST to a URL of the publisher's choosing.
 * Idfy documents one callback per verification request; 60 a minute is far above a human-driven
 * flow and caps what a leaked key can aim at third parties.
 */
export const EPHEMERAL_TARGETS_PER_MINUTE = 60;
/** Event `data` nested deeper than this is refused with 422 (issue 15, finding 17): JSON this deep
 *  parses but cannot be serialised again (stack overflow). */
export const MAX_EVENT_DATA_DEPTH = 64;

/**
 * Hooks admitted per fan-out invocation before the rest is split into chunks on
 * hookline-deliveries. An invocation has at most 6 simultaneous outgoing connections (Workers
 * limits), so many small chunks consumed concurrently beat one big one.
 */
export const FANOUT_CHUNK = 100;
/**
 * Subrequests one consumer invocation may spend on deliveries: each delivery is a fetch, each
 * admit or report a Durable Object call (a report covers up to a strict sequence or max_in_flight
 * deliveries). Workers Paid allows 10,000 subrequests per invocation (Workers limits page, read
 * 2026-11-24); 9,000 leaves room for the D1 reads and queue sends around them. Past it, deliveries
 * are stored and drained through hookline-deliveries, which costs 4 rows written each instead of a
 * share of one block row (bench/RESULTS.md), so the budget is as large as is safe. Bounded in time too.
 */
export const DRAIN_MAX_SUBREQUESTS = 9_000;
export const DRAIN_MAX_MS = 25_000;

/** Rotated secrets stay valid for 24 h (docs/architecture.md#profiles-envelope-and-signature). */
export const SECRET_GRACE_MS = 24 * 3600_000;
/** iTwin: hooks expire after 30 days unless told otherwise; manual validation within 2 days. */
export const ITWIN_TTL_DAYS = 30;
export const VALIDATION_DEADLINE_MS = 2 * 24 * 3600_000;

/** API keys: last_used_at is refreshed at most this often, so auth is not a D1 write per request. */
export const KEY_TOUCH_INTERVAL_MS = 3600_000;
/** API keys are cached per isolate this long (a revocation reaches other isolates within it). */
export const KEY_CACHE_MS = 30_000;
export const KEY_CACHE_MAX = 10_000;

/**
 * Tenant isolation under abuse (issue 15, finding 1). Defaults; each can be changed per deployment
 * through the var named in brackets (env.ts `tenantQuotas`).
 *  - hooks per tenant [MAX_HOOKS_PER_TENANT]: Svix and Hookdeck cap endpoints per app/project in
 *    the low thousands; 2,000 leaves room for the 1,500-hook fan-out this project is tested at.
 *  - live one-off targets per tenant [MAX_ONE_OFF_TARGETS_PER_TENANT]: ephemeral hooks still
 *    delivering (Idfy's advanced.webhook); each is removed after its last delivery ends.
 *  - a hook definition's serialized size [MAX_HOOK_BYTES] (url, description, events, channels,
 *    filter, headers, metadata, retry schedule): the schema alone allows ~2 MB of filter. At
 *    16 KiB, a tenant at its hook quota is at most 32 MB of definitions, and fan-out reads those in
 *    pages (ROUTING_PAGE), never all at once.
 */
export const DEFAULT_MAX_HOOKS_PER_TENANT = 2000;
export const DEFAULT_MAX_ONE_OFF_TARGETS_PER_TENANT = 1000;
export const DEFAULT_MAX_HOOK_BYTES = 16 * 1024;
/** Fan-out reads a tenant's routing columns this many hooks at a time: ≤ 200 × 16 KiB in memory. */
export const ROUTING_PAGE = 200;
/**
 * Tenants whose routing is read at once by one fan-out invocation: a slow or failing tenant
 * holds up at most one of these slots, not the others' admits.
 */
export const FANOUT_TENANT_CONCURRENCY = 4;
/**
 * `max_retries` of the consumers in wrangler.toml. On a message's last attempt (attempts =
 * max_retries + 1) a consumer that still fails sends it to hookline-dead itself, with the error as
 * the reason, instead of letting the queue move it there without one.
 */
export const QUEUE_MAX_RETRIES = 10;
/** Dead letters listed per page (operator endpoint) and redriven per bulk request. */
export const DEAD_LETTER_PAGE = 100;

/** GET /v1/stats is computed at most this often per tenant and window, per isolate (issue 15, finding 7). */
export const STATS_CACHE_MS = 10_000;

/** Pagination. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
