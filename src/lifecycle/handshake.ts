/**
 * Callback validation (CloudEvents webhook abuse protection, as iTwin documents it):
 * OPTIONS <url> with WebHook-Request-Origin and WebHook-Request-Callback; a 2xx answer whose
 * WebHook-Allowed-Origin is our origin or `*` activates the hook. Otherwise the callback link,
 * opened with GET within 2 days, does. Unvalidated hooks are deleted by the cron after 2 days.
 */
import { eq } from "drizzle-orm";
import { randomToken, sha256Hex } from "../core/crypto";
import { VALIDATION_DEADLINE_MS } from "../core/policy";
import { checkTargetUrl } from "../core/url-policy";
import { db } from "../db/hooks";
import { validated } from "../hooks/transitions";
import { hooks, type HookRow } from "../db/schema";
import type { Env } from "../env";
import { settings } from "../env";
import { log } from "../log";
import { USER_AGENT } from "../queue/send";

export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Transient failures (network, 5xx, 429) are retried this many times, these many seconds apart. */
export const HANDSHAKE_RETRY_DELAYS_S = [30, 120, 600];

export const requestOrigin = (env: Env) => new URL(settings(env).publicUrl).host;
/** The manual validation link; iTwin v1 hooks get iTwin's own `GET /webhooks/confirm?id&key` shape. */
export const callbackUrl = (env: Env, hook: Pick<HookRow, "id" | "profile">, token: string) =>
  hook.profile === "itwin"
    ? `${settings(env).publicUrl}/compat/itwin/webhooks/confirm?id=${encodeURIComponent(hook.id)}&key=${encodeURIComponent(token)}`
    : `${settings(env).publicUrl}/v1/validate/${hook.id}/${token}`;

/** Fields that put a hook into pending_validation with a fresh single-use token. */
export async function newValidation(now: number): Promise<{ token: string; patch: Partial<HookRow> }> {
  const token = randomToken(32);
  return {
    token,
    patch: {
      status: "pending_validation",
      validationTokenHash: await sha256Hex(token),
      validationDeadline: now + VALIDATION_DEADLINE_MS,
      validationNote: "handshake pending",
    },
  };
}

export async function enqueueHandshake(env: Env, hookId: string, token: string) {
  await env.DELIVERIES.send({ kind: "validate", hook_id: hookId, token });
}

export type HandshakeResult = "activated" | "refused" | "transient" | "skipped";

/** Runs one handshake for a pending hook and records what it saw. */
export async function runHandshake(env: Env, hookId: string, token: string): Promise<HandshakeResult> {
  const row = (await db(env.DB).select().from(hooks).where(eq(hooks.id, hookId)).limit(1))[0];
  if (!row || row.status !== "pending_validation" || row.validationTokenHash !== (await sha256Hex(token))) return "skipped";
  const verdict = checkTargetUrl(row.url, settings(env).allowPrivateTargets);
  if (!verdict.ok) return note(env, row, `target refused: ${verdict.reason}`, "refused");

  const origin = requestOrigin(env);
  let res: Response;
  try {
    res = await fetch(verdict.url.toString(), {
      method: "OPTIONS",
      headers: {
        "WebHook-Request-Origin": origin,
        "WebHook-Request-Callback": callbackUrl(env, row, token),
        "user-agent": USER_AGENT,
      },
      redirect: "manual",
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    await res.body?.cancel();
  } catch (err) {
    return note(env, row, `OPTIONS failed: ${String((err as Error)?.message ?? err).slice(0, 200)}`, "transient");
  }
  const allowed = res.headers.get("webhook-allowed-origin");
  const allow = res.headers.get("allow");
  const allowsPost = !!allow && allow.split(",").some((m) => m.trim().toUpperCase() === "POST");
  const seen = `OPTIONS ${res.status}, WebHook-Allowed-Origin: ${cut(allowed) ?? "(none)"}, Allow: ${cut(allow) ?? "(none)"}${allow && !allowsPost ? " (POST not listed)" : ""}`;
  if (res.status >= 500 || res.status === 429) return note(env, row, seen, "transient");
  if (res.status >= 200 && res.status < 300 && allowed !== null && (allowed.trim() === "*" || allowed.trim().toLowerCase() === origin.toLowerCase())) {
    await activate(env, row, `handshake ok: ${seen}`);
    return "activated";
  }
  return note(env, row, `handshake refused: ${seen}; open the callback link within 2 days to validate manually`, "refused");
}

/**
 * The target chooses these header values (up to the 128 KB a response's headers may take): the
 * note keeps their first NOTE_HEADER_CHARS characters, enough to see what was answered (issue 15, finding 12).
 */
export const NOTE_HEADER_CHARS = 200;
const cut = (v: string | null) => (v === null || v.length <= NOTE_HEADER_CHARS ? v : `${v.slice(0, NOTE_HEADER_CHARS)}…`);

async function note(env: Env, row: HookRow, text: string, result: HandshakeResult): Promise<HandshakeResult> {
  await db(env.DB).update(hooks).set({ validationNote: text }).where(eq(hooks.id, row.id));
  log("info", "handshake", { hook_id: row.id, result, note: text });
  return result;
}

/** pending_validation → active; the token is spent (a transition: src/hooks/transitions.ts). */
export async function activate(env: Env, row: HookRow, validationNote: string) {
  await validated(env, row, validationNote);
}
