/** Moved to src/hooks/service.ts (services live outside api/); re-exported for callers not yet updated. */
export * from "../hooks/service";
