/**
 * Propstack's hook API (seed 004): POST /v1/hooks?target_url=…&event=… → {"id": 123};
 * GET → {"hooks":[{"id","event":"CLIENT_CREATED","target_url"}]}; DELETE /:id → {"ok": true}.
 * An optional `secret` turns on X-Propstack-Signature; it may come in the query (as Propstack's
 * clients send it) or, better, in a JSON or form body.
 */
import { EVENT_PRESETS } from "../core/presets";
import { invalid } from "../errors";
import { createHook, deleteHook } from "../hooks/service";
import { aliased, byAlias, compatRouter, nextNumericAlias } from "./shared";

const app = compatRouter();
const EVENTS = new Set(EVENT_PRESETS.propstack);

/**
 * The create parameters from a JSON or form body. Propstack's own clients put them in the query
 * string, which is kept for them; but a query string is logged by every proxy and by Workers' own
 * request logs, so the secret is better sent in the body (issue 15, finding 13). Hookline itself
 * never logs either.
 */
async function bodyParams(c: { req: { header(n: string): string | undefined; json<T>(): Promise<T>; parseBody(): Promise<Record<string, unknown>> } }): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  const raw: Record<string, unknown> = type.includes("json")
    ? await c.req.json<Record<string, unknown>>().catch(() => ({}))
    : /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type) ? await c.req.parseBody().catch(() => ({})) : {};
  return Object.fromEntries(Object.entries(raw ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));
}

app.post("/v1/hooks", async (c) => {
  const q = c.req.query();
  const body = await bodyParams(c);
  const target = q.target_url ?? body.target_url;
  const event = (q.event ?? body.event ?? "").toLowerCase();
  const secret = body.secret ?? q.secret;
  if (!target) throw invalid("target_url is required", [{ loc: ["query", "target_url"], msg: "required" }]);
  if (!EVENTS.has(event)) throw invalid(`event must be one of ${[...EVENTS].join(", ")}`, [{ loc: ["query", "event"], msg: "unknown event" }]);
  const alias = await nextNumericAlias(c.env.DB, c.get("tenantId"));
  const { row } = await createHook(c.env, c.get("tenantId"), {
    url: target, events: [event], profile: "propstack", secret: secret ?? null, validation: "none",
    description: `Propstack ${event}`,
  }, { alias });
  return c.json({ id: Number(row.alias) });
});

app.get("/v1/hooks", async (c) => {
  const rows = await aliased(c.env.DB, c.get("tenantId"), "propstack", "numeric");
  return c.json({ hooks: rows.map((h) => ({ id: Number(h.alias), event: (h.events[0] ?? "").toUpperCase(), target_url: h.url })) });
});

app.delete("/v1/hooks/:id", async (c) => {
  await deleteHook(c.env, await byAlias(c.env.DB, c.get("tenantId"), "propstack", c.req.param("id")));
  return c.json({ ok: true });
});

export default app;
