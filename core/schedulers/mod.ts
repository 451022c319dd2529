/**
 * @module
 * Flow-matching schedulers, one per file, and the shifted sigma schedule they share.
 */
import type { SchedulerKind } from "../types.ts";
import { dpmpp2m } from "./dpmpp2m.ts";
import { euler } from "./euler.ts";
import type { Scheduler } from "./scheduler.ts";

export * from "./scheduler.ts";
export * from "./sigmas.ts";
export { dpmpp2m, euler };

/** Every scheduler by its request name. */
export const SCHEDULERS: Readonly<Record<SchedulerKind, Scheduler>> = { euler, dpmpp2m };
