/**
 * The console's routes, mounted under /dashboard (after sign-in) and under /portal/<token> (after
 * the link is checked). Whoever mounts it puts a ConsoleScope on the context; every route goes
 * through scopedHook (404 outside the scope) and the same hook service /v1 uses. Messages after a
 * redirect are chosen by fixed code, never read from the URL (issue 15, finding 16).
 */
import { Hono, type Context } from "hono";
import { activateHook, createHook, deactivateHook, deleteHook, resendDelivery, rotateSecret, sendTestPing, updateHookIssuing } from "../../hooks/service";
import type { AppVars } from "../../api/types";
import { isId } from "../../core/ids";
import type { HookCreate } from "../../core/schemas";
import { DAY_MS } from "../../core/time";
import { toHookOut } from "../../api/views";
import { toHookConfig } from "../../db/hooks";
import { endpointStub } from "../../endpoint/client";
import type { HookRow } from "../../db/schema";
import type { Env } from "../../env";
import { settings } from "../../env";
import { checkTargetUrl } from "../../core/url-policy";
import { invalid, notFound } from "../../errors";
import { RANGES, fillHours, type Range } from "./chart";
import { hookBody, readHookForm, serviceErrors, valuesOf, type FieldErrors, type HookFormValues } from "./forms";
import { sentRequest } from "./inspect";
import { catalogue, requireDeliver, requireManage, scopedHook, scopedHooks, type ConsoleScope } from "./scope";
import { DeliveryPage, HookForm, HookList, HookPage, SecretOnce } from "./views";
import { cursorOf, parseCursor } from "../../api/cursor";

export type ConsoleEnv = { Bindings: Env; Variables: AppVars & { console: ConsoleScope } };
type C = Context<ConsoleEnv>;

export const FLASH = {
  "test-queued": "Test event queued.",
  activated: "Hook activated.",
  deactivated: "Hook deactivated; its queue is kept.",
  resent: "Resent.",
  updated: "Hook saved.",
  deleted: "Hook deleted.",
  recovered: "Failed deliveries queued again.",
} as const;
type FlashCode = keyof typeof FLASH;
const flashOf = (c: C) => {
  const code = c.req.query("done") ?? "";
  return Object.hasOwn(FLASH, code) ? FLASH[code as FlashCode] : undefined;
};

const HOOKS_PAGE = 50;
const DELIVERIES_PAGE = 20;
/** As POST /v1/hooks/:id/recover. */
const RECOVER_MAX_DAYS = 14;
const STATUSES = new Set(["pending", "delivering", "succeeded", "failed", "cancelled", "skipped"]);

const urlProblem = (c: C) => (url: string) => {
  const v = checkTargetUrl(url, settings(c.env).allowPrivateTargets);
  return v.ok ? null : v.reason;
};

const noStore = (c: C) => c.header("cache-control", "no-store");

