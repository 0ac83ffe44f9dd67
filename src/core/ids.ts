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
