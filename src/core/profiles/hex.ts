/**
 * The five seed systems all sign with HMAC-SHA256 keyed by the secret's UTF-8 bytes, hex-encoded.
 * They differ only in header name, prefix and which bytes are signed.
 */
import { bytesToHex, hmacSha256, randomHex } from "../crypto";

const enc = new TextEncoder();

export async function hexHmac(secret: string, message: string): Promise<string> {
  return bytesToHex(await hmacSha256(enc.encode(secret), message));
}

/** 64 hex chars, like iTwin's documented secret. */
export const newHexSecret = () => randomHex(32);

export function checkPlainSecret(secret: string): string | null {
  if (secret.length < 8 || secret.length > 256) return "secret must be 8 to 256 characters";
  if (!/^[\x21-\x7e]+$/.test(secret)) return "secret must be printable ASCII without spaces";
  return null;
}

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const iso = (ms: number) => new Date(ms).toISOString();
