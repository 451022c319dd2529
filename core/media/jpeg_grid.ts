/**
 * Cuts one baseline JPEG of frames laid out in a grid, `columns` frames across (a
 * "strip" of frames stacked top to bottom when one column), into one standalone JPEG
 * per frame, losslessly: the quantized blocks are copied, not encoded again from pixels.
 *
 * Why: a preview is 24 small frames, and sharp's fixed cost per call (a thread-pool
 * hop and a libvips pipeline, ~0.8 ms, 0.55 since images.ts turns its cache off) was
 * most of their encode. Measured on 24 frames of 64x64: 24 calls took 20-30 ms, one
 * call on the strip ~4 ms. A frame cut here decodes to exactly the pixels of the frame
 * encoded alone, since a JPEG codes every 8x8 block (and every 2x2 chroma box) on its
 * own: only a block's DC coefficient is coded as a difference to the previous block's,
 * so the first block of each component in a frame is re-coded against zero, as a fresh
 * image starts. The frames share Huffman tables fitted to their own symbols, which
 * keeps them as small as frames encoded alone with optimized tables.
 *
 * A grid rather than one tall strip: libvips encodes an image a band of rows at a
 * time, and a 64-wide strip of 24 frames is 1,536 rows of small bands: 1.5-1.9 ms in
 * sharp against 0.8-0.9 ms for the same frames 4 to 24 across (24 synthetic frames of
 * 64x64). On a preview decoder's frames, encode and cut together went from 2.03-2.10
 * to 1.62-1.74 ms (medians of 600 interleaved runs, twice), to the same bytes. In the
 * grid's scan the MCUs of one frame come row by row among those of its neighbours;
 * each frame's DC predictors run over its own MCUs, in its own order.
 *
 * Needs: baseline sequential Huffman coding (SOF0/SOF1), one interleaved scan, no
 * restart markers, a frame height that is a whole number of MCU rows and, with more
 * than one column, a frame width that is a whole number of MCU columns. Returns null
 * when the image is anything else, so the caller encodes frame by frame.
 */
import { concat } from "./bytes.ts";

interface HuffmanTable {
  /** Decoding: for code length l (1-16), the first code, the count, the index of its first symbol. */
  first: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  symbols: Uint8Array;
  /** Encoding: symbol -> code and length (length 0: symbol absent). */
  code: Uint16Array;
  length: Uint8Array;
  /**
   * Decoding at a glance: indexed by the next LOOKUP_BITS bits, `(length << 8) | symbol`
   * for codes up to that long, 0 for longer ones (decoded a length at a time).
   */
  lookup: Uint16Array;
}

/** Codes up to 9 bits (nearly every symbol of a small frame) decode with one lookup. */
const LOOKUP_BITS = 9;

const SOI = 0xd8, EOI = 0xd9, SOF0 = 0xc0, SOF1 = 0xc1, DHT = 0xc4, SOS = 0xda, DRI = 0xdd;

/**
 * Cuts `image` (frames of equal size in a grid `columns` across, filled row by row; the
 * last row may have empty cells) into `frames` JPEGs.
 */
export function cutJpegGrid(
  image: Uint8Array,
  frames: number,
  columns = 1,
): Uint8Array[] | null {
  if (image[0] !== 0xff || image[1] !== SOI) return null;
  const tables = new Map<number, HuffmanTable>(); // (class << 4) | id
  const kept: Uint8Array[] = []; // header segments copied into every frame
  let sofAt = -1, sof: Uint8Array | null = null;
  let at = 2;
  while (at + 4 <= image.length) {
    if (image[at] !== 0xff) return null;
    const marker = image[at + 1]!;
    const length = (image[at + 2]! << 8) | image[at + 3]!;
    const segment = image.subarray(at, at + 2 + length);
    if (marker === SOS) {
      return sof === null
        ? null
        : cutScan(image, at + 2 + length, segment, sof, sofAt, kept, tables, frames, columns);
    }
    if (marker === SOF0 || marker === SOF1) {
      sof = segment;
      sofAt = kept.length;
    } else if ((marker & 0xf0) === 0xc0 && marker !== DHT && marker !== 0xc8 && marker !== 0xcc) {
      return null; // progressive, lossless or arithmetic coded
    } else if (marker === DRI && ((segment[4]! << 8) | segment[5]!) !== 0) {
      return null; // restart markers would sit inside the frames' data
    } else if (marker === DHT) {
      readHuffmanTables(segment, tables);
    }
    kept.push(segment);
    at += 2 + length;
  }
  return null;
}

