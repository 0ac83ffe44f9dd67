/**
 * WebCrypto helpers: secrets, hashing, AES-GCM at rest under purpose-derived keys, HMAC, constant-time comparison.
 */
const enc = new TextEncoder();

export function bytesToHex(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (const b of u) s += b.toString(16).padStart(2, "0");
  return s;
}

export function bytesToBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = "";
  for (let i = 0; i < u.length; i += 0x8000) bin += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
export const randomHex = (bytes: number) => bytesToHex(randomBytes(bytes));
export const randomToken = (bytes = 24) =>
  bytesToBase64(randomBytes(bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}

/** Imported HMAC keys by their bytes: signing the same hook's deliveries imports its key once. */
const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 of `message` under raw key bytes. */
export async function hmacSha256(key: Uint8Array, message: Uint8Array | string): Promise<Uint8Array> {
  const id = bytesToBase64(key);
  let pending = hmacKeys.get(id);
  if (!pending) {
    if (hmacKeys.size >= 5000) hmacKeys.clear();
    pending = crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(id, pending);
  }
  const k = await pending;
  const data = typeof message === "string" ? enc.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ab = enc.encode(a);
  const bb = enc.encode(b);
  let diff = ab.length ^ bb.length;
  for (let i = 0; i < Math.max(ab.length, bb.length); i++) diff |= (ab[i] ?? 0) ^ (bb[i] ?? 0);
  return diff === 0;
}

/**
 * Sealing at rest (AES-256-GCM) under keys derived from ENCRYPTION_KEY with HKDF-SHA256, one per
 * purpose, so a ciphertext made for one purpose never opens as another (issue 15, finding 8).
 * Associated data binds a ciphertext to what it belongs to (a hook secret to its hook id): copied
 * onto another row, it does not open.
 *
 *   v2.<iv b64>.<ciphertext b64>  key = HKDF(ENCRYPTION_KEY, salt "hookline/seal/v2", info = purpose),
 *                                 AAD = purpose + NUL + associated data
 *   v1.<iv b64>.<ciphertext b64>  legacy: the raw ENCRYPTION_KEY, no AAD. Still opened for hook
 *                                 secrets (rows written before v2); the daily cron re-seals them.
 */
export type SealPurpose = "hook-secret" | "hook-header" | "dashboard-session" | "portal-session";

const rawKeys = new Map<string, Promise<CryptoKey>>();
const derivedKeys = new Map<string, Promise<CryptoKey>>();

function keyBytes(b64: string): Uint8Array {
  const raw = base64ToBytes(b64);
  if (raw.length !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
  return raw;
}

function legacyKey(b64: string): Promise<CryptoKey> {
  let k = rawKeys.get(b64);
  if (!k) {
    k = crypto.subtle.importKey("raw", keyBytes(b64), "AES-GCM", false, ["encrypt", "decrypt"]);
    rawKeys.set(b64, k);
  }
  return k;
}

function purposeKey(b64: string, purpose: SealPurpose): Promise<CryptoKey> {
  const id = `${purpose}:${b64}`;
  let k = derivedKeys.get(id);
  if (!k) {
    k = crypto.subtle
      .importKey("raw", keyBytes(b64), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: enc.encode("hookline/seal/v2"), info: enc.encode(purpose) },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    if (derivedKeys.size >= 64) derivedKeys.clear();
    derivedKeys.set(id, k);
  }
  return k;
}

const additional = (purpose: SealPurpose, aad: string) => enc.encode(`${purpose}\0${aad}`);

/** Seals `plaintext` for `purpose`, bound to `aad`: `v2.<iv>.<ciphertext>`. */
export async function seal(keyB64: string, purpose: SealPurpose, plaintext: string, aad = ""): Promise<string> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additional(purpose, aad) }, await purposeKey(keyB64, purpose), enc.encode(plaintext));
  return `v2.${bytesToBase64(iv)}.${bytesToBase64(ct)}`;
}

/** Opens a `v2` seal made for `purpose` and `aad`; throws on anything else (tampered, other purpose or row). */
export async function unseal(keyB64: string, purpose: SealPurpose, sealed: string, aad = ""): Promise<string> {
  const [v, iv, ct, extra] = sealed.split(".");
  if (v !== "v2" || !iv || !ct || extra !== undefined) throw new Error("unknown sealed envelope");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv), additionalData: additional(purpose, aad) }, await purposeKey(keyB64, purpose), base64ToBytes(ct),
  );
  return new TextDecoder().decode(pt);
}

/** True for a legacy `v1` envelope (raw key, no associated data), which the daily cron re-seals. */
export const isLegacySealed = (sealed: string | null | undefined) => !!sealed && sealed.startsWith("v1.");

/**
 * Seals a hook's signing secret (or key). With `hookId` (every hook write passes it) the result is
 * a `v2` seal under the hook-secret key bound to that hook. Without it, the legacy `v1` form is
 * written, as before — kept only so callers that do not yet pass their hook id keep working.
 */
export async function encryptSecret(keyB64: string, plaintext: string, hookId?: string): Promise<string> {
  if (hookId !== undefined) return seal(keyB64, "hook-secret", plaintext, hookId);
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await legacyKey(keyB64), enc.encode(plaintext));
  return `v1.${bytesToBase64(iv)}.${bytesToBase64(ct)}`;
}

/**
 * Opens what encryptSecret sealed. A `v2` seal opens only with the hook id it was bound to
 * (`hookId`, or none when it was sealed without one); a legacy `v1` one opens regardless.
 */
export async function decryptSecret(keyB64: string, sealed: string, hookId?: string): Promise<string> {
  if (sealed.startsWith("v2.")) return unseal(keyB64, "hook-secret", sealed, hookId ?? "");
  const [v, iv, ct] = sealed.split(".");
  if (v !== "v1" || !iv || !ct) throw new Error("unknown secret envelope");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv) }, await legacyKey(keyB64), base64ToBytes(ct));
  return new TextDecoder().decode(pt);
}

/**
 * Short-lived claims (dashboard and portal sessions): sealed JSON with an expiry, under the purpose's
 * own key. `openClaims` returns null for anything that is not a live seal of this purpose, and for
 * an expiry beyond `maxTtlMs` from now (a seal minted with a longer life is not honoured).
 */
export async function sealClaims<T extends object>(keyB64: string, purpose: SealPurpose, claims: T, expiresAt: number): Promise<string> {
  return seal(keyB64, purpose, JSON.stringify({ ...claims, exp: expiresAt }));
}

export async function openClaims<T extends object>(keyB64: string, purpose: SealPurpose, sealed: string, now: number, maxTtlMs: number): Promise<(T & { exp: number }) | null> {
  try {
    const claims = JSON.parse(await unseal(keyB64, purpose, sealed)) as T & { exp: unknown };
    if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + maxTtlMs) return null;
    return claims as T & { exp: number };
  } catch {
    return null;
  }
}
