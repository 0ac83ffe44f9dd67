/**
 * hookline/verify: receiver-side checks for every signature format Hookline sends, on WebCrypto
 * alone (Node >= 18, Cloudflare Workers, Deno, Bun, browsers).
 */

/**
 * The formats: `standard` covers both Standard Webhooks v1 (whsec_) and v1a (whpk_); `itwin_v2`
 * (iTwin Webhooks v2 envelope) signs exactly like `itwin`.
 */
export type VerifyProfile = "standard" | "bimdata" | "itwin" | "itwin_v2" | "speckle" | "idfy" | "propstack";
export declare const PROFILES: readonly VerifyProfile[];

/** Standard Webhooks' replay window, in seconds either side of now (5 minutes). */
export declare const DEFAULT_TOLERANCE_S: number;

/** Headers as Fetch gives them, or as Node's `req.headers` does. */
export type HeadersLike = Headers | { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Standard profile: how far webhook-timestamp may be from now, in seconds (default 300). */
  toleranceS?: number;
  /** The current time in ms since the epoch (default `Date.now()`). */
  now?: number;
}

/** Why a request was refused. */
export type VerifyFailureReason =
  /** a signature (or, for standard, webhook-id / webhook-timestamp) header is absent */
  | "missing_header"
  /** a header is malformed (non-numeric timestamp, missing `sha256=` prefix) or sent twice */
  | "invalid_header"
  /** standard: webhook-timestamp is older than the tolerance (a replay, or a slow clock) */
  | "timestamp_too_old"
  /** standard: webhook-timestamp is further in the future than the tolerance */
  | "timestamp_too_new"
  /** the key is empty or not in its format (whsec_/whpk_ for standard; a whsk_ private key is refused) */
  | "invalid_key"
  /** the body is not bytes, or (speckle) not `{"payload": "<string>"}` */
  | "invalid_body"
  /** standard: no signature of the kind the key checks (a whpk_ key and only `v1,` entries, or the reverse) */
  | "no_signature_for_key"
  /** a signature is present and does not match: tampered body, wrong key, or a key rotated out */
  | "signature_mismatch"
  | "unknown_profile";

export type VerifyResult =
  | {
      ok: true;
      profile: VerifyProfile;
      /** which signature matched: Standard Webhooks v1 (HMAC) / v1a (Ed25519), or a seed's hex HMAC */
      scheme: "v1" | "v1a" | "hmac-sha256";
      /** index of the key that matched, when several were given */
      keyIndex: number;
      /** standard: webhook-id (your idempotency key) and webhook-timestamp (seconds) */
      id?: string;
      timestamp?: number;
    }
  | { ok: false; reason: VerifyFailureReason; message: string };

/**
 * Verifies one request against the raw body exactly as received (do not re-serialise parsed JSON).
 * `key`: the hook's secret (`whsec_…` or a seed profile's secret) or its v1a public key
 * (`whpk_…`), or a list of them to accept during a rotation. Never throws for bad input.
 */
export declare function verify(
  profile: VerifyProfile,
  key: string | readonly string[],
  headers: HeadersLike,
  body: string | Uint8Array | ArrayBuffer,
  options?: VerifyOptions,
): Promise<VerifyResult>;

/** Reads a Fetch `Request`'s body and verifies it; the body text comes back with the result. */
export declare function verifyRequest(
  profile: VerifyProfile,
  key: string | readonly string[],
  request: Request,
  options?: VerifyOptions,
): Promise<VerifyResult & { body: string }>;

/** Compares two strings in time that does not depend on where they differ. */
export declare function constantTimeEqual(a: string, b: string): boolean;