export function consoleRoutes() {
  const app = new Hono<ConsoleEnv>();
  const scope = (c: C) => c.get("console");
  const hook = (c: C) => scopedHook(c.env, scope(c), c.req.param("id") ?? "");

  app.get("/", async (c) => {
    const s = scope(c);
    const after = c.req.query("cursor");
    if (after !== undefined && !isId("hook", after)) throw invalid("cursor: not a hook id", [{ loc: ["query", "cursor"], msg: "invalid cursor" }]);
    const rows = await scopedHooks(c.env, s, after, HOOKS_PAGE + 1);
    const page = rows.slice(0, HOOKS_PAGE);
    return c.html(<HookList scope={s} hooks={page.map(toHookOut)} next={rows.length > HOOKS_PAGE ? page[page.length - 1]!.id : null} flash={flashOf(c)} />);
  });

  const form = async (c: C, mode: "create" | "update", values: HookFormValues, errors: FieldErrors, hookId?: string, status: 200 | 422 = 200) => {
    const s = scope(c);
    const action = hookId ? `${s.base}/hooks/${hookId}/edit` : `${s.base}/hooks/new`;
    return c.html(<HookForm scope={s} mode={mode} action={action} values={values} errors={errors} catalogue={await catalogue(c.env, s.tenantId)} hookId={hookId} />, status);
  };
  const empty: HookFormValues = { url: "", description: "", events: [], events_other: "", filter: "", retry_schedule: "", profile: "standard", channels: "" };

  app.get("/hooks/new", async (c) => {
    requireManage(scope(c));
    return form(c, "create", empty, {});
  });

  app.post("/hooks/new", async (c) => {
    const s = scope(c);
    requireManage(s);
    const values = readHookForm(await c.req.parseBody({ all: true }));
    const parsed = hookBody(values, "create", s, urlProblem(c));
    if (!parsed.ok) return form(c, "create", values, parsed.errors, undefined, 422);
    let made: Awaited<ReturnType<typeof createHook>>;
    try {
      made = await createHook(c.env, s.tenantId, parsed.body as HookCreate);
    } catch (err) {
      return form(c, "create", values, serviceErrors(err), undefined, 422);
    }
    noStore(c);
    return c.html(<SecretOnce scope={s} hook={toHookOut(made.row)} secret={made.secret} publicKey={made.row.publicKey} what="created" />, 201);
  });

  app.get("/hooks/:id", async (c) => {
    const s = scope(c);
    const row = await hook(c);
    const q = c.req.query();
    const range: Range = q.range === "7d" ? "7d" : "24h";
    const status = q.status && STATUSES.has(q.status) ? q.status : undefined;
    if (q.status && !status) throw invalid("status: not a delivery status", [{ loc: ["query", "status"], msg: "unknown status" }]);
    const eventType = q.event_type ? q.event_type.slice(0, 200) : undefined;
    const stub = endpointStub(c.env.ENDPOINTS, row.id);
    const now = Date.now();
    const [rows, hours, types] = await Promise.all([
      stub.listDeliveries({ status: status as never, eventType, before: q.cursor ? parseCursor(q.cursor) : undefined, limit: DELIVERIES_PAGE + 1 }),
      stub.hourlyStats(now - RANGES[range] * 3600_000),
      catalogue(c.env, s.tenantId),
    ]);
    const page = rows.slice(0, DELIVERIES_PAGE);
    const deliveries = await Promise.all(
      page.map(async ({ cursor: _c, ...d }) => ({ delivery: d, attempts: (await stub.getDelivery(d.id))?.attempts ?? [] })),
    );
    const eventTypes = [...new Set(["hookline.ping", ...types.map((t) => t.name), ...deliveries.map((d) => d.delivery.event_type), ...(eventType ? [eventType] : [])])].sort();
    return c.html(
      <HookPage
        scope={s} hook={toHookOut(row)} deliveries={deliveries} flash={flashOf(c)} filters={{ status, event_type: eventType }} eventTypes={eventTypes}
        next={rows.length > DELIVERIES_PAGE ? cursorOf(page[page.length - 1]!.cursor) : null}
        chart={{ points: fillHours(hours, range, now), range }}
      />,
    );
  });

  app.get("/hooks/:id/edit", async (c) => {
    requireManage(scope(c));
    const row = await hook(c);
    const names = new Set((await catalogue(c.env, scope(c).tenantId)).map((e) => e.name));
    return form(c, "update", valuesOf(toHookOut(row), names), {}, row.id);
  });

  app.post("/hooks/:id/edit", async (c) => {
    const s = scope(c);
    requireManage(s);
    const row = await hook(c);
    const values = readHookForm(await c.req.parseBody({ all: true }));
    const parsed = hookBody(values, "update", s, urlProblem(c));
    if (!parsed.ok) return form(c, "update", values, parsed.errors, row.id, 422);
    try {
      await updateHookIssuing(c.env, row, parsed.body);
    } catch (err) {
      return form(c, "update", values, serviceErrors(err), row.id, 422);
    }
    return c.redirect(`${s.base}/hooks/${row.id}?done=updated`, 303);
  });

  /** A button on the hook page: checks the scope's right, acts, returns with a fixed message. */
  const action = (path: string, need: "manage" | "deliver", done: FlashCode, act: (c: C, row: HookRow) => Promise<unknown>) =>
    app.post(`/hooks/:id${path}`, async (c) => {
      const s = scope(c);
      (need === "manage" ? requireManage : requireDeliver)(s);
      const row = await hook(c);
      await act(c, row);
      return c.redirect(`${s.base}/hooks/${row.id}?done=${done}`, 303);
    });

  action("/test", "deliver", "test-queued", (c, row) => sendTestPing(c.env, row));
  action("/activate", "manage", "activated", (c, row) => activateHook(c.env, row, row.status === "expired" ? null : undefined));
  action("/deactivate", "manage", "deactivated", (c, row) => deactivateHook(c.env, row));
  action("/deliveries/:d/resend", "deliver", "resent", async (c, row) => {
    const d = c.req.param("d") ?? "";
    if (!isId("dlv", d) || !(await resendDelivery(c.env, row, d))) throw notFound("delivery");
  });
  action("/recover", "deliver", "recovered", async (c, row) => {
    const raw = (await c.req.parseBody()).since;
    const since = typeof raw === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(raw) ? Date.parse(`${raw}Z`) : NaN;
    if (!Number.isFinite(since)) throw invalid("since: a date and time", [{ loc: ["body", "since"], msg: "a date and time (UTC)" }]);
    if (since < Date.now() - RECOVER_MAX_DAYS * DAY_MS) throw invalid(`since: at most ${RECOVER_MAX_DAYS} days back`, [{ loc: ["body", "since"], msg: `at most ${RECOVER_MAX_DAYS} days back` }]);
    await endpointStub(c.env.ENDPOINTS, row.id).recover(toHookConfig(row), since);
  });

  app.post("/hooks/:id/rotate", async (c) => {
    const s = scope(c);
    requireManage(s);
    const row = await hook(c);
    const { row: next, secret, publicKey } = await rotateSecret(c.env, row);
    noStore(c);
    return c.html(<SecretOnce scope={s} hook={toHookOut(next)} secret={secret} publicKey={publicKey} what="rotated" />);
  });

  app.post("/hooks/:id/delete", async (c) => {
    const s = scope(c);
    requireManage(s);
    await deleteHook(c.env, await hook(c));
    return c.redirect(`${s.base}?done=deleted`, 303);
  });

  app.get("/hooks/:id/deliveries/:d", async (c) => {
    const s = scope(c);
    const row = await hook(c);
    const d = c.req.param("d");
    if (!isId("dlv", d)) throw notFound("delivery");
    const stub = endpointStub(c.env.ENDPOINTS, row.id);
    const [found, event] = await Promise.all([stub.getDelivery(d), stub.deliveryEvent(d)]);
    if (!found) throw notFound("delivery");
    const { cursor: _c, ...delivery } = found.delivery;
    const attempts = await Promise.all(found.attempts.map(async (a) => ({ attempt: a, request: event ? await sentRequest(c.env, row, d, event, a) : null })));
    return c.html(<DeliveryPage scope={s} hook={toHookOut(row)} delivery={delivery} attempts={attempts} />);
  });

  return app;
}
