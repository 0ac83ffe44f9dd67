/**
 * Operational events (as Svix offers): Hookline publishes `hookline.hook.disabled`,
 * `hookline.hook.expired` and `hookline.delivery.failed` into the tenant's own event stream, so a
 * tenant can subscribe an alerting hook. A failed delivery of a `hookline.*` event raises nothing,
 * so an alerting hook that fails can never feed itself.
 */
import type { EventMessage } from "../core/schemas";
import type { Env } from "../env";
import { errorFields, log } from "../log";

export type OperationalType = "hookline.hook.disabled" | "hookline.hook.expired" | "hookline.delivery.failed";

export const isOperational = (type: string) => type.startsWith("hookline.");

/**
 * The id of an operational event: deterministic from `key`, so a retried emission is delivered
 * once, and containing `/`, which the public event-id schema refuses — a publisher can never take
 * this id first and have the real alert dropped as its duplicate (issue 15, finding 3).
 */
export const operationalEventId = (type: OperationalType, key: string) => `${type}/${key}`;

export async function emitOperational(env: Env, tenantId: string, type: OperationalType, key: string, data: Record<string, unknown>) {
  const now = Date.now();
  const msg: EventMessage = { v: 1, tenant_id: tenantId, id: operationalEventId(type, key), type, data, published_at: now, index: 0 };
  try {
    await env.EVENTS.send(msg, { contentType: "json" });
  } catch (err) {
    // The caller decides: a hook transition lets it fail the step (the event id is derived from the
    // transition, so the retry is delivered once); a delivery's failure notice is logged here too.
    log("error", "operational event not sent", { type, tenant_id: tenantId, event_id: msg.id, ...errorFields(err) });
    throw err;
  }
}