function readHuffmanTables(segment: Uint8Array, into: Map<number, HuffmanTable>): void {
  for (let at = 4; at < segment.length;) {
    const table = readHuffmanTable(segment, at);
    into.set(segment[at]!, table);
    at += 17 + table.symbols.length;
  }
}

/** One table of a DHT segment at `at`: its key byte, 16 counts by length, the symbols. */
function readHuffmanTable(segment: Uint8Array, at: number): HuffmanTable {
  const counts = segment.subarray(at + 1, at + 17);
  const total = counts.reduce((a, b) => a + b, 0);
  const symbols = segment.slice(at + 17, at + 17 + total);
  const table: HuffmanTable = {
    first: new Int32Array(17),
    count: new Int32Array(17),
    offset: new Int32Array(17),
    symbols,
    code: new Uint16Array(256),
    length: new Uint8Array(256),
    lookup: new Uint16Array(1 << LOOKUP_BITS),
  };
  // Canonical codes: each length's codes follow the previous length's, shifted left.
  let code = 0, index = 0;
  for (let l = 1; l <= 16; l++) {
    table.first[l] = code;
    table.count[l] = counts[l - 1]!;
    table.offset[l] = index;
    for (let k = 0; k < counts[l - 1]!; k++, index++, code++) {
      table.code[symbols[index]!] = code;
      table.length[symbols[index]!] = l;
    }
    code <<= 1;
  }
  for (const symbol of symbols) {
    const l = table.length[symbol]!;
    if (l > LOOKUP_BITS) continue;
    const from = table.code[symbol]! << (LOOKUP_BITS - l);
    table.lookup.fill((l << 8) | symbol, from, from + (1 << (LOOKUP_BITS - l)));
  }
  return table;
}

interface ScanComponent {
  /** Blocks of this component per MCU (its sampling factors' product). */
  blocks: number;
  dc: HuffmanTable;
  ac: HuffmanTable;
  dcKey: number;
  acKey: number;
}

/**
 * The image's entropy-coded data as symbols, in scan order: per symbol one packed word
 * (table key << 16 | extra bits << 8 | symbol) and the extra bits' value. Typed arrays
 * and key-indexed counts: with per-frame arrays and Map lookups per symbol, the cut
 * took longer than sharp's encode of the strip.
 */
class SymbolStream {
  packed: Int32Array = new Int32Array(4096);
  extra: Int32Array = new Int32Array(4096);
  length = 0;
  /** Where each MCU's symbols end, in scan order. */
  mcuEnds: Int32Array;
  /** Per table key ((class << 4) | id), how often each symbol occurs. */
  counts: (Uint32Array | undefined)[] = [];

  constructor(mcus: number) {
    this.mcuEnds = new Int32Array(mcus);
  }

  add(key: number, symbol: number, extra: number, bits: number): void {
    if (this.length === this.packed.length) {
      this.packed = grow(this.packed);
      this.extra = grow(this.extra);
    }
    this.packed[this.length] = (key << 16) | (bits << 8) | symbol;
    this.extra[this.length++] = extra;
    (this.counts[key] ??= new Uint32Array(256))[symbol]!++;
  }
}

function grow(a: Int32Array): Int32Array {
  const grown = new Int32Array(a.length * 2);
  grown.set(a);
  return grown;
}

