import type { Context } from "hono";

/** Work that need not delay the response; awaited inline where there is no execution context. */
export async function background(c: Context, work: PromiseLike<unknown>): Promise<void> {
  const p = Promise.resolve(work).then(() => {}, () => {});
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    await p;
  }
}
