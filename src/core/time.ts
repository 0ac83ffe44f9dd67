export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const isoOrNull = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