function cutScan(
  image: Uint8Array,
  dataAt: number,
  sos: Uint8Array,
  sof: Uint8Array,
  sofAt: number,
  kept: Uint8Array[],
  tables: Map<number, HuffmanTable>,
  frames: number,
  columns: number,
): Uint8Array[] | null {
  const height = (sof[5]! << 8) | sof[6]!, width = (sof[7]! << 8) | sof[8]!;
  const componentCount = sof[9]!;
  const sampling = new Map<number, number>();
  let maxH = 1, maxV = 1;
  for (let c = 0; c < componentCount; c++) {
    const factors = sof[11 + 3 * c]!;
    sampling.set(sof[10 + 3 * c]!, factors);
    maxH = Math.max(maxH, factors >> 4);
    maxV = Math.max(maxV, factors & 15);
  }
  const scanCount = sos[4]!, rows = Math.ceil(frames / columns);
  if (scanCount !== componentCount || height % rows !== 0 || width % columns !== 0) return null;
  const frameHeight = height / rows, frameWidth = width / columns;
  const mcuWidth = 8 * maxH, mcuHeight = 8 * maxV;
  if (frameHeight % mcuHeight !== 0 || (columns > 1 && frameWidth % mcuWidth !== 0)) return null;
  const grid: Grid = {
    columns,
    across: Math.ceil(width / mcuWidth),
    frameAcross: Math.ceil(frameWidth / mcuWidth),
    frameDown: frameHeight / mcuHeight,
    cells: rows * columns,
  };
  const components: ScanComponent[] = [];
  for (let s = 0; s < scanCount; s++) {
    const factors = sampling.get(sos[5 + 2 * s]!) ?? 0;
    const dcKey = sos[6 + 2 * s]! >> 4, acKey = 0x10 | (sos[6 + 2 * s]! & 15);
    const dc = tables.get(dcKey), ac = tables.get(acKey);
    if (!factors || !dc || !ac) return null;
    components.push({ blocks: (factors >> 4) * (factors & 15), dc, ac, dcKey, acKey });
  }
  let stream: SymbolStream;
  try {
    stream = readScan(new BitReader(image, dataAt), components, grid);
  } catch {
    return null; // data that ran out or does not decode
  }
  // New tables fitted to what the frames code, shared by all of them: the image's own
  // may lack a DC category that a frame's first block now needs, and the standard
  // tables cost ~300 bytes more per frame than fitted ones.
  const fitted = new Map<number, HuffmanTable>();
  stream.counts.forEach((freq, key) => freq && fitted.set(key, fittedTable(freq)));
  const byKey: HuffmanTable[] = [];
  for (const [key, table] of fitted) byKey[key] = table;
  const frameSof = sof.slice(); // every frame's header is the image's, with its size
  frameSof[5] = frameHeight >> 8;
  frameSof[6] = frameHeight & 255;
  frameSof[7] = frameWidth >> 8;
  frameSof[8] = frameWidth & 255;
  const header = [
    new Uint8Array([0xff, SOI]),
    ...kept.with(sofAt, frameSof).filter((segment) => segment[1] !== DHT),
    huffmanSegment(fitted),
    sos,
  ];
  const { packed, extra, mcuEnds } = stream;
  const writer = new BitWriter();
  return Array.from({ length: frames }, (_, f) => {
    // Frame f's MCUs, row by row of its cell, as scan-order indices of the image.
    const top = Math.floor(f / columns) * grid.frameDown;
    const left = (f % columns) * grid.frameAcross;
    for (let r = top; r < top + grid.frameDown; r++) {
      const from = r * grid.across + left, to = from + grid.frameAcross;
      for (let i = from === 0 ? 0 : mcuEnds[from - 1]!; i < mcuEnds[to - 1]!; i++) {
        const word = packed[i]!, table = byKey[word >> 16]!, symbol = word & 255;
        writer.bits(table.code[symbol]!, table.length[symbol]!);
        writer.bits(extra[i]!, (word >> 8) & 255);
      }
    }
    return concat([...header, writer.finish(), new Uint8Array([0xff, EOI])]);
  });
}

/** The image's MCUs and how frames tile them. */
interface Grid {
  /** Frames across. */
  columns: number;
  /** MCUs across the image, and across and down one frame. */
  across: number;
  frameAcross: number;
  frameDown: number;
  /** Grid cells, frames and empty ones. */
  cells: number;
}

