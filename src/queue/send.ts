/**
 * One delivery attempt: re-check the URL, build the profile's envelope, sign, fetch with a timeout
 * and no redirects, and describe what happened. Never throws: every failure is an Outcome.
 */
import { decryptSecret } from "../core/crypto";
import { openHeaders } from "../core/sealed-headers";
import { isSuccessStatus, profileOf } from "../core/profiles";
import { usesV1, usesV1a } from "../core/profiles/standard";
import { LOGGED_RESPONSE_HEADERS, RESPONSE_EXCERPT_BYTES } from "../core/policy";
import { retryAfterMs } from "../core/retry-schedule";
import { checkTargetUrl } from "../core/url-policy";
import type { Env } from "../env";
import { settings } from "../env";
import { count } from "../metrics";
import type { ErrorKind, Grant, HookConfig, Outcome } from "../endpoint/types";

export const USER_AGENT = "Hookline/0.1.0";

/**
 * Decrypted secrets are cached per isolate by hook and sealed form (which changes on rotation). The
 * hook id is part of the key: a sealed secret opens only for the hook it is bound to (issue 15).
 */
const secretCache = new Map<string, Promise<string>>();
function openSecret(key: string, sealed: string, hookId: string): Promise<string> {
  const id = `${hookId}:${sealed}`;
  let p = secretCache.get(id);
  if (!p) {
    if (secretCache.size > 5000) secretCache.clear();
    p = decryptSecret(key, sealed, hookId);
    secretCache.set(id, p);
    p.catch(() => secretCache.delete(id));
  }
  return p;
}

/**
 * The keys that sign a request, current first, then the previous ones while their grace period
 * lasts. Seed profiles and standard `v1` use the HMAC secret; standard `v1a` the Ed25519 `whsk_`
 * key; `both` each of them (the standard profile turns each key into its own signature).
 */
export async function signingSecrets(env: Env, hook: HookConfig, now: number): Promise<string[]> {
  const scheme = hook.profile === "standard" ? hook.signatureScheme ?? "v1" : "v1";
  const inGrace = (hook.prevSecretUntil ?? 0) > now;
  const sealed: (string | null | undefined)[] = [];
  if (usesV1(scheme)) sealed.push(hook.secretEnc);
  if (usesV1a(scheme)) sealed.push(hook.signingKeyEnc);
  if (inGrace && usesV1(scheme)) sealed.push(hook.prevSecretEnc);
  if (inGrace && usesV1a(scheme)) sealed.push(hook.prevSigningKeyEnc);
  return Promise.all(sealed.filter((s): s is string => !!s).map((s) => openSecret(env.ENCRYPTION_KEY, s, hook.hookId)));
}

/** The exact request Hookline sends for a grant (also used by tests and the test-ping preview). */
export async function buildRequest(env: Env, grant: Grant, now: number): Promise<{ body: string; headers: Record<string, string> }> {
  const { hook, event } = grant;
  const profile = profileOf(hook.profile);
  const body = profile.envelope(event, {
    id: hook.hookId,
    url: hook.url,
    description: hook.description,
    events: hook.events,
    publicUrl: settings(env).publicUrl,
  });
  const signature = await profile.sign(await signingSecrets(env, hook, now), body, event, now);
  const headers: Record<string, string> = {
    ...(await openHeaders(env.ENCRYPTION_KEY, hook.hookId, hook.headers)),
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": event.id,
    "webhook-timestamp": String(Math.floor(now / 1000)),
    ...signature,
  };
  return { body, headers };
}

export async function attemptDelivery(env: Env, grant: Grant): Promise<Outcome> {
  count("delivery.attempts");
  const startedAt = Date.now();
  const fail = (errorKind: ErrorKind, error: string, extra: Partial<Outcome> = {}): Outcome => ({
    ok: false, statusCode: null, errorKind, error, durationMs: Date.now() - startedAt, startedAt,
    retryAfterMs: null, responseHeaders: {}, responseBody: null, ...extra,
  });
  const verdict = checkTargetUrl(grant.hook.url, settings(env).allowPrivateTargets);
  if (!verdict.ok) return fail("blocked_target", `target refused: ${verdict.reason}`);

  let request: { body: string; headers: Record<string, string> };
  try {
    request = await buildRequest(env, grant, startedAt);
  } catch (err) {
    return fail("connection", `could not sign the request: ${String(err)}`);
  }

  let res: Response;
  try {
    res = await fetch(verdict.url.toString(), {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(grant.hook.timeoutMs),
    });
  } catch (err) {
    const { kind, message } = classifyFetchError(err, grant.hook.timeoutMs);
    return fail(kind, message);
  }

  const responseHeaders: Record<string, string> = {};
  for (const name of LOGGED_RESPONSE_HEADERS) {
    const v = res.headers.get(name);
    if (v !== null) responseHeaders[name] = v.slice(0, 256);
  }
  const responseBody = await readExcerpt(res);
  const status = res.status;
  const ok = isSuccessStatus(profileOf(grant.hook.profile), status);
  return {
    ok,
    statusCode: status,
    errorKind: ok ? null : "http_status",
    error: ok ? null : status >= 300 && status < 400 ? `HTTP ${status} redirect (not followed)` : `HTTP ${status}`,
    durationMs: Date.now() - startedAt,
    startedAt,
    retryAfterMs: status === 429 || status === 503 ? retryAfterMs(res.headers.get("retry-after"), Date.now()) : null,
    responseHeaders,
    responseBody,
  };
}

/** First ≤ 1 KiB of the response body; the rest is not read. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body that breaks mid-way still leaves its status code
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, RESPONSE_EXCERPT_BYTES));
  let off = 0;
  for (const c of chunks) {
    const take = Math.min(c.byteLength, all.length - off);
    all.set(c.subarray(0, take), off);
    off += take;
    if (off >= all.length) break;
  }
  return new TextDecoder().decode(all);
}

function classifyFetchError(err: unknown, timeoutMs: number): { kind: ErrorKind; message: string } {
  const e = err as { name?: string; message?: string };
  const msg = String(e?.message ?? err);
  if (e?.name === "TimeoutError" || e?.name === "AbortError" || /timed? ?out/i.test(msg)) {
    return { kind: "timeout", message: `no response within ${timeoutMs} ms` };
  }
  if (/dns|lookup|resolve|ENOTFOUND|name not/i.test(msg)) return { kind: "dns", message: msg.slice(0, 300) };
  if (/tls|ssl|certificate|handshake/i.test(msg)) return { kind: "tls", message: msg.slice(0, 300) };
  return { kind: "connection", message: msg.slice(0, 300) || "connection failed" };
}
