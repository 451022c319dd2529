/**
 * @module
 * The Emerge JS client for browsers, Deno and Node: connect, generate, watch previews,
 * steer, cancel and resume. It depends only on the shared protocol types.
 */
