/**
 * hookline/client: a typed client for the Hookline API, generated from /openapi.json
 * (`npm run client:generate`). Every call returns `{ data, error, response }`: `data` is the typed
 * 2xx body, `error` the problem+json body of a 4xx/5xx.
 *
 * ```ts
 * const api = createClient({ baseUrl: "http://localhost:8787", apiKey: process.env.HOOKLINE_KEY });
 * const { data, error } = await api.POST("/v1/hooks", { body: { url: "https://example.com/hook" } });
 * ```
 */
import type { Client, ClientOptions } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, operations, paths } from "./schema";
/** A wire shape by its OpenAPI name, e.g. `Schema<"Hook">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

export interface HooklineClientOptions extends ClientOptions {
  /** Where Hookline runs, e.g. `https://hookline.example.com` (no trailing /v1). */
  baseUrl: string;
  /** An API key (`hk_…`), or the operator token for /v1/tenants; sent as `Authorization: Bearer`. */
  apiKey?: string;
}

export type HooklineClient = Client<paths>;

export declare function createClient(options: HooklineClientOptions): HooklineClient;
