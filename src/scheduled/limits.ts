/** Each cron job handles at most this many hooks per run; the next run continues. */
export const CRON_BATCH = 500;
/** Hooks poked (sweep) or purged (retention) per run; successive runs take the next window. */
export const CRON_POKE_BATCH = 1000;
/** The frequent cron's period (wrangler.toml: every 5 minutes). */
export const FREQUENT_PERIOD_MS = 5 * 60_000;
