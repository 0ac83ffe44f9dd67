/**
 * When the next attempt happens, as pure functions of (schedule, attempts made, outcome, random).
 */
import { DEFAULT_RETRY_SCHEDULE_S, MAX_RETRY_AFTER_S, RETRY_JITTER } from "./policy";

/** Delay in ms before attempt number `attemptsMade + 1`, or null when the schedule is exhausted.
 *  `schedule[0]` is the first attempt (normally 0 = immediately). `rand` ∈ [0,1). */
export function nextDelayMs(
  schedule: readonly number[] = DEFAULT_RETRY_SCHEDULE_S,
  attemptsMade: number,
  rand: number,
): number | null {
  const base = schedule[attemptsMade];
  if (base === undefined) return null;
  const jitter = 1 + RETRY_JITTER * (2 * rand - 1);
  return Math.round(base * 1000 * jitter);
}

/** Parse a Retry-After header (delta seconds or HTTP date) into ms, clamped to 1 h. */
export function retryAfterMs(header: string | null | undefined, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.max(0, Math.min(ms, MAX_RETRY_AFTER_S * 1000));
}
