/**
 * The hook service: create/update rules and the lifecycle operations shared by /v1/hooks, the
 * compatibility façades, the dashboard and the portal. It validates what the caller asked for and
 * hands every change of state to the transitions (./transitions.ts).
 */
import { encryptSecret } from "../core/crypto";
import { sealHeaders } from "../core/sealed-headers";
import { newId } from "../core/ids";
import { profileOf, type ProfileName } from "../core/profiles";
import { newSigningKeyPair, usesV1, usesV1a, type SignatureScheme } from "../core/profiles/standard";
import {
  DEFAULT_MAX_IN_FLIGHT, DEFAULT_ORDER_WINDOW_MS, DEFAULT_TIMEOUT_MS, SECRET_GRACE_MS,
} from "../core/policy";
import type { HookCreate, HookUpdate } from "../core/schemas";
import { DAY_MS } from "../core/time";
import { checkTargetUrl } from "../core/url-policy";
import { getHook, toHookConfig } from "../db/hooks";
import { endpointStub } from "../endpoint/client";
import type { HookRow } from "../db/schema";
import type { Env } from "../env";
import { settings } from "../env";
import { conflict, invalid, notFound } from "../errors";
import * as transitions from "./transitions";
import { enqueueHandshake, newValidation } from "../lifecycle/handshake";
import { checkHookQuota, checkHookSize } from "../api/tenant-quotas";

/** The tenant's hook, or a 404 (also for another tenant's hook). */
export async function hookOr404(env: Env, tenantId: string, id: string): Promise<HookRow> {
  const row = await getHook(env.DB, tenantId, id);
  if (!row) throw notFound("hook");
  return row;
}

export function checkUrlOrThrow(env: Env, url: string, field = "url"): string {
  const v = checkTargetUrl(url, settings(env).allowPrivateTargets);
  if (!v.ok) throw invalid(`${field}: ${v.reason}`, [{ loc: ["body", field], msg: v.reason }]);
  return v.url.toString();
}

function expiryMs(env: Env, profile: ProfileName, expiresAt: string | null | undefined, now: number): number | null {
  if (expiresAt) {
    const t = Date.parse(expiresAt);
    if (t <= now) throw invalid("expires_at must be in the future", [{ loc: ["body", "expires_at"], msg: "must be in the future" }]);
    return t;
  }
  if (expiresAt === null) return null;
  const days = profileOf(profile).defaultTtlDays ?? settings(env).defaultHookTtlDays;
  return days ? now + days * DAY_MS : null;
}

/** The secret to store for a new hook: generated, user-supplied, or none where the profile allows. */
function chooseSecret(profileName: ProfileName, supplied: string | null | undefined): string | null {
  const profile = profileOf(profileName);
  if (supplied === undefined) return profile.newSecret();
  if (supplied === null) {
    if (profile.secretOptional) return null;
    throw invalid(`the ${profileName} profile requires a secret`, [{ loc: ["body", "secret"], msg: "required for this profile" }]);
  }
  const why = profile.checkSecret(supplied);
  if (why) throw invalid(`secret: ${why}`, [{ loc: ["body", "secret"], msg: why }]);
  return supplied;
}

/** The scheme a new hook signs with; only the standard profile has a choice. */
function schemeFor(profile: ProfileName, asked: SignatureScheme | undefined): SignatureScheme {
  if (asked !== undefined && asked !== "v1" && profile !== "standard") {
    throw invalid(`signature_scheme ${asked} needs the standard profile`, [{ loc: ["body", "signature_scheme"], msg: "only the standard profile signs v1a" }]);
  }
  return asked ?? "v1";
}

/** Seals a new Ed25519 key pair for a hook (v1a): the private key like secrets (bound to the hook), the public key in clear. */
async function sealedKeyPair(env: Env, hookId: string): Promise<{ signingKeyEnc: string; publicKey: string }> {
  const pair = await newSigningKeyPair();
  return { signingKeyEnc: await encryptSecret(env.ENCRYPTION_KEY, pair.secretKey, hookId), publicKey: pair.publicKey };
}

export interface CreateOptions {
  /** façade id (see hooks.alias) */
  alias?: string | null;
  /** one-off target (Idfy): not routed, not listed, removed after its last delivery */
  ephemeral?: boolean;
}

