import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createHook, newTenant, type Tenant } from "../helpers";
import { testEnv } from "../helpers";

const OK = { url: "http://127.0.0.1:9/hook", events: ["a.*"] };
let t: Tenant;
let hookId: string;

interface Case {
  name: string;
  method: string;
  path: () => string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
}

const big = "x".repeat(400 * 1024);
const CASES: Case[] = [
  { name: "malformed JSON", method: "POST", path: () => "/v1/hooks", raw: '{"url": "https://e.com",', headers: { "content-type": "application/json" }, status: 400 },
  { name: "JSON that is not an object", method: "POST", path: () => "/v1/hooks", body: [1, 2], status: 422 },
  { name: "text/plain body", method: "POST", path: () => "/v1/hooks", raw: JSON.stringify(OK), headers: { "content-type": "text/plain" }, status: 415 },
  { name: "form body", method: "POST", path: () => "/v1/hooks", raw: "url=https://e.com", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415 },
  { name: "no body", method: "POST", path: () => "/v1/hooks", headers: { "content-type": "application/json" }, status: 400 },
  { name: "missing url", method: "POST", path: () => "/v1/hooks", body: { events: ["a"] }, status: 422 },
  { name: "url of the wrong type", method: "POST", path: () => "/v1/hooks", body: { url: 42 }, status: 422 },
  { name: "unknown field", method: "POST", path: () => "/v1/hooks", body: { ...OK, colour: "red" }, status: 422 },
  { name: "ftp url", method: "POST", path: () => "/v1/hooks", body: { ...OK, url: "ftp://e.com/x" }, status: 422 },
  { name: "credentials in url", method: "POST", path: () => "/v1/hooks", body: { ...OK, url: "https://u:p@e.com/x" }, status: 422 },
  { name: "huge url", method: "POST", path: () => "/v1/hooks", body: { ...OK, url: "https://e.com/" + "a".repeat(5000) }, status: 422 },
  { name: "unknown profile", method: "POST", path: () => "/v1/hooks", body: { ...OK, profile: "github" }, status: 422 },
  { name: "bad event pattern", method: "POST", path: () => "/v1/hooks", body: { ...OK, events: ["a.*.b"] }, status: 422 },
  { name: "empty events", method: "POST", path: () => "/v1/hooks", body: { ...OK, events: [] }, status: 422 },
  { name: "retry schedule too long", method: "POST", path: () => "/v1/hooks", body: { ...OK, retry_schedule: Array(21).fill(1) }, status: 422 },
  { name: "retry delay over 24 h", method: "POST", path: () => "/v1/hooks", body: { ...OK, retry_schedule: [0, 86401] }, status: 422 },
  { name: "negative retry delay", method: "POST", path: () => "/v1/hooks", body: { ...OK, retry_schedule: [-1] }, status: 422 },
  { name: "timeout over 30 s", method: "POST", path: () => "/v1/hooks", body: { ...OK, timeout_ms: 60000 }, status: 422 },
  { name: "max_in_flight 0", method: "POST", path: () => "/v1/hooks", body: { ...OK, max_in_flight: 0 }, status: 422 },
  { name: "header value with CRLF", method: "POST", path: () => "/v1/hooks", body: { ...OK, headers: { "X-A": "v\r\nX-Evil: 1" } }, status: 422 },
  { name: "header name with a space", method: "POST", path: () => "/v1/hooks", body: { ...OK, headers: { "X A": "v" } }, status: 422 },
  { name: "overriding a signature header", method: "POST", path: () => "/v1/hooks", body: { ...OK, headers: { "webhook-signature": "v1,x" } }, status: 422 },
  { name: "filter with unknown operator", method: "POST", path: () => "/v1/hooks", body: { ...OK, filter: { data: { a: { $regex: "x" } } } }, status: 422 },
  { name: "filter with a bad path", method: "POST", path: () => "/v1/hooks", body: { ...OK, filter: { data: { "a..b": { $eq: 1 } } } }, status: 422 },
  { name: "filter with an empty condition", method: "POST", path: () => "/v1/hooks", body: { ...OK, filter: { data: { a: {} } } }, status: 422 },
  { name: "expires_at in the past", method: "POST", path: () => "/v1/hooks", body: { ...OK, expires_at: "2001-01-01T00:00:00Z" }, status: 422 },
  { name: "expires_at not a date", method: "POST", path: () => "/v1/hooks", body: { ...OK, expires_at: "tomorrow" }, status: 422 },
  { name: "weak standard secret", method: "POST", path: () => "/v1/hooks", body: { ...OK, secret: "short" }, status: 422 },
  { name: "body over the request limit", method: "POST", path: () => "/v1/hooks", body: { ...OK, description: big }, status: 413 },
  { name: "bad cursor", method: "GET", path: () => "/v1/hooks?cursor=../../etc", status: 422 },
  { name: "limit out of range", method: "GET", path: () => "/v1/hooks?limit=100000", status: 422 },
  { name: "unknown query parameter", method: "GET", path: () => "/v1/hooks?sort=desc", status: 422 },
  { name: "path traversal in an id", method: "GET", path: () => "/v1/hooks/..%2F..%2Fetc%2Fpasswd", status: 422 },
  { name: "a key id where a hook id belongs", method: "GET", path: () => "/v1/hooks/key_01JD0000000000000000000000", status: 422 },
  { name: "well-formed unknown id", method: "GET", path: () => "/v1/hooks/hook_01JD0000000000000000000000", status: 404 },
  { name: "PATCH with unknown field", method: "PATCH", path: () => `/v1/hooks/${hookId}`, body: { profile: "idfy" }, status: 422 },
  { name: "PATCH with private url", method: "PATCH", path: () => `/v1/hooks/${hookId}`, body: { url: "javascript:alert(1)" }, status: 422 },
  { name: "PATCH with wrong types", method: "PATCH", path: () => `/v1/hooks/${hookId}`, body: { enabled: "yes" }, status: 422 },
  { name: "activate with a past expiry", method: "POST", path: () => `/v1/hooks/${hookId}/activate`, body: { expires_at: "2001-01-01T00:00:00Z" }, status: 409 },
  { name: "unknown route", method: "GET", path: () => "/v1/nothing-here", status: 404 },
  // events
  { name: "event without type", method: "POST", path: () => "/v1/events", body: { data: {} }, status: 422 },
  { name: "event type with spaces", method: "POST", path: () => "/v1/events", body: { type: "a b" }, status: 422 },
  { name: "event with unknown field", method: "POST", path: () => "/v1/events", body: { type: "a", extra: 1 }, status: 422 },
  { name: "event data over 100 KiB", method: "POST", path: () => "/v1/events", body: { type: "a", data: { s: "x".repeat(101 * 1024) } }, status: 413 },
  { name: "event id with slashes", method: "POST", path: () => "/v1/events", body: { type: "a", id: "../x" }, status: 422 },
  { name: "event occurred_at not a date", method: "POST", path: () => "/v1/events", body: { type: "a", occurred_at: "yesterday" }, status: 422 },
  { name: "batch of 101 events", method: "POST", path: () => "/v1/events/batch", body: { events: Array.from({ length: 101 }, () => ({ type: "a" })) }, status: 422 },
  { name: "empty batch", method: "POST", path: () => "/v1/events/batch", body: { events: [] }, status: 422 },
  { name: "batch over 256 KB", method: "POST", path: () => "/v1/events/batch", body: { events: Array.from({ length: 3 }, () => ({ type: "a", data: "x".repeat(95 * 1024) })) }, status: 413 },
  { name: "event as text/plain", method: "POST", path: () => "/v1/events", raw: '{"type":"a"}', headers: { "content-type": "text/plain" }, status: 415 },
  // history and operations
  { name: "deliveries: bad cursor", method: "GET", path: () => `/v1/hooks/${hookId}/deliveries?cursor=%%%`, status: 422 },
  { name: "deliveries: unknown status", method: "GET", path: () => `/v1/hooks/${hookId}/deliveries?status=lost`, status: 422 },
  { name: "delivery id traversal", method: "GET", path: () => `/v1/hooks/${hookId}/deliveries/..%2F..%2Fx`, status: 422 },
  { name: "resend an unknown delivery", method: "POST", path: () => `/v1/hooks/${hookId}/deliveries/dlv_01JD0000000000000000000000/resend`, status: 404 },
  { name: "recover without since", method: "POST", path: () => `/v1/hooks/${hookId}/recover`, body: {}, status: 422 },
  { name: "recover more than 14 days back", method: "POST", path: () => `/v1/hooks/${hookId}/recover`, body: { since: "2020-01-01T00:00:00Z" }, status: 422 },
  { name: "rotate with a weak secret", method: "POST", path: () => `/v1/hooks/${hookId}/rotate-secret`, body: { secret: "x" }, status: 422 },
  { name: "stats window out of range", method: "GET", path: () => "/v1/stats?window_hours=0", status: 422 },
  // catalogue
  { name: "event type with a bad name", method: "POST", path: () => "/v1/event-types", body: { name: "a b" }, status: 422 },
  { name: "event type duplicate", method: "POST", path: () => "/v1/event-types", body: { name: "dup.type" }, status: 409 },
  { name: "presets of an unknown profile", method: "GET", path: () => "/v1/event-types/presets/github", status: 422 },
  { name: "archive an unknown event type", method: "PATCH", path: () => "/v1/event-types/nope.nope", body: { archived: true }, status: 404 },
  // public validation link
  { name: "validation link for nothing", method: "GET", path: () => "/v1/validate/hook_x/abc", status: 404 },
];

