/**
 * @module
 * Durable jobs: the SQLite job store, its schema, and the recovery a server runs
 * at start.
 */
export * from "./recover.ts";
export * from "./schema.ts";
export * from "./sqlite.ts";
