/**
 * @module
 * Durable jobs: the SQLite job store, its schema, the lock that gives one server
 * its data folder, and the recovery a server runs at start.
 */
export * from "./lock.ts";
export * from "./recover.ts";
export * from "./schema.ts";
export * from "./sqlite.ts";
