// hookline/client: a typed client for the Hookline API. The types (schema.d.ts) are generated from
// /openapi.json by `npm run client:generate`; requests go through openapi-fetch, which is plain
// fetch underneath, so this runs unbuilt in Node >= 18, Workers, Deno and browsers.
import createFetchClient from "openapi-fetch";

/**
 * @param {{ baseUrl: string, apiKey?: string } & import("openapi-fetch").ClientOptions} options
 *   apiKey: an API key (hk_…) or, for /v1/tenants, the operator token; sent as a Bearer token.
 */
export function createClient({ apiKey, headers, ...options }) {
  return createFetchClient({
    ...options,
    headers: { ...(headers ?? {}), ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
  });
}
