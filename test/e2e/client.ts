/** A small HTTP client for the e2e suite: Hookline under wrangler dev, and the receiver. */
import { inject } from "vitest";

export const base = () => inject("hooklineUrl");
export const receiver = () => `http://127.0.0.1:${inject("e2eReceiverPort")}`;

export async function api(path: string, init: { method?: string; key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  let body = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  return fetch(base() + path, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, body, redirect: "manual" });
}

export async function ok<T = any>(res: Promise<Response> | Response, status?: number): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (status ? r.status !== status : r.status >= 400) throw new Error(`HTTP ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface E2ETenant {
  id: string;
  key: string;
  keyId: string;
}

export async function tenant(name = "e2e"): Promise<E2ETenant> {
  const admin = inject("adminToken");
  const t = await ok(api("/v1/tenants", { key: admin, body: { name } }));
  const k = await ok(api(`/v1/tenants/${t.id}/api-keys`, { key: admin, body: { scopes: ["webhook:manage", "events:publish", "deliveries:read"] } }));
  return { id: t.id, key: k.key, keyId: k.id };
}

let seq = 0;
export const box = (prefix: string) => `${prefix}${process.pid}x${Date.now().toString(36)}${++seq}`;
export const boxUrl = (b: string, path = "hook") => `${receiver()}/${b}/${path}`;

export async function script(b: string, steps: unknown[], def?: unknown, verify?: unknown) {
  await fetch(`${receiver()}/_script/${b}`, { method: "POST", body: JSON.stringify({ steps, default: def, verify }) });
}

export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  status: number | "reset";
}
export const seen = async (b: string): Promise<Seen[]> => (await fetch(`${receiver()}/_log/${b}`)).json() as Promise<Seen[]>;

export async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 30_000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
