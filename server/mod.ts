/**
 * @module
 * The Emerge server: a Hono app on Deno.serve that speaks the WebSocket protocol,
 * the REST API, auth and limits, and serves the demo page. It knows nothing of ONNX.
 */
