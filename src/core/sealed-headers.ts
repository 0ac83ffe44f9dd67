/**
 * Custom header values are sealed at rest and never shown again (issue 15, finding 11): a hook's
 * `Authorization` or API-key header is a credential for the receiver, like the signing secret.
 * Hookline cannot tell which header carries one, so every value is treated that way.
 *
 * Stored form per header: `sealed:` + a v2 seal under the hook-header key, bound to the hook id and
 * the header name. A value without the prefix is a legacy plaintext row (written before sealing),
 * still sent as is until the daily cron re-seals it.
 */
import { invalid } from "../errors";
import { seal, unseal } from "./crypto";

/** What every response shows instead of a header value. Sent back in a PATCH, it keeps the stored value. */
export const MASKED_HEADER_VALUE = "********";
const PREFIX = "sealed:";

export const isSealedHeaderValue = (v: string) => v.startsWith(PREFIX);
const aadFor = (hookId: string, name: string) => `${hookId}\n${name.toLowerCase()}`;

/** Every value replaced by the mask; names stay visible. */
export function maskHeaders(stored: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(stored).map((name) => [name, MASKED_HEADER_VALUE]));
}

/**
 * The stored form of `headers` for `hookId`. A value equal to the mask keeps what `previous` holds
 * under that name (so a GET → edit → PATCH round trip does not overwrite credentials with stars).
 */
export async function sealHeaders(keyB64: string, hookId: string, headers: Record<string, string>, previous: Record<string, string> = {}): Promise<Record<string, string>> {
  const before = new Map(Object.entries(previous).map(([n, v]) => [n.toLowerCase(), v]));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === MASKED_HEADER_VALUE) {
      const kept = before.get(name.toLowerCase());
      if (kept === undefined) {
        throw invalid(`headers.${name}: send the value; ${MASKED_HEADER_VALUE} only keeps a value the hook already has`, [{ loc: ["body", "headers", name], msg: "masked value for a header the hook does not have" }]);
      }
      // the binding uses the lower-cased name, so a re-cased name keeps the same seal
      out[name] = isSealedHeaderValue(kept) ? kept : await sealOne(keyB64, hookId, name, kept);
      continue;
    }
    out[name] = await sealOne(keyB64, hookId, name, value);
  }
  return out;
}

const sealOne = async (keyB64: string, hookId: string, name: string, value: string) => PREFIX + (await seal(keyB64, "hook-header", value, aadFor(hookId, name)));

const opened = new Map<string, Promise<string>>();

/** The values to send. Throws when a sealed value does not open for this hook and name. */
export async function openHeaders(keyB64: string, hookId: string, stored: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(stored)) {
    if (!isSealedHeaderValue(value)) {
      out[name] = value; // legacy plaintext row
      continue;
    }
    const id = `${aadFor(hookId, name)}\n${value}`;
    let p = opened.get(id);
    if (!p) {
      if (opened.size >= 5000) opened.clear();
      p = unseal(keyB64, "hook-header", value.slice(PREFIX.length), aadFor(hookId, name));
      opened.set(id, p);
      p.catch(() => opened.delete(id));
    }
    out[name] = await p;
  }
  return out;
}
