/**
 * The attempt inspector: the request an attempt sent, rebuilt with the very code that sent it
 * (buildRequest, at the attempt's start time), with signatures and the hook's custom header values
 * masked — they are secrets, and custom headers are write-only (issue 15).
 */
import type { OutboundEvent } from "../../core/profiles";
import { MASKED_HEADER_VALUE } from "../../core/sealed-headers";
import { toHookConfig } from "../../db/hooks";
import type { HookRow } from "../../db/schema";
import type { AttemptRecord } from "../../endpoint/store";
import type { Env } from "../../env";
import { buildRequest } from "../../queue/send";

const SIGNATURE_HEADERS = new Set(["webhook-signature", "signature", "x-bimdata-signature", "x-webhook-signature", "x-idfy-signature", "x-propstack-signature"]);

/** Replaces every signature-looking run (base64 or hex, 12+ characters) and keeps the scheme markers (`v1,`, `sha256=`). */
export const maskSignature = (v: string) => v.replace(/[A-Za-z0-9+/_-]{12,}={0,2}/g, MASKED_HEADER_VALUE);

export interface SentRequest {
  method: "POST";
  url: string;
  headers: [string, string][];
  body: string;
}

export async function sentRequest(env: Env, row: HookRow, deliveryId: string, event: OutboundEvent, attempt: AttemptRecord): Promise<SentRequest | null> {
  try {
    const { headers, body } = await buildRequest(env, { leaseId: "inspect", deliveryId, attempt: attempt.attempt, hook: toHookConfig(row), event }, Date.parse(attempt.started_at));
    const custom = new Set(Object.keys(row.headers).map((h) => h.toLowerCase()));
    const shown = Object.entries(headers).map(([k, v]): [string, string] => {
      const name = k.toLowerCase();
      if (SIGNATURE_HEADERS.has(name)) return [k, maskSignature(v)];
      if (custom.has(name)) return [k, MASKED_HEADER_VALUE];
      return [k, v];
    });
    return { method: "POST", url: row.url, headers: shown, body };
  } catch {
    return null;
  }
}