/** The cell (frame) that the MCU at row `r`, column `c` of the image belongs to. */
function cellOf(grid: Grid, r: number, c: number): number {
  return Math.floor(r / grid.frameDown) * grid.columns + Math.floor(c / grid.frameAcross);
}

/** Decodes the image's scan, re-basing each frame's DC predictors on its own blocks. */
function readScan(reader: BitReader, components: ScanComponent[], grid: Grid): SymbolStream {
  const down = grid.frameDown * (grid.cells / grid.columns);
  const out = new SymbolStream(down * grid.across);
  const scanDc = new Int32Array(components.length); // predictors over the whole image
  // Per cell: a fresh image predicts from zero, then from its own previous block.
  const frameDc = new Int32Array(grid.cells * components.length);
  for (let r = 0, m = 0; r < down; r++) {
    for (let c = 0; c < grid.across; c++, m++) {
      const dcAt = cellOf(grid, r, c) * components.length;
      for (let s = 0; s < components.length; s++) {
        const comp = components[s]!;
        for (let b = 0; b < comp.blocks; b++) {
          scanDc[s] = scanDc[s]! + reader.value(reader.symbol(comp.dc));
          const diff = scanDc[s]! - frameDc[dcAt + s]!;
          frameDc[dcAt + s] = scanDc[s]!;
          const size = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
          out.add(comp.dcKey, size, diff < 0 ? diff + (1 << size) - 1 : diff, size);
          // The 63 AC coefficients: run/size symbols and their bits, as they are.
          for (let k = 1; k < 64;) {
            const symbol = reader.symbol(comp.ac), bits = symbol & 15;
            out.add(comp.acKey, symbol, reader.bits(bits), bits);
            if (bits === 0 && symbol !== 0xf0) break; // end of block (0xf0: 16 zeros)
            k += (symbol >> 4) + 1;
          }
        }
      }
      out.mcuEnds[m] = out.length;
    }
  }
  return out;
}

/**
 * A Huffman table fitted to symbol counts with code lengths of at most 16 bits (ITU
 * T.81, K.2 and K.3). A reserved symbol keeps any code from being all 1 bits.
 */
function fittedTable(freq: Uint32Array): HuffmanTable {
  const f = [...freq, 1]; // index 256: the reserved symbol
  const size = new Array<number>(257).fill(0), next = new Array<number>(257).fill(-1);
  // The symbols still to merge, in ascending order (which the ties below depend on).
  // Scanning these rather than all 257 made fitting a preview's tables 3x faster.
  const live = [...f.keys()].filter((i) => f[i]! > 0);
  for (;;) {
    let a = -1, b = -1; // the two least frequent live symbols, f[a] <= f[b]
    for (const i of live) {
      if (a < 0 || f[i]! <= f[a]!) [a, b] = [i, a];
      else if (b < 0 || f[i]! <= f[b]!) b = i;
    }
    if (b < 0) break;
    f[a] = f[a]! + f[b]!;
    f[b] = 0;
    live.splice(live.indexOf(b), 1);
    // Every symbol under either merged node moves one level deeper; b's chain joins a's.
    let i = a;
    for (size[i]!++; next[i] !== -1; size[i]!++) i = next[i]!;
    next[i] = b;
    for (let j = b; j !== -1; j = next[j]!) size[j]!++;
  }
  const bits = new Array<number>(33).fill(0);
  for (let i = 0; i <= 256; i++) if (size[i]) bits[size[i]!]!++;
  for (let i = 32; i > 16; i--) { // K.3: fold codes longer than 16 bits up the tree
    while (bits[i]! > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i]! -= 2;
      bits[i - 1]!++;
      bits[j + 1]! += 2;
      bits[j]!--;
    }
  }
  let longest = 16;
  while (bits[longest] === 0) longest--;
  bits[longest]!--; // drop the reserved symbol's code
  const symbols = [...Array(256).keys()]
    .filter((s) => freq[s]! > 0)
    .sort((x, y) => size[x]! - size[y]! || x - y);
  const segment = new Uint8Array(17 + symbols.length);
  segment.set(bits.slice(1, 17), 1);
  segment.set(symbols, 17);
  return readHuffmanTable(segment, 0);
}

