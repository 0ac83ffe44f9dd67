/** Each cron job handles at most this many hooks per run; the next run continues. */
export const CRON_BATCH = 500;
/** Hooks poked (sweep) or purged (retention) per run. */
export const CRON_POKE_BATCH = 1000;