async function hookState(): Promise<string> {
  const rows = await testEnv.DB.prepare("SELECT * FROM hooks WHERE tenant_id = ? ORDER BY id").bind(t.id).all();
  return JSON.stringify(rows.results);
}

describe(`bad input (${CASES.length} cases)`, () => {
  beforeAll(async () => {
    t = await newTenant();
    hookId = (await createHook(t, OK)).id;
    await call("/v1/event-types", { key: t.key, body: { name: "dup.type" } });
  });

  afterAll(() => console.log(`bad inputs tried: ${CASES.length} (+5 operator routes), every one a 4xx problem+json with state unchanged`));

  it.each(CASES)("$name → $status problem+json, nothing stored", async (c) => {
    const before = await hookState();
    const res = await call(c.path(), { method: c.method, key: t.key, body: c.body, raw: c.raw, headers: c.headers });
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = JSON.parse(text);
    expect(problem).toMatchObject({ status: c.status, type: expect.stringMatching(/^https:\/\/hookline\.dev\/problems\//) });
    expect(typeof problem.title).toBe("string");
    expect(typeof problem.detail).toBe("string");
    expect(await hookState()).toBe(before);
  });

  it("validation errors point at the failing field", async () => {
    const res = await call("/v1/hooks", { key: t.key, body: { ...OK, retry_schedule: [0, "5"] } });
    const p = await res.json<any>();
    expect(p.errors).toContainEqual({ loc: ["body", "retry_schedule", 1], msg: expect.any(String) });
  });
});

describe("bad input on operator routes", () => {
  it.each([
    { name: "tenant without a name", path: "/v1/tenants", body: {}, status: 422 },
    { name: "tenant with unknown field", path: "/v1/tenants", body: { name: "x", plan: "gold" }, status: 422 },
    { name: "key with an unknown scope", path: "/v1/tenants/ten_01JD0000000000000000000000/api-keys", body: { scopes: ["root"] }, status: 422 },
    { name: "key for a missing tenant", path: "/v1/tenants/ten_01JD0000000000000000000000/api-keys", body: { scopes: ["events:publish"] }, status: 404 },
    { name: "key for a malformed tenant id", path: "/v1/tenants/ten_../api-keys", body: { scopes: ["events:publish"] }, status: 422 },
  ])("$name → $status", async (c) => {
    const res = await call(c.path, { key: "test-operator-token", body: c.body });
    expect(res.status).toBe(c.status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
