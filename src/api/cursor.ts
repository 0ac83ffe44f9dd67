/** The delivery history's page cursor: a position (published_at, index, id), opaque to clients. */
import { invalid } from "../errors";

export type HistoryCursor = [number, number, string];

export const cursorOf = (c: HistoryCursor): string => btoa(JSON.stringify(c)).replace(/=+$/, "");

/** A cursor this API handed out, or a 422 that points at the `cursor` query parameter. */
export function parseCursor(raw: string): HistoryCursor {
  try {
    const v = JSON.parse(atob(raw));
    if (Array.isArray(v) && v.length === 3 && Number.isInteger(v[0]) && Number.isInteger(v[1]) && typeof v[2] === "string") return v as HistoryCursor;
  } catch {
    // fall through
  }
  throw invalid("cursor: not a cursor from this API", [{ loc: ["query", "cursor"], msg: "invalid cursor" }]);
}
