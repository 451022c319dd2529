/** Answers a GET for a file on disk, honouring a single Range. */
import { parseRange } from "./range.ts";

/** A response streaming `path`, 206 for a satisfiable Range, 416 for a bad one. */
export async function fileResponse(
  path: string,
  contentType: string,
  rangeHeader: string | undefined,
): Promise<Response> {
  const file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const range = parseRange(rangeHeader, size);
  const headers = new Headers({ "content-type": contentType, "accept-ranges": "bytes" });
  if (range === "unsatisfiable") {
    file.close();
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (range === null) {
    headers.set("content-length", String(size));
    return new Response(file.readable, { status: 200, headers });
  }
  await file.seek(range.start, Deno.SeekMode.Start);
  const length = range.end - range.start + 1;
  headers.set("content-length", String(length));
  headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
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
