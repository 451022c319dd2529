/** Answers a GET or HEAD for a file on disk, honouring a single Range. */
import { parseRange } from "./range.ts";

/**
 * A response streaming `path`, 206 for a satisfiable Range, 416 for a bad one.
 * For `method` "HEAD" the same status and headers, and the file is never opened:
 * Hono answers HEAD by running the GET handler and dropping its body uncancelled,
 * so an opened file would stay open until the garbage collector found it.
 */
export async function fileResponse(
  path: string,
  contentType: string,
  rangeHeader: string | undefined,
  method = "GET",
): Promise<Response> {
  const file = method === "HEAD" ? null : await Deno.open(path, { read: true });
  const size = (await (file ? file.stat() : Deno.stat(path))).size;
  const range = parseRange(rangeHeader, size);
  const headers = new Headers({ "content-type": contentType, "accept-ranges": "bytes" });
  if (range === "unsatisfiable") {
    file?.close();
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (range === null) {
    headers.set("content-length", String(size));
    return new Response(file?.readable ?? null, { status: 200, headers });
  }
  const length = range.end - range.start + 1;
  headers.set("content-length", String(length));
  headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
  if (!file) return new Response(null, { status: 206, headers });
  await file.seek(range.start, Deno.SeekMode.Start);
  return new Response(limit(file.readable, length), { status: 206, headers });
}

/** The first `length` bytes of `stream`, cancelling the rest (which closes the file). */
function limit(stream: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  let left = length;
  const reader = stream.getReader();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done || left <= 0) {
        await reader.cancel();
        return controller.close();
      }
      const chunk = value.byteLength > left ? value.subarray(0, left) : value;
      left -= chunk.byteLength;
      controller.enqueue(chunk);
      if (left <= 0) {
        await reader.cancel();
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
