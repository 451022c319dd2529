/**
 * @module
 * The Emerge JS client for browsers, Deno and Node: connect, generate, watch previews,
 * steer, cancel and resume. It depends only on the shared protocol types.
 *
 * @example
 * ```ts
 * import { EmergeClient } from "./mod.ts";
 * const client = new EmergeClient("http://127.0.0.1:8080");
 * const gen = client.generate({ prompt: "a red ball bounces across a blue room" });
 * for await (const event of gen) if (event.type === "step") console.log(event.i, event.sigma);
 * console.log((await gen.result).outputs.video);
 * ```
 */
export * from "./client.ts";
export * from "./connection.ts";
export * from "./errors.ts";
export * from "./generation.ts";
export * from "./protocol.ts";
