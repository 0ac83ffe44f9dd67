/** Structured JSON logs. Callers pass ids and reasons, never secrets or payloads. */
export function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}) {
  const line = JSON.stringify({ level, msg, ...fields, at: new Date().toISOString() });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * What may be logged about a caught error: its name, its code and its stack frames — never its
 * message, which for a drizzle/D1 error holds every bound parameter (hook secrets, URLs, keys'
 * hashes) and for a fetch error the URL with its query string (issue 15, finding 13).
 */
export function errorFields(err: unknown): { error: string; code?: string; cause?: string; frames?: string } {
  if (!(err instanceof Error)) return { error: typeof err };
  const e = err as Error & { code?: unknown; cause?: unknown };
  const frames = (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => l.trim()).join(" | ");
  return {
    error: e.name || "Error",
    ...(typeof e.code === "string" || typeof e.code === "number" ? { code: String(e.code) } : {}),
    ...(e.cause instanceof Error ? { cause: e.cause.name } : {}),
    ...(frames ? { frames } : {}),
  };
}
