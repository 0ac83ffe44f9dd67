/**
 * Propstack's hook API (seed 004): POST /v1/hooks?target_url=…&event=… → {"id": 123};
 * GET → {"hooks":[{"id","event":"CLIENT_CREATED","target_url"}]}; DELETE /:id → {"ok": true}.
 * An optional `secret` turns on X-Propstack-Signature.
 */
import { EVENT_PRESETS } from "../core/presets";
import { invalid } from "../errors";
import { createHook, deleteHook } from "../api/hook-service";
import { aliased, byAlias, compatRouter, nextNumericAlias } from "./shared";

const app = compatRouter();
const EVENTS = new Set(EVENT_PRESETS.propstack);

app.post("/v1/hooks", async (c) => {
  const q = c.req.query();
  const body = (c.req.header("content-type") ?? "").includes("json") ? await c.req.json<Record<string, string>>().catch(() => ({})) : {};
  const target = q.target_url ?? (body as Record<string, string>).target_url;
  const event = (q.event ?? (body as Record<string, string>).event ?? "").toLowerCase();
  const secret = q.secret ?? (body as Record<string, string>).secret;
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
