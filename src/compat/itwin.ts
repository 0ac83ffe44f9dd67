/**
 * iTwin's Webhooks API under /compat/itwin, both published versions on one base, chosen as
 * api.bentley.com chooses them: by `Accept: application/vnd.bentley.itwin-platform.v1+json` or
 * `…v2+json`. Without a version in Accept, an operation that exists in one version only is served
 * by that version, a webhook id by its own version, and the list by v1.
 *
 *  - v1 (itwin-v1.ts, the seed's version): `itwin` profile hooks, OPTIONS handshake, the manual
 *    `GET /webhooks/confirm?id&key` link, 30-day expiry, activate/deactivate operations.
 *  - v2 (itwin-v2.ts): `itwin_v2` profile hooks, Account/iTwin scope, inactive until
 *    `PATCH {active: true}`, no handshake, no expiry.
 *
 * Webhook ids are Hookline hook ids, so the id a client holds is the `subscriptionId` (v1) or
 * `webhookId` (v2) in every delivery. Errors are problem+json that also carry iTwin's own
 * `{"error": {"code", "message", "details"}}` member.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/types";
import { AppError, problemBody, toProblemResponse } from "../errors";
import { compatAuth } from "./shared";
import * as v1 from "./itwin-v1";
import * as v2 from "./itwin-v2";
import { itwinHook } from "./itwin-views";

const V1_TYPE = /application\/vnd\.bentley\.itwin-platform\.v1\+json/i;
const V2_TYPE = /application\/vnd\.bentley\.itwin-platform\.v2\+json/i;

/** The version the client asked for in Accept, if any. */
function askedVersion(c: Context<AppEnv>): 1 | 2 | null {
  const accept = c.req.header("accept") ?? "";
  if (V2_TYPE.test(accept)) return 2;
  if (V1_TYPE.test(accept)) return 1;
  return null;
}

/** iTwin's error codes for Hookline's problems (the status stays the same). */
const CODES: Record<number, string> = {
  400: "InvalidRequestBody", 401: "HeaderNotFound", 403: "InsufficientPermissions", 404: "WebhookNotFound",
  409: "InvalidWebhookRequest", 413: "RequestTooLarge", 415: "InvalidRequestBody", 422: "InvalidWebhookRequest",
};

/** problem+json plus iTwin's `error` member, so both kinds of client can read it. */
function itwinError(err: unknown, path: string): Response {
  const base = toProblemResponse(err, path);
  if (!(err instanceof AppError)) return base;
  const body = {
    ...problemBody(err),
    instance: path,
    error: {
      code: err.status === 404 && err.slug === "not-found" && !/webhook/i.test(err.message) ? "NotFound" : CODES[err.status] ?? "Error",
      message: err.message,
      ...(err.errors ? { details: err.errors.map((e) => ({ code: "InvalidValue", message: e.msg, target: e.loc.slice(1).join(".") })) } : {}),
    },
  };
  return new Response(JSON.stringify(body), { status: err.status, headers: base.headers });
}

const versionMismatch = () => new AppError(404, "not-found", "Not found", "This operation is not part of the requested Webhooks API version.");

const app = new Hono<AppEnv>();
app.onError((err, c) => itwinError(err, new URL(c.req.url).pathname));

// The manual validation link is opened by whoever receives the OPTIONS request: its key is the credential.
app.get("/webhooks/confirm", (c) => {
  if (askedVersion(c) === 2) throw versionMismatch();
  return v1.confirm(c);
});

app.use("*", compatAuth);

app.post("/webhooks/imodels", (c) => {
  if (askedVersion(c) === 2) throw versionMismatch();
  return v1.create(c);
});
app.post("/webhooks/:id/activate", (c) => {
  if (askedVersion(c) === 2) throw versionMismatch();
  return v1.activate(c);
});
app.post("/webhooks/:id/deactivate", (c) => {
  if (askedVersion(c) === 2) throw versionMismatch();
  return v1.deactivate(c);
});

app.post("/webhooks", (c) => {
  if (askedVersion(c) === 1) throw versionMismatch();
  return v2.create(c);
});
app.patch("/webhooks/:id", (c) => {
  if (askedVersion(c) === 1) throw versionMismatch();
  return v2.update(c);
});

app.get("/webhooks", (c) => ((askedVersion(c) ?? 1) === 2 ? v2.list(c) : v1.list(c)));

app.get("/webhooks/:id", async (c) => {
  const row = await itwinHook(c, askedVersion(c));
  return row.profile === "itwin_v2" ? v2.details(c, row) : v1.details(c, row);
});

app.delete("/webhooks/:id", async (c) => {
  const row = await itwinHook(c, askedVersion(c));
  return row.profile === "itwin_v2" ? v2.remove(c, row) : v1.remove(c, row);
});

export default app;
