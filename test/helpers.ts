/** Test helpers: drive the real Worker, create tenants/keys, talk to the receiver on 127.0.0.1. */
import { env, exports } from "cloudflare:workers";
import { expect, inject } from "vitest";
import type { Env } from "../src/env";

export const testEnv = env as unknown as Env;
export const OPERATOR = "test-operator-token";
const BASE = "http://hookline.test";

export interface CallInit {
  method?: string;
  key?: string | null;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** A request through the Worker's own fetch handler. */
export async function call(path: string, init: CallInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const req = new Request(BASE + path, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, body, redirect: "manual" });
  return (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default.fetch(req);
}

export async function json<T = any>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

export interface Tenant {
  id: string;
  key: string; // all scopes
  manageKey: string;
  publishKey: string;
  readKey: string;
}

let tenantSeq = 0;
export async function newTenant(name = `t${++tenantSeq}`): Promise<Tenant> {
  const t = await json(call("/v1/tenants", { key: OPERATOR, body: { name } }));
  const mk = async (scopes: string[]) =>
    (await json(call(`/v1/tenants/${t.id}/api-keys`, { key: OPERATOR, body: { scopes } }))).key as string;
  return {
    id: t.id,
    key: await mk(["webhook:manage", "events:publish", "deliveries:read"]),
    manageKey: await mk(["webhook:manage"]),
    publishKey: await mk(["events:publish"]),
    readKey: await mk(["deliveries:read"]),
  };
}

export async function createHook(t: Tenant, body: Record<string, unknown>) {
  const res = await call("/v1/hooks", { key: t.key, body });
  const out = await res.json<any>();
  if (res.status !== 201) throw new Error(`hook create failed: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

export async function publish(t: Tenant, event: Record<string, unknown>) {
  const res = await call("/v1/events", { key: t.key, body: event });
  const out = await res.json<any>();
  if (res.status !== 202) throw new Error(`publish failed: ${res.status} ${JSON.stringify(out)}`);
  return out as { id: string };
}

// ---- receiver ---------------------------------------------------------------------------------

export const receiverBase = () => `http://127.0.0.1:${inject("receiverPort")}`;
let boxSeq = 0;
export const newBox = (prefix = "box") => `${prefix}${Date.now().toString(36)}${++boxSeq}`;
export const boxUrl = (box: string, path = "hook") => `${receiverBase()}/${box}/${path}`;

export interface Step {
  status?: number;
  delay_ms?: number;
  headers?: Record<string, string>;
  body?: string;
  reset?: boolean;
}
export async function script(box: string, steps: Step[], def?: Step, verify?: { profile: string; secrets: string[] }) {
  await fetch(`${receiverBase()}/_script/${box}`, { method: "POST", body: JSON.stringify({ steps, default: def, verify }) });
}

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  /** what the receiver answered: a status code, or "reset" */
  status: number | "reset";
  /** with a verifier configured: the seed's own check per secret, on a tampered body, with a wrong secret */
  verified?: { bySecret: boolean[]; tampered: boolean[]; wrongSecret: boolean };
}
export async function received(box: string): Promise<Received[]> {
  return (await fetch(`${receiverBase()}/_log/${box}`)).json();
}

/** Polls the receiver until `pred` holds over its log (bounded). */
export async function waitFor(box: string, pred: (log: Received[]) => boolean, timeoutMs = 20_000): Promise<Received[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const log = await received(box);
    if (pred(log)) return log;
    if (Date.now() > end) throw new Error(`timed out waiting on ${box}: ${log.length} requests seen`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
export const atLeast = (n: number) => (log: Received[]) => log.filter((r) => r.method === "POST").length >= n;

// ---- endpoint objects -------------------------------------------------------------------------

import { endpointStub, type EndpointApi } from "../src/db/hooks";
import type { EndpointDO } from "../src/endpoint/endpoint-do";

/** RPC to a hook's EndpointDO. */
export const endpoint = (hookId: string): EndpointApi => endpointStub(testEnv.ENDPOINTS, hookId);
/** The raw stub, for runInDurableObject / runDurableObjectAlarm. */
export const endpointRaw = (hookId: string) =>
  testEnv.ENDPOINTS.get(testEnv.ENDPOINTS.idFromName(hookId)) as unknown as DurableObjectStub<EndpointDO>;
/**
 * Waits until each hook's EndpointDO holds no pending or delivering delivery: every outcome the
 * receiver answered has been reported. A fixed sleep after the receiver saw a request races the
 * report on a loaded machine; this does not.
 */
export async function settled(...hookIds: string[]) {
  for (const id of hookIds) await expect.poll(async () => (await endpoint(id).view()).live).toBe(0);
}

/** `data` of each POST the receiver saw (standard profile envelope). */
export const dataOf = (log: Received[]) => log.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body).data);

/** A deterministic pseudo-random sequence (mulberry32), so failures are reproducible. */
export { seeded } from "./seeded";

export async function publishBatch(t: Tenant, events: Record<string, unknown>[]) {
  const res = await call("/v1/events/batch", { key: t.key, body: { events } });
  const out = await res.json<any>();
  if (res.status !== 202) throw new Error(`batch failed: ${res.status} ${JSON.stringify(out)}`);
  return out.data as { id: string }[];
}