export async function createHook(env: Env, tenantId: string, body: HookCreate, opts: CreateOptions = {}): Promise<{ row: HookRow; secret: string | null }> {
  const now = Date.now();
  const profile = body.profile ?? "standard";
  const url = checkUrlOrThrow(env, body.url);
  const scheme = schemeFor(profile, body.signature_scheme);
  // A v1a-only hook has no HMAC secret at all: its receivers hold nothing that could sign.
  if (!usesV1(scheme) && body.secret != null) {
    throw invalid("a v1a hook signs with its Ed25519 key only: it takes no secret", [{ loc: ["body", "secret"], msg: "not used by signature_scheme v1a" }]);
  }
  const secret = usesV1(scheme) ? chooseSecret(profile, body.secret) : null;
  const validation = body.validation ?? profileOf(profile).defaultValidation ?? "none";
  const id = newId("hook", now);
  const keyPair = usesV1a(scheme) ? await sealedKeyPair(env, id) : null;
  const row: HookRow = {
    id,
    tenantId,
    url,
    description: body.description ?? null,
    events: body.events ?? ["*"],
    channels: body.channels ?? [],
    filter: body.filter ?? null,
    profile,
    enabled: body.enabled ?? true,
    whileInactive: body.while_inactive ?? "hold",
    status: validation === "handshake" ? "pending_validation" : "active",
    disabledReason: null,
    expiresAt: expiryMs(env, profile, body.expires_at, now),
    ordering: body.ordering ?? "strict",
    maxInFlight: body.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
    orderWindowMs: body.order_window_ms ?? DEFAULT_ORDER_WINDOW_MS,
    retrySchedule: body.retry_schedule ?? null,
    timeoutMs: body.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    rateLimitPerS: body.rate_limit_per_s ?? null,
    headers: await sealHeaders(env.ENCRYPTION_KEY, id, body.headers ?? {}),
    metadata: body.metadata ?? {},
    validation,
    validationTokenHash: null,
    validationDeadline: null,
    validationNote: null,
    secretEnc: secret === null ? null : await encryptSecret(env.ENCRYPTION_KEY, secret, id),
    prevSecretEnc: null,
    prevSecretUntil: null,
    signatureScheme: scheme,
    signingKeyEnc: keyPair?.signingKeyEnc ?? null,
    publicKey: keyPair?.publicKey ?? null,
    prevSigningKeyEnc: null,
    prevPublicKey: null,
    lastStatus: "none",
    lastError: null,
    lastDeliveryAt: null,
    failingSince: null,
    alias: opts.alias ?? null,
    ephemeral: opts.ephemeral ?? false,
    createdAt: now,
    updatedAt: now,
  };
  checkHookSize(env, row);
  await checkHookQuota(env, tenantId, row.ephemeral);
  let token: string | null = null;
  if (validation === "handshake") {
    const v = await newValidation(now);
    Object.assign(row, v.patch);
    token = v.token;
  }
  await transitions.insertHook(env, row);
  if (token) await enqueueHandshake(env, row.id, token);
  return { row, secret };
}

export async function updateHook(env: Env, row: HookRow, body: HookUpdate): Promise<HookRow> {
  return (await updateHookIssuing(env, row, body)).row;
}

/**
 * `updateHook`, also saying which secret the update issued: moving a hook without an HMAC secret
 * to `v1`/`both` creates one, returned once like on create. Moving to `v1a`/`both` creates the key
 * pair if the hook has none (its public key is in the hook view).
 */
export async function updateHookIssuing(env: Env, row: HookRow, body: HookUpdate): Promise<{ row: HookRow; secret: string | null }> {
  const now = Date.now();
  const patch: Partial<HookRow> = { updatedAt: now };
  let secret: string | null = null;
  if (body.signature_scheme !== undefined) {
    const scheme = schemeFor(row.profile as ProfileName, body.signature_scheme);
    patch.signatureScheme = scheme;
    if (usesV1a(scheme) && !row.signingKeyEnc) Object.assign(patch, await sealedKeyPair(env, row.id));
    if (usesV1(scheme) && !row.secretEnc) {
      secret = profileOf(row.profile).newSecret();
      patch.secretEnc = await encryptSecret(env.ENCRYPTION_KEY, secret, row.id);
    }
  }
  if (body.url !== undefined) patch.url = checkUrlOrThrow(env, body.url);
  if (body.description !== undefined) patch.description = body.description;
  if (body.events !== undefined) patch.events = body.events;
  if (body.channels !== undefined) patch.channels = body.channels;
  if (body.filter !== undefined) patch.filter = body.filter;
  if (body.enabled !== undefined) patch.enabled = body.enabled;
  if (body.while_inactive !== undefined) patch.whileInactive = body.while_inactive;
  if (body.ordering !== undefined) patch.ordering = body.ordering;
  if (body.max_in_flight !== undefined) patch.maxInFlight = body.max_in_flight;
  if (body.order_window_ms !== undefined) patch.orderWindowMs = body.order_window_ms;
  if (body.retry_schedule !== undefined) patch.retrySchedule = body.retry_schedule;
  if (body.timeout_ms !== undefined) patch.timeoutMs = body.timeout_ms;
  if (body.rate_limit_per_s !== undefined) patch.rateLimitPerS = body.rate_limit_per_s;
  if (body.headers !== undefined) patch.headers = await sealHeaders(env.ENCRYPTION_KEY, row.id, body.headers, row.headers);
  if (body.metadata !== undefined) patch.metadata = body.metadata;
  if (body.expires_at !== undefined) patch.expiresAt = expiryMs(env, row.profile as ProfileName, body.expires_at, now);
  checkHookSize(env, { ...row, ...patch });
  // A handshake hook that moves to a new URL must prove the new receiver wants our requests.
  if (patch.url && patch.url !== row.url && row.validation === "handshake") return { row: await revalidate(env, row, patch), secret };
  return { row: await saveAndConfigure(env, row, patch), secret };
}

