/**
 * WebCrypto helpers: secrets, hashing, AES-GCM at rest, HMAC, constant-time comparison.
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

const keyCache = new Map<string, Promise<CryptoKey>>();
function aesKey(b64: string): Promise<CryptoKey> {
  let k = keyCache.get(b64);
  if (!k) {
    const raw = base64ToBytes(b64);
    if (raw.length !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
    k = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(b64, k);
  }
  return k;
}

/** AES-256-GCM: returns `v1.<iv b64>.<ciphertext b64>`. */
export async function encryptSecret(keyB64: string, plaintext: string): Promise<string> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(keyB64), enc.encode(plaintext));
  return `v1.${bytesToBase64(iv)}.${bytesToBase64(ct)}`;
}

export async function decryptSecret(keyB64: string, sealed: string): Promise<string> {
  const [v, iv, ct] = sealed.split(".");
  if (v !== "v1" || !iv || !ct) throw new Error("unknown secret envelope");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv) }, await aesKey(keyB64), base64ToBytes(ct));
  return new TextDecoder().decode(pt);
}
