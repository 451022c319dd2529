/**
 * @module
 * Cross-process tests: a real server on a free port, real WebSockets, real Chromium,
 * real ffmpeg. Unit tests live beside the code as `*_test.ts`.
 */
