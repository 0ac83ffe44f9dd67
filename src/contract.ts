/**
 * The contract for Workers that publish to Hookline by binding the `hookline-events` queue
 * directly (no HTTP hop): send one `EventMessage` per event.
 *
 *   await env.HOOKLINE_EVENTS.send(EventMessage.parse({ v: 1, tenant_id, id, type, data }));
 *
 * Order: events are delivered in `(published_at ?? occurred_at, index)` order per hook.
 * Idempotency: `id` is the dedupe key — a repeated id is delivered once per hook.
 */
export { EventMessage } from "./core/schemas";
export type { EventMessage as EventMessageType } from "./core/schemas";