/** One DHT segment holding every table, each under its key ((class << 4) | id). */
function huffmanSegment(tables: Map<number, HuffmanTable>): Uint8Array {
  const parts = [...tables].map(([key, t]) =>
    new Uint8Array([key, ...t.count.subarray(1), ...t.symbols])
  );
  const length = 2 + parts.reduce((n, p) => n + p.length, 0);
  return concat([new Uint8Array([0xff, DHT, length >> 8, length & 255]), ...parts]);
}

/**
 * Entropy-coded data, MSB first, with the 0xFF00 byte stuffing undone. Reads a byte at a
 * time into a 32-bit window (bit by bit, the cut took longer than sharp's encode). Past
 * the scan's end (a marker) the window fills with zeros; reading any of them throws.
 */
class BitReader {
  #data: Uint8Array;
  #at: number;
  /** The window: its low `#count` bits are unread, of which the last `#padding` are past the end. */
  #acc = 0;
  #count = 0;
  #padding = 0;

  constructor(data: Uint8Array, at: number) {
    this.#data = data;
    this.#at = at;
  }

  /** Tops the window up to at least 25 bits. */
  #fill(): void {
    while (this.#count <= 24) {
      let byte = this.#data[this.#at];
      if (byte === 0xff && this.#data[this.#at + 1] === 0) this.#at += 2;
      else if (byte === undefined || byte === 0xff) { // the end, or a marker inside the scan
        byte = 0;
        this.#padding += 8;
      } else this.#at++;
      this.#acc = (this.#acc << 8) | byte;
      this.#count += 8;
    }
  }

  #skip(n: number): void {
    this.#count -= n;
    if (this.#count < this.#padding) throw new RangeError("JPEG data ended mid-scan");
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.#count < n) this.#fill();
    const v = (this.#acc >>> (this.#count - n)) & ((1 << n) - 1);
    this.#skip(n);
    return v;
  }

  symbol(t: HuffmanTable): number {
    if (this.#count < 16) this.#fill();
    const hit = t.lookup[(this.#acc >>> (this.#count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)]!;
    if (hit !== 0) {
      this.#skip(hit >> 8);
      return hit & 255;
    }
    for (let l = LOOKUP_BITS + 1; l <= 16; l++) {
      const index = ((this.#acc >>> (this.#count - l)) & ((1 << l) - 1)) - t.first[l]!;
      if (index >= 0 && index < t.count[l]!) {
        this.#skip(l);
        return t.symbols[t.offset[l]! + index]!;
      }
    }
    throw new RangeError("invalid Huffman code");
  }

  /** A DC difference: its size category, then that many bits (F.2.2.1's EXTEND). */
  value(size: number): number {
    if (size === 0) return 0;
    const v = this.bits(size);
    return v < 1 << (size - 1) ? v - (1 << size) + 1 : v;
  }
}

/** Entropy-coded data out, MSB first, with 0xFF bytes stuffed. */
class BitWriter {
  #bytes = new Uint8Array(1024);
  #length = 0;
  #acc = 0;
  #count = 0;

  /** Writes the low `n` (at most 16) bits of `value`. */
  bits(value: number, n: number): void {
    this.#acc = (this.#acc << n) | (value & ((1 << n) - 1));
    this.#count += n;
    while (this.#count >= 8) {
      this.#count -= 8;
      this.#push((this.#acc >>> this.#count) & 255);
    }
  }

  /**
   * The data, padded with 1 bits to a whole byte as the standard asks; a view that the
   * next write reuses (one writer serves every frame).
   */
  finish(): Uint8Array {
    if (this.#count) this.bits(0xff, 8 - this.#count);
    const data = this.#bytes.subarray(0, this.#length);
    this.#length = this.#count = this.#acc = 0;
    return data;
  }

  #push(byte: number): void {
    if (this.#length + 2 > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes[this.#length++] = byte;
    if (byte === 0xff) this.#bytes[this.#length++] = 0; // stuffing: 0xFF in data is 0xFF00
  }
}
