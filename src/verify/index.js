// hookline/verify: check that a request really comes from Hookline, for every format it sends.
//
// Plain JavaScript on WebCrypto alone (types in index.d.ts), so the same file runs unbuilt in
// Node >= 18, Cloudflare Workers, Deno, Bun and browsers. No Hookline or Cloudflare imports.
//
//   standard   Standard Webhooks: webhook-id / webhook-timestamp / webhook-signature over
//              "id.timestamp.body"; a whsec_ secret checks `v1,` (HMAC-SHA256) entries, a whpk_
//              public key checks `v1a,` (Ed25519) entries. Stale timestamps are refused.
//   bimdata    x-bimdata-signature: hex HMAC-SHA256 of the body
//   itwin      Signature: sha256=<hex HMAC-SHA256 of the body> (itwin_v2: the same check)
//   speckle    X-WEBHOOK-SIGNATURE: hex HMAC-SHA256 of the body's "payload" string
//   idfy       X-Idfy-Signature: hex HMAC-SHA256 of the body
//   propstack  X-Propstack-Signature: hex HMAC-SHA256 of the body
// The seed formats' HMAC key is the secret's UTF-8 bytes, as in each vendor's documentation.

const enc = new TextEncoder();

/** Standard Webhooks' recommended replay window: 5 minutes either side. */
export const DEFAULT_TOLERANCE_S = 300;

/** Where each seed profile puts its hex signature, and what it prefixes it with. */
const HEX_FORMATS = {
  bimdata: { header: "x-bimdata-signature", prefix: "" },
  itwin: { header: "signature", prefix: "sha256=" },
  itwin_v2: { header: "signature", prefix: "sha256=" },
  speckle: { header: "x-webhook-signature", prefix: "" },
  idfy: { header: "x-idfy-signature", prefix: "" },
  propstack: { header: "x-propstack-signature", prefix: "" },
};

export const PROFILES = /** @type {const} */ (["standard", "bimdata", "itwin", "itwin_v2", "speckle", "idfy", "propstack"]);

/**
 * Verifies one request. Never throws for bad input: the result says why it failed.
 * @param {string} profile
 * @param {string | readonly string[]} key  one secret / public key, or several (e.g. during a rotation)
 * @param {*} headers  a Headers object or a plain object (Node's req.headers)
 * @param {string | Uint8Array | ArrayBuffer} body  the raw body, exactly as received
 * @param {{ toleranceS?: number, now?: number }} [options]  now: ms since epoch (default Date.now())
 */
export async function verify(profile, key, headers, body, options = {}) {
  const keys = typeof key === "string" ? [key] : Array.isArray(key) ? key : [];
  if (keys.length === 0 || keys.some((k) => typeof k !== "string" || k.length === 0)) {
    return fail("invalid_key", "no key given: pass the hook's secret (or whpk_ public key), or a list of them");
  }
  const bytes = toBytes(body);
  if (!bytes) return fail("invalid_body", "the body must be a string, Uint8Array or ArrayBuffer");
  const header = headerReader(headers);
  if (!header) return fail("invalid_header", "headers must be a Headers object or a plain object");
  try {
    if (profile === "standard") return await verifyStandard(keys, header, bytes, options);
    const format = HEX_FORMATS[/** @type {keyof typeof HEX_FORMATS} */ (profile)];
    if (format && Object.hasOwn(HEX_FORMATS, profile)) return await verifyHex(profile, format, keys, header, bytes);
    return fail("unknown_profile", `unknown profile ${JSON.stringify(profile)}: one of ${PROFILES.join(", ")}`);
  } catch (err) {
    if (err instanceof DuplicateHeader) return fail("invalid_header", err.message);
    throw err;
  }
}

/**
 * Reads a Fetch Request's body and verifies it (Workers, Deno, Bun, browsers, Node's fetch).
 * The body text is returned with the result, since a Request's body can be read only once.
 * @param {string} profile
 * @param {string | readonly string[]} key
 * @param {Request} request
 * @param {{ toleranceS?: number, now?: number }} [options]
 */
export async function verifyRequest(profile, key, request, options = {}) {
  const raw = new Uint8Array(await request.arrayBuffer());
  const result = await verify(profile, key, request.headers, raw, options);
  return { ...result, body: new TextDecoder().decode(raw) };
}

// ---- standard (v1, v1a) -----------------------------------------------------------------------

