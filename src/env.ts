import type { EndpointDO } from "./endpoint/endpoint-do";
import type { DeliveryJob } from "./core/schemas";
import { DEFAULT_MAX_HOOK_BYTES, DEFAULT_MAX_HOOKS_PER_TENANT, DEFAULT_MAX_ONE_OFF_TARGETS_PER_TENANT } from "./core/policy";

/** Bindings declared in wrangler.toml (docs/architecture.md#pieces). */
export interface Env {
  DB: D1Database;
  EVENTS: Queue<unknown>;
  DELIVERIES: Queue<DeliveryJob>;
  /** producer for the dead-letter queue: invalid messages go here with a reason */
  DEAD: Queue<unknown>;
  ENDPOINTS: DurableObjectNamespace<EndpointDO>;
  ADMIN_TOKEN: string;
  ENCRYPTION_KEY: string;
  PUBLIC_URL: string;
  ALLOW_PRIVATE_TARGETS?: string;
  DEFAULT_HOOK_TTL_DAYS?: string;
  LOG_RETENTION_DAYS?: string;
  /** Per-tenant quotas (see tenantQuotas); unset = the defaults in core/policy.ts. */
  MAX_HOOKS_PER_TENANT?: string;
  MAX_ONE_OFF_TARGETS_PER_TENANT?: string;
  MAX_HOOK_BYTES?: string;
}

/** Vars parsed once into typed settings; unset or malformed values fall back to defaults. */
export interface Settings {
  publicUrl: string;
  allowPrivateTargets: boolean;
  defaultHookTtlDays: number | null;
  logRetentionDays: number;
}

export function settings(env: Env): Settings {
  const ttl = Number.parseInt(env.DEFAULT_HOOK_TTL_DAYS ?? "", 10);
  const retention = Number.parseInt(env.LOG_RETENTION_DAYS ?? "", 10);
  return {
    publicUrl: (env.PUBLIC_URL || "http://localhost:8787").replace(/\/+$/, ""),
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS === "true" || env.ALLOW_PRIVATE_TARGETS === "1",
    defaultHookTtlDays: Number.isFinite(ttl) && ttl > 0 ? ttl : null,
    logRetentionDays: Number.isFinite(retention) && retention > 0 ? retention : 30,
  };
}

/** Per-tenant limits (issue 15): each var, when a positive integer, replaces its default. */
export interface TenantQuotas {
  hooks: number;
  oneOffTargets: number;
  hookBytes: number;
}

export function tenantQuotas(env: Env): TenantQuotas {
  const int = (v: string | undefined, fallback: number) => {
    const n = Number.parseInt(v ?? "", 10);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    hooks: int(env.MAX_HOOKS_PER_TENANT, DEFAULT_MAX_HOOKS_PER_TENANT),
    oneOffTargets: int(env.MAX_ONE_OFF_TARGETS_PER_TENANT, DEFAULT_MAX_ONE_OFF_TARGETS_PER_TENANT),
    hookBytes: int(env.MAX_HOOK_BYTES, DEFAULT_MAX_HOOK_BYTES),
  };
}
