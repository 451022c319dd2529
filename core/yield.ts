/**
 * A macrotask yield for the step loop. onnxruntime-node's `session.run` returns a
 * promise but keeps the JS thread busy while it runs (measured: a 1 ms setInterval
 * did not tick during a 70 ms run), and the loop chained steps through microtasks
 * only, so the server read a WebSocket `cancel` 100-450 ms (12-13 steps) late.
 * Awaiting this before every model call lets pending I/O callbacks run first.
 *
 * `setTimeout(0)`, not a MessageChannel message: measured over a real socket
 * (tests/stream_engine_test.ts, server in its own process), a cancel was read 215 ms
 * (20 steps) late with a MessageChannel yield and 2 ms late with a 0 ms timer. A posted
 * message is always ready, so Deno's runtime never parks and its I/O reactor is only
 * polled now and then; a timer makes the runtime wait on the reactor. The 4 ms clamp
 * for nested timers does not bite: each model call's promise settles from native code,
 * a fresh task, so the nesting level starts over at every step.
 */

/** Resolves after the event loop has polled I/O and run the callbacks already due. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