async function verifyStandard(keys, header, body, options) {
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  const signature = header("webhook-signature");
  const missing = [["webhook-id", id], ["webhook-timestamp", timestamp], ["webhook-signature", signature]].filter(([, v]) => !v);
  if (missing.length) return fail("missing_header", `missing ${missing.map(([n]) => n).join(", ")}`);
  if (!/^\d{1,12}$/.test(timestamp)) return fail("invalid_header", "webhook-timestamp must be whole seconds since the epoch");

  const toleranceS = options.toleranceS ?? DEFAULT_TOLERANCE_S;
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  const ts = Number(timestamp);
  if (nowS - ts > toleranceS) return fail("timestamp_too_old", `webhook-timestamp is ${nowS - ts} s old (tolerance ${toleranceS} s)`);
  if (ts - nowS > toleranceS) return fail("timestamp_too_new", `webhook-timestamp is ${ts - nowS} s in the future (tolerance ${toleranceS} s)`);

  const parsed = [];
  for (const k of keys) {
    const p = parseStandardKey(k);
    if (typeof p === "string") return fail("invalid_key", p);
    parsed.push(p);
  }

  const entries = signature.split(" ").filter(Boolean).map((e) => {
    const comma = e.indexOf(",");
    return comma < 0 ? { version: "", value: "" } : { version: e.slice(0, comma), value: e.slice(comma + 1) };
  });
  const signed = concat(enc.encode(`${id}.${timestamp}.`), body);
  const subtle = await getSubtle();
  let offered = false;
  for (let i = 0; i < parsed.length; i++) {
    const k = parsed[i];
    const candidates = entries.filter((e) => e.version === k.scheme);
    if (candidates.length === 0) continue;
    offered = true;
    if (k.scheme === "v1") {
      const hmacKey = await subtle.importKey("raw", k.bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const expected = base64(new Uint8Array(await subtle.sign("HMAC", hmacKey, signed)));
      // every candidate is compared, so the time taken does not say which one matched
      let match = false;
      for (const c of candidates) match = constantTimeEqual(c.value, expected) || match;
      if (match) return ok("standard", "v1", i, id, ts);
    } else {
      const publicKey = await subtle.importKey("raw", k.bytes, { name: "Ed25519" }, false, ["verify"]);
      for (const c of candidates) {
        const sig = fromBase64(c.value);
        if (sig && sig.length === 64 && (await subtle.verify({ name: "Ed25519" }, publicKey, sig, signed))) {
          return ok("standard", "v1a", i, id, ts);
        }
      }
    }
  }
  if (!offered) {
    const want = [...new Set(parsed.map((k) => k.scheme))].join(" or ");
    return fail("no_signature_for_key", `webhook-signature has no ${want} signature, which is what the given key checks`);
  }
  return fail("signature_mismatch", "no signature in webhook-signature matches the given key");
}

/** whsec_<base64> (or bare base64, as the reference libraries accept) → v1; whpk_<base64 of 32 bytes> → v1a. */
function parseStandardKey(key) {
  if (key.startsWith("whpk_")) {
    const bytes = fromBase64(key.slice(5));
    return bytes && bytes.length === 32 ? { scheme: "v1a", bytes } : "a whpk_ public key is base64 of 32 bytes";
  }
  if (key.startsWith("whsk_")) return "whsk_ is the private signing key: verify with the hook's whpk_ public key";
  const bytes = fromBase64(key.startsWith("whsec_") ? key.slice(6) : key);
  return bytes && bytes.length > 0 ? { scheme: "v1", bytes } : "a standard secret is whsec_ followed by base64";
}

// ---- seed profiles (hex HMAC-SHA256) ----------------------------------------------------------

async function verifyHex(profile, format, keys, header, body) {
  const value = header(format.header);
  if (!value) return fail("missing_header", `missing ${format.header}`);
  if (!value.startsWith(format.prefix)) return fail("invalid_header", `${format.header} must start with ${format.prefix}`);
  const given = value.slice(format.prefix.length).toLowerCase();

  let signed = body;
  if (profile === "speckle") {
    // Speckle signs the inner JSON string of {"payload": "<JSON string>"}, not the body itself.
    let payload;
    try {
      payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)).payload;
    } catch {
      return fail("invalid_body", "a speckle body is JSON: {\"payload\": \"<JSON string>\"}");
    }
    if (typeof payload !== "string") return fail("invalid_body", "a speckle body's payload must be a string");
    signed = enc.encode(payload);
  }

  const subtle = await getSubtle();
  let matched = -1;
  for (let i = 0; i < keys.length; i++) {
    const hmacKey = await subtle.importKey("raw", enc.encode(keys[i]), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = hex(new Uint8Array(await subtle.sign("HMAC", hmacKey, signed)));
    if (constantTimeEqual(given, expected) && matched < 0) matched = i;
  }
  return matched >= 0 ? ok(profile, "hmac-sha256", matched) : fail("signature_mismatch", `${format.header} does not match the given secret`);
}

// ---- helpers ----------------------------------------------------------------------------------

const ok = (profile, scheme, keyIndex, id, timestamp) => ({
  ok: true, profile, scheme, keyIndex, ...(id !== undefined ? { id, timestamp } : {}),
});
const fail = (reason, message) => ({ ok: false, reason, message });

class DuplicateHeader extends Error {}

/** A case-insensitive header lookup over Headers or a plain object; undefined when absent. */
function headerReader(headers) {
  if (headers && typeof headers.get === "function") {
    return (name) => headers.get(name) ?? undefined;
  }
  if (!headers || typeof headers !== "object") return null;
  const lower = new Map();
  for (const [k, v] of Object.entries(headers)) lower.set(k.toLowerCase(), v);
  return (name) => {
    const v = lower.get(name);
    if (Array.isArray(v)) {
      if (v.length > 1) throw new DuplicateHeader(`${name} was sent more than once`);
      return v[0];
    }
    return typeof v === "string" ? v : undefined;
  };
}

function toBytes(body) {
  if (typeof body === "string") return enc.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Compares two strings in time that does not depend on where they differ. */
export function constantTimeEqual(a, b) {
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function base64(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** WebCrypto: global everywhere but Node 18, which keeps it in node:crypto. */
async function getSubtle() {
  if (globalThis.crypto?.subtle) return globalThis.crypto.subtle;
  const nodeCrypto = "node:crypto";
  const { webcrypto } = await import(/* @vite-ignore */ nodeCrypto);
  return webcrypto.subtle;
}
