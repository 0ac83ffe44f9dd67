/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (seconds),
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, key = base64-decoded
 * part after `whsec_`. During rotation every valid secret signs, space-separated.
 */
import { base64ToBytes, bytesToBase64, hmacSha256, randomBytes } from "../crypto";
import { iso } from "./hex";
import type { Profile } from "./types";

export const standard: Profile = {
  name: "standard",
  secretOptional: false,
  envelope: (ev) => JSON.stringify({ type: ev.type, timestamp: iso(ev.timestamp), data: ev.data ?? null }),
  async sign(secrets, body, ev, sentAt): Promise<Record<string, string>> {
    const ts = Math.floor(sentAt / 1000);
    const sigs = await Promise.all(
      secrets.map(async (s) => "v1," + bytesToBase64(await hmacSha256(whsecKey(s), `${ev.id}.${ts}.${body}`))),
    );
    return sigs.length ? { "webhook-signature": sigs.join(" ") } : {};
  },
  newSecret: () => "whsec_" + bytesToBase64(randomBytes(32)),
  checkSecret(secret) {
    if (!secret.startsWith("whsec_")) return "standard secrets start with whsec_";
    try {
      const n = base64ToBytes(secret.slice(6)).length;
      return n >= 24 && n <= 64 ? null : "whsec_ secret must encode 24 to 64 bytes";
    } catch {
      return "whsec_ secret must be base64";
    }
  },
};

function whsecKey(secret: string): Uint8Array {
  return base64ToBytes(secret.startsWith("whsec_") ? secret.slice(6) : secret);
}
