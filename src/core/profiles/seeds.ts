/**
 * The five seed systems' envelopes and signature headers, each exactly as its document says
 * (the vendors' own webhook documentation; docs/migrate/ names each one). Every one signs with hex HMAC-SHA256 keyed by the secret's UTF-8 bytes.
 */
import { checkPlainSecret, hexHmac, iso, isoSeconds, newHexSecret } from "./hex";
import type { OutboundEvent, Profile, ProfileName } from "./types";

/** Signs with the newest secret only: hex receivers compare one value. */
function hexProfile(
  name: ProfileName,
  header: string,
  envelope: Profile["envelope"],
  opts: { prefix?: string; signed?: (body: string) => string; secretOptional?: boolean } = {},
): Profile {
  return {
    name,
    envelope,
    secretOptional: opts.secretOptional ?? false,
    async sign(secrets, body) {
      const secret = secrets[0];
      if (!secret) return {};
      const message = opts.signed ? opts.signed(body) : body;
      return { [header]: (opts.prefix ?? "") + (await hexHmac(secret, message)) };
    },
    newSecret: newHexSecret,
    checkSecret: checkPlainSecret,
  };
}

/**
 * BIMData: `{event_name, cloud_id, data}`. The channel is the cloud, or `cloud/project` for a
 * project's events (so project webhooks can subscribe to one project); numeric ids stay numbers.
 */
export const bimdata = hexProfile("bimdata", "x-bimdata-signature", (ev) =>
  JSON.stringify({ event_name: ev.type, cloud_id: numericOrString(ev.channel?.split("/")[0]), data: ev.data ?? null }),
);

/**
 * iTwin Webhooks API v1 (developer.bentley.com/apis/webhooks/available-events):
 * `{content, contentType, enqueuedDateTime, messageId, subscriptionId}`, `Signature: sha256=<hex>`
 * over the whole body.
 */
export const itwin = hexProfile(
  "itwin",
  "Signature",
  (ev, hook) =>
    JSON.stringify({
      content: ev.data ?? null,
      contentType: ev.type,
      enqueuedDateTime: iso(ev.timestamp),
      messageId: ev.id,
      subscriptionId: hook.id,
    }),
  { prefix: "sha256=" },
);

/**
 * iTwin Webhooks API v2 (developer.bentley.com/apis/webhooks-v2/available-events):
 * `{content, eventType, enqueuedDateTime, iTwinId, messageId, webhookId}`; the channel is the iTwin.
 */
export const itwinV2 = hexProfile(
  "itwin_v2",
  "Signature",
  (ev, hook) =>
    JSON.stringify({
      content: ev.data ?? null,
      eventType: ev.type,
      enqueuedDateTime: iso(ev.timestamp),
      iTwinId: ev.channel ?? null,
      messageId: ev.id,
      webhookId: hook.id,
    }),
  { prefix: "sha256=" },
);

/** Speckle: body `{"payload": "<JSON string>"}`; the signature covers the inner string. */
export const speckle = hexProfile(
  "speckle",
  "X-WEBHOOK-SIGNATURE",
  (ev, hook) => {
    const streamId = ev.channel ?? null;
    const inner = {
      streamId,
      userId: ev.actor ?? null,
      activityMessage: ev.summary ?? ev.type,
      event: { event_name: ev.type, data: ev.data ?? null },
      server: { name: "Hookline", canonicalUrl: hook.publicUrl },
      stream: { id: streamId },
      user: { id: ev.actor ?? null },
      webhook: { id: hook.id, streamId, url: hook.url, description: hook.description ?? null, triggers: hook.events },
    };
    return JSON.stringify({ payload: JSON.stringify(inner) });
  },
  { signed: (body) => (JSON.parse(body) as { payload: string }).payload, secretOptional: true },
);

/** Idfy: `{id, timestamp, type, payload}`, timestamp ISO 8601 in seconds as in the example. */
export const idfy = hexProfile("idfy", "X-Idfy-Signature", (ev) =>
  JSON.stringify({ id: ev.id, timestamp: isoSeconds(ev.timestamp), type: ev.type, payload: ev.data ?? {} }),
);

/** Propstack: the record itself, plus `changed_attributes` on `*_updated`; signed only with a secret. */
export const propstack = hexProfile(
  "propstack",
  "X-Propstack-Signature",
  (ev) => JSON.stringify(propstackBody(ev)),
  { secretOptional: true },
);

function propstackBody(ev: OutboundEvent): unknown {
  const isObject = ev.data !== null && typeof ev.data === "object" && !Array.isArray(ev.data);
  if (!isObject) return ev.data ?? {};
  if (ev.type.endsWith("_updated")) return { ...(ev.data as object), changed_attributes: ev.changed_attributes ?? [] };
  return ev.data;
}

function numericOrString(channel: string | null | undefined): number | string | null {
  if (channel == null) return null;
  return /^[1-9]\d{0,14}$/.test(channel) ? Number(channel) : channel;
}
