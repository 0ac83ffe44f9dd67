/** The HTTP surface: /v1 API, /openapi.json. One error path (toProblemResponse). */
import { OpenAPIHono } from "@hono/zod-openapi";
import dashboard from "../dashboard";
import docs from "../dashboard/docs";
import portal from "../portal";
import portalApi from "../portal/api";
import bimdata from "../compat/bimdata";
import itwin from "../compat/itwin";
import propstack from "../compat/propstack";
import speckle from "../compat/speckle";
import { registerCompatOpenApi } from "../compat/openapi";
import { bodyLimit } from "hono/body-limit";
import { MAX_REQUEST_BYTES } from "../core/policy";
import { AppError, toProblemResponse } from "../errors";
import events from "./routes/events";
import eventTypes from "./routes/event-types";
import deadLetters from "./routes/dead-letters";
import deliveries from "./routes/deliveries";
import hooks from "./routes/hooks";
import stats from "./routes/stats";
import tenants from "./routes/tenants";
import validate from "./routes/validate";
import { QUOTAS_DOC } from "./tenant-quotas";
import type { AppEnv } from "./types";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.onError((err, c) => toProblemResponse(err, new URL(c.req.url).pathname));
  app.notFound((c) => toProblemResponse(new AppError(404, "not-found", "Not found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`)));

  for (const prefix of ["/v1/*", "/compat/*"]) app.use(prefix, bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: () => { throw new AppError(413, "payload-too-large", "Payload too large", `Request bodies are limited to ${MAX_REQUEST_BYTES} bytes.`); },
  }));
  // The same hooks, shaped like the seed systems' own management APIs.
  app.route("/compat/propstack", propstack);
  app.route("/compat/itwin", itwin);
  app.route("/compat/bimdata", bimdata);
  app.route("/compat/speckle", speckle);
  // Bodies are JSON: anything else is refused before validation, so it can never reach a handler.
  app.use("/v1/*", async (c, next) => {
    const m = c.req.method;
    if ((m === "POST" || m === "PATCH" || m === "PUT") && c.req.header("content-length") !== "0") {
      const type = c.req.header("content-type");
      const hasBody = type !== undefined || (c.req.header("transfer-encoding") ?? "") !== "" || Number(c.req.header("content-length") ?? 0) > 0;
      if (hasBody && !/^application\/(?:[a-z0-9.+-]*\+)?json\s*(;.*)?$/i.test(type ?? "")) {
        throw new AppError(415, "unsupported-media-type", "Unsupported media type", "Send the body as application/json.");
      }
    }
    await next();
  });

  app.route("/v1/tenants", tenants);
  app.route("/v1/hooks", hooks);
  app.route("/v1/hooks", deliveries);
  app.route("/v1/stats", stats);
  app.route("/v1/events", events);
  app.route("/v1/event-types", eventTypes);
  app.route("/v1/validate", validate);
  app.route("/v1/dead-letters", deadLetters);
  app.route("/v1/portal", portalApi);

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "An API key (hk_…)" });
  app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", { type: "http", scheme: "bearer", description: "The operator token (ADMIN_TOKEN)" });
  registerCompatOpenApi(app.openAPIRegistry);
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: { title: "Hookline", version: "0.1.0", description: `Webhook delivery: publish events, Hookline signs and delivers them in order with retries.\n\n${QUOTAS_DOC}` },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  // Swagger UI pinned with subresource integrity, under a CSP (issue 15, finding 16)
  app.route("/docs", docs);
  app.route("/dashboard", dashboard);
  app.route("/portal", portal);
  app.get("/", (c) => c.json({ name: "hookline", docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard" }));
  return app;
}
