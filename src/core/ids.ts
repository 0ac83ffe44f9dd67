/**
 * Prefixed, time-sortable ids (`hook_01J…`): 10 Crockford base32 chars of milliseconds + 16 random.
 * Sorting ids sorts by creation time, which cursor pagination relies on.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix = "ten" | "key" | "hook" | "evt" | "dlv" | "att" | "lease" | "dead" | "psn";

export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}

export const idPattern = (prefix: IdPrefix) => new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`);

export function isId(prefix: IdPrefix, value: string): boolean {
  return idPattern(prefix).test(value);
}

/**
 * A delivery's id, derived from where it stands and what it carries: 10 chars of its publish time,
 * 3 of its index in the publish request, 13 of a 64-bit FNV-1a hash of (hook, dedupe key). The
 * same event admitted twice to a hook gets the same id — the primary key is the dedupe check, with
 * no index of its own — and ids sort in publish order, so the history needs no order index either.
 */
export function deliveryId(hookId: string, publishedAt: number, index: number, dedupeKey: string): string {
  return `dlv_${base32(publishedAt, 10)}${base32(Math.min(Math.max(0, index), 32 ** 3 - 1), 3)}${base32(fnv1a64(`${hookId}\n${dedupeKey}`), 13)}`;
}

/** The smallest delivery id of anything published at or after `publishedAt` (a bound for id ranges). */
export const deliveryIdFloor = (publishedAt: number): string => `dlv_${base32(Math.max(0, publishedAt), 10)}`;

function base32(value: number | bigint, width: number): string {
  let v = BigInt(value);
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(v % 32n)] + out;
    v /= 32n;
  }
  return out;
}

function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}
