/**
 * Migration of rows sealed before issue 15 (finding 8, 11): hook secrets and Ed25519 signing keys
 * in the legacy `v1` envelope (raw ENCRYPTION_KEY, no associated data) and custom header values
 * stored in plaintext. Runs on the daily cron, a bounded page at a time: each row is re-sealed under
 * the purpose keys and bound to its hook, written only if it has not changed meanwhile, and pushed
 * to the hook's object (at the same config version, so nothing else about the hook changes).
 * Until a row's turn comes, delivery opens its legacy forms as before.
 */
import { and, eq, sql, type SQLWrapper } from "drizzle-orm";
import { decryptSecret, encryptSecret, isLegacySealed } from "../core/crypto";
import { isSealedHeaderValue, sealHeaders } from "../core/sealed-headers";
import { db, endpointStub, toHookConfig } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import type { Env } from "../env";

export const RESEAL_PAGE = 200;

const LEGACY = sql`(${hooks.secretEnc} LIKE 'v1.%' OR ${hooks.prevSecretEnc} LIKE 'v1.%' OR ${hooks.signingKeyEnc} LIKE 'v1.%'
  OR ${hooks.prevSigningKeyEnc} LIKE 'v1.%'
  OR EXISTS (SELECT 1 FROM json_each(${hooks.headers}) WHERE json_each.value NOT LIKE 'sealed:%'))`;

/** Re-seals up to RESEAL_PAGE legacy rows; returns how many were re-sealed. */
export async function resealLegacyRows(env: Env, _now: number): Promise<number> {
  const rows = await db(env.DB).select().from(hooks).where(LEGACY).limit(RESEAL_PAGE);
  let done = 0;
  for (const row of rows) {
    const patch = await resealed(env, row);
    const res = await db(env.DB).update(hooks).set(patch)
      .where(and(eq(hooks.id, row.id), eq(hooks.updatedAt, row.updatedAt), sameSealed(row)))
      .returning({ id: hooks.id });
    if (!res.length) continue; // changed meanwhile: the write that changed it sealed it, or the next run will
    await endpointStub(env.ENDPOINTS, row.id).configure(toHookConfig({ ...row, ...patch }));
    done++;
  }
  return done;
}

async function resealed(env: Env, row: HookRow): Promise<Partial<HookRow>> {
  const again = async (sealed: string | null) =>
    isLegacySealed(sealed) ? encryptSecret(env.ENCRYPTION_KEY, await decryptSecret(env.ENCRYPTION_KEY, sealed!), row.id) : sealed;
  const plain = Object.fromEntries(Object.entries(row.headers).filter(([, v]) => !isSealedHeaderValue(v)));
  const sealedHeaders = await sealHeaders(env.ENCRYPTION_KEY, row.id, plain);
  return {
    secretEnc: await again(row.secretEnc),
    prevSecretEnc: await again(row.prevSecretEnc),
    signingKeyEnc: await again(row.signingKeyEnc),
    prevSigningKeyEnc: await again(row.prevSigningKeyEnc),
    headers: Object.fromEntries(Object.entries(row.headers).map(([n, v]) => [n, sealedHeaders[n] ?? v])),
  };
}

/** The row still holds what was read (a rotation or header change in between wins). */
function sameSealed(row: HookRow) {
  const same = (col: SQLWrapper, v: string | null) => (v === null ? sql`${col} IS NULL` : sql`${col} = ${v}`);
  return and(
    same(hooks.secretEnc, row.secretEnc), same(hooks.prevSecretEnc, row.prevSecretEnc),
    same(hooks.signingKeyEnc, row.signingKeyEnc), same(hooks.prevSigningKeyEnc, row.prevSigningKeyEnc),
  );
}
