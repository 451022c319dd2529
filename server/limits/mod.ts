/**
 * @module
 * Limits: the numbers that bound what one server spends, the request check and
 * the per-address socket tracker.
 */
export * from "./check.ts";
export * from "./env.ts";
export * from "./limits.ts";
export * from "./sockets.ts";