/** Puts the hook back into pending_validation with a new token and runs the handshake again. */
export async function revalidate(env: Env, row: HookRow, extra: Partial<HookRow> = {}): Promise<HookRow> {
  const { token, patch } = await newValidation(Date.now());
  const next = await saveAndConfigure(env, row, { ...extra, ...patch, updatedAt: Date.now() });
  await enqueueHandshake(env, row.id, token);
  return next;
}

/** Writes a patch to D1 under a new version and hands the config to the hook's EndpointDO (src/hooks/transitions.ts). */
export const saveAndConfigure = (env: Env, row: HookRow, patch: Partial<HookRow>): Promise<HookRow> => transitions.commit(env, row, patch);

/**
 * New signing material for what the hook's scheme uses: the HMAC secret (v1, and every seed
 * profile), the Ed25519 key pair (v1a), or both. What was current keeps signing for
 * SECRET_GRACE_MS alongside it; anything older stops at once.
 */
export async function rotateSecret(env: Env, row: HookRow, supplied?: string): Promise<{ row: HookRow; secret: string | null; publicKey: string | null }> {
  const scheme = (row.signatureScheme ?? "v1") as SignatureScheme;
  if (!usesV1(scheme) && supplied !== undefined) {
    throw invalid("a v1a hook signs with its Ed25519 key only: it takes no secret", [{ loc: ["body", "secret"], msg: "not used by signature_scheme v1a" }]);
  }
  const now = Date.now();
  const patch: Partial<HookRow> = { prevSecretEnc: null, prevSigningKeyEnc: null, prevPublicKey: null, updatedAt: now };
  let secret: string | null = null;
  if (usesV1(scheme)) {
    secret = chooseSecret(row.profile as ProfileName, supplied);
    if (secret === null) throw invalid("a new secret is required");
    patch.secretEnc = await encryptSecret(env.ENCRYPTION_KEY, secret, row.id);
    patch.prevSecretEnc = row.secretEnc;
  }
  if (usesV1a(scheme)) {
    Object.assign(patch, await sealedKeyPair(env, row.id));
    patch.prevSigningKeyEnc = row.signingKeyEnc;
    patch.prevPublicKey = row.publicKey;
  }
  patch.prevSecretUntil = patch.prevSecretEnc || patch.prevSigningKeyEnc ? now + SECRET_GRACE_MS : null;
  const next = await saveAndConfigure(env, row, patch);
  return { row: next, secret, publicKey: next.publicKey };
}

/** Tombstones the hook's EndpointDO (live deliveries end `cancelled`), then deletes the row. */
export const deleteHook = (env: Env, row: HookRow): Promise<void> => transitions.remove(env, row);

/** Enable a hook; a disabled or expired one is revived (an expired one needs a future expiry). */
export async function activateHook(env: Env, row: HookRow, expiresAt?: string | null): Promise<HookRow> {
  const now = Date.now();
  if (row.status === "pending_validation") throw conflict("The hook has not been validated yet.");
  const newExpiry = expiresAt === undefined ? row.expiresAt : expiresAt === null ? null : Date.parse(expiresAt);
  if (newExpiry !== null && newExpiry <= now) {
    throw conflict("The hook has expired: activate it with a future expires_at (or null for never).");
  }
  return transitions.activate(env, row, newExpiry);
}

/**
 * Stop delivering. Events that match go on being admitted: held pending until the hook is
 * activated (while_inactive "hold"), or recorded as `skipped` ("skip").
 */
export const deactivateHook = (env: Env, row: HookRow) => transitions.deactivate(env, row);

/** A signed `hookline.ping` to this hook only, through the real pipeline. */
export async function sendTestPing(env: Env, row: HookRow): Promise<{ eventId: string; deliveryId: string }> {
  const now = Date.now();
  const eventId = newId("evt", now);
  const deliveryId = newId("dlv", now);
  await endpointStub(env.ENDPOINTS, row.id).admit(toHookConfig(row), [{
    id: deliveryId, dedupeKey: eventId, eventId, publishedAt: now, index: 0,
    event: { id: eventId, type: "hookline.ping", timestamp: now, channel: null, data: { message: "ping from Hookline", hook_id: row.id } },
  }], 0);
  return { eventId, deliveryId };
}

/** A new delivery of the same event; null when the delivery is unknown. */
export async function resendDelivery(env: Env, row: HookRow, deliveryId: string): Promise<string | null> {
  const [fresh] = await endpointStub(env.ENDPOINTS, row.id).requeue(toHookConfig(row), [deliveryId]);
  return fresh ?? null;
}
