/**
 * Still images with sharp: small JPEG/WebP previews, the poster (thumbnail) and the
 * sprite sheet (every frame in a grid, what a player's seek bar hovers over).
 */
import sharp from "sharp";
import { frameAt, type Rgb8Frames, tile } from "./frames.ts";
import { cutJpegGrid } from "./jpeg_grid.ts";

// libvips' operation cache keys every call by its input; no two of ours are alike, and
// the lookups cost 0.25 ms of the ~0.8 ms a small encode spends outside libjpeg.
sharp.cache(false);

/** The encodings previews may use. */
export type ImageFormat = "jpeg" | "webp";

/**
 * Encodes one RGB image, optionally upscaled by an integer factor (nearest). JPEGs get
 * Huffman tables fitted to the image unless `fitTables` is false (a pass less).
 */
export async function encodeImage(
  image: { data: Uint8Array; width: number; height: number },
  options: { format: ImageFormat; quality: number; scale?: number; fitTables?: boolean },
): Promise<Uint8Array> {
  let pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  const scale = options.scale ?? 1;
  if (scale !== 1) {
    pipeline = pipeline.resize(image.width * scale, image.height * scale, { kernel: "nearest" });
  }
  pipeline = options.format === "jpeg"
    ? pipeline.jpeg({ quality: options.quality, optimiseCoding: options.fitTables ?? true })
    : pipeline.webp({ quality: options.quality });
  return new Uint8Array(await pipeline.toBuffer());
}

/**
 * How many frames across to lay a clip out for one JPEG encode: up to 6 (a 64x64
 * clip's 24 frames as 384x256), a divisor of the frame count so no cell is empty, and
 * 1 (a strip) where a frame's width is not a whole number of 16-pixel MCUs, which the
 * cut needs side by side.
 */
export function gridColumns(clip: Rgb8Frames, scale = 1): number {
  if ((clip.width * scale) % 16 !== 0) return 1;
  for (let columns = Math.min(6, clip.frames); columns > 1; columns--) {
    if (clip.frames % columns === 0) return columns;
  }
  return 1;
}

/**
 * Every frame of a clip as its own image, in order, optionally upscaled. JPEG frames
 * come from one encode of the frames laid out in a grid, cut apart losslessly
 * (jpeg_grid.ts): one sharp call instead of one per frame, which measured 3-4 ms
 * with the cut against 20-30 ms for 24 frames. Anything the cut refuses is encoded frame by frame.
 */
export async function encodeFrames(
  clip: Rgb8Frames,
  options: { format: ImageFormat; quality: number; scale?: number },
): Promise<Uint8Array[]> {
  if (options.format === "jpeg" && clip.frames > 1) {
    const columns = gridColumns(clip, options.scale);
    const grid = columns > 1
      ? tile(clip, columns)
      : { data: clip.data, width: clip.width, height: clip.height * clip.frames };
    // The cut fits the frames' own tables, so sharp's fitting pass would be thrown away.
    const frames = cutJpegGrid(
      await encodeImage(grid, { ...options, fitTables: false }),
      clip.frames,
      columns,
    );
    if (frames) return frames;
  }
  return Promise.all(
    Array.from(
      { length: clip.frames },
      (_, f) =>
        encodeImage({ data: frameAt(clip, f), width: clip.width, height: clip.height }, options),
    ),
  );
}

/** The poster: the middle frame (the first is often still blurry motion), upscaled. */
export function encodePoster(clip: Rgb8Frames, scale: number): Promise<Uint8Array> {
  const frame = frameAt(clip, Math.floor(clip.frames / 2));
  return encodeImage({ data: frame, width: clip.width, height: clip.height }, {
    format: "jpeg",
    quality: 85,
    scale,
  });
}

/** All frames in a grid of up to 8 columns at native size. */
export function encodeSpriteSheet(clip: Rgb8Frames): Promise<Uint8Array> {
  return encodeImage(tile(clip, Math.min(8, clip.frames)), { format: "jpeg", quality: 85 });
}
