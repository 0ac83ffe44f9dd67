import type { Context } from "hono";
import { errorFields, log } from "../log";

/**
 * Work that need not delay the response; awaited inline where there is no execution context.
 * A failure is logged with `what` (ids, never payloads): the response has gone, nobody else sees it.
 */
export async function background(c: Context, work: PromiseLike<unknown>, what: Record<string, unknown> = {}): Promise<void> {
  const p = Promise.resolve(work).then(
    () => {},
    (err: unknown) => log("error", "background work failed", { ...what, ...errorFields(err) }),
  );
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    await p;
  }
}
