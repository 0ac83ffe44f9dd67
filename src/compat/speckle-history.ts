/**
 * `Webhook.history(limit)`: a hook's deliveries as Speckle's `WebhookEvent`s, read from its
 * EndpointDO. Speckle's webhook service writes status 0 (queued), 1 (being sent), 2 with
 * statusInfo "Webhook called", or 3 with what went wrong; `retryCount` counts attempts after the first.
 */
import { endpointStub } from "../db/hooks";
import type { HookRow } from "../db/schema";
import { profileOf } from "../core/profiles";
import type { Env } from "../env";
import { settings } from "../env";

/** Speckle's default when no limit is given (getLastWebhookEventsFactory), and our page cap. */
const DEFAULT_LIMIT = 100;
const STATUS: Record<string, number> = { pending: 0, delivering: 1, succeeded: 2, failed: 3, cancelled: 3 };
const RESPONSE_EXCERPT = 500;

export async function speckleHistory(env: Env, hook: HookRow, limit: number) {
  const n = limit > 0 ? Math.min(limit, DEFAULT_LIMIT) : DEFAULT_LIMIT;
  const stub = endpointStub(env.ENDPOINTS, hook.id);
  const [rows, stats] = await Promise.all([stub.listDeliveries({ limit: n }), stub.stats(0)]);
  const items = await Promise.all(rows.map(async (d) => {
    const status = STATUS[d.status] ?? 3;
    return {
      id: d.id,
      webhookId: hook.id,
      status,
      statusInfo: status === 2 ? "Webhook called" : status === 3 ? await failureInfo(env, hook.id, d.id, d.status, d.last_error) : pendingInfo(d.attempts, d.last_error),
      retryCount: Math.max(0, d.attempts - 1),
      lastUpdate: d.finished_at ?? d.created_at,
      payload: await payloadOf(env, hook, d.id, d.event_id, d.event_type),
    };
  }));
  items.sort((a, b) => (a.lastUpdate < b.lastUpdate ? 1 : a.lastUpdate > b.lastUpdate ? -1 : 0)); // Speckle orders by lastUpdate desc
  return { totalCount: stats.succeeded + stats.failed + stats.cancelled + stats.pending, items };
}

const pendingInfo = (attempts: number, lastError: string | null) =>
  attempts === 0 ? "Pending" : `Pending: attempt ${attempts} failed (${lastError ?? "unknown error"}), retrying`;

/** What the last attempt saw, in the words of Speckle's webhook caller ("HTTP response code: 500"), plus the reply. */
async function failureInfo(env: Env, hookId: string, deliveryId: string, status: string, lastError: string | null): Promise<string> {
  if (status === "cancelled") return "Cancelled";
  if (status === "skipped") return "Skipped: the webhook was disabled";
  const found = await endpointStub(env.ENDPOINTS, hookId).getDelivery(deliveryId);
  const last = found?.attempts.at(-1);
  if (!last) return lastError ?? "Failed";
  const what = last.status_code !== null ? `HTTP response code: ${last.status_code}` : last.error ?? lastError ?? "Failed";
  const body = last.response_body?.trim();
  return body ? `${what}; response: ${body.slice(0, RESPONSE_EXCERPT)}` : what;
}

/**
 * The event as Speckle's `payload` column names it. The EndpointDO's RPC surface does not return a
 * delivery's stored event, so this carries the ids and the event name, not the event's data.
 */
/**
 * The payload string Speckle's history shows: the same inner payload the delivery carried (the
 * speckle profile's envelope of the stored event). If the event is gone (retention), its ids only.
 */
async function payloadOf(env: Env, hook: HookRow, deliveryId: string, eventId: string, eventType: string): Promise<string> {
  const event = await endpointStub(env.ENDPOINTS, hook.id).deliveryEvent(deliveryId);
  if (event) {
    const body = profileOf("speckle").envelope(event, {
      id: hook.id, url: hook.url, description: hook.description, events: hook.events, publicUrl: settings(env).publicUrl,
    });
    return (JSON.parse(body) as { payload: string }).payload;
  }
  const streamId = hook.channels[0] ?? null;
  return JSON.stringify({
    streamId,
    eventId,
    event: { event_name: eventType },
    webhook: { id: hook.id, streamId, url: hook.url, description: hook.description, triggers: hook.events },
  });
}
