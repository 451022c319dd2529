/**
 * Writes a minimal ONNX model (one element-wise node over two float inputs) as
 * protobuf bytes, so tests can prove onnxruntime-node works without a fixture file.
 * Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, ...).
 */

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function field(num: number, payload: number[] | string): number[] {
  const bytes = typeof payload === "string" ? [...new TextEncoder().encode(payload)] : payload;
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
}

function intField(num: number, value: number): number[] {
  return [...varint(num << 3), ...varint(value)];
}

/** A float tensor value info whose single axis is the symbolic dimension `n`. */
function valueInfo(name: string): number[] {
  const dim = field(1, field(2, "n"));
  const tensorType = [...intField(1, 1), ...field(2, dim)];
  return [...field(1, name), ...field(2, field(1, tensorType))];
}

/** Builds `y = op(a, b)` for a binary ONNX operator such as "Add" or "Mul". */
export function binaryOpModel(opType: string): Uint8Array {
  const node = [...field(1, "a"), ...field(1, "b"), ...field(2, "y"), ...field(4, opType)];
  const graph = [
    ...field(1, node),
    ...field(2, "tiny"),
    ...field(11, valueInfo("a")),
    ...field(11, valueInfo("b")),
    ...field(12, valueInfo("y")),
  ];
  const opset = [...field(1, ""), ...intField(2, 17)];
  return new Uint8Array([...intField(1, 8), ...field(8, opset), ...field(7, graph)]);
}

/** A float tensor value info of `rank` symbolic axes ("d0", "d1", ...). */
function valueInfoOfRank(name: string, rank: number): number[] {
  const dims = Array.from({ length: rank }, (_, i) => field(1, field(2, `d${i}`))).flat();
  const tensorType = [...intField(1, 1), ...field(2, dims)];
  return [...field(1, name), ...field(2, field(1, tensorType))];
}

/**
 * A graph whose outputs are Identity copies of inputs, with each input's rank as
 * given: a stand-in component with the right names but the wrong contract, for
 * fault tests (a rank that differs from what the engine feeds makes `run` throw).
 */
export function identityModel(
  inputs: { name: string; rank: number }[],
  outputs: { name: string; from: string; rank: number }[],
): Uint8Array {
  const nodes = outputs.flatMap((o) =>
    field(1, [...field(1, o.from), ...field(2, o.name), ...field(4, "Identity")])
  );
  const graph = [
    ...nodes,
    ...field(2, "identity"),
    ...inputs.flatMap((i) => field(11, valueInfoOfRank(i.name, i.rank))),
    ...outputs.flatMap((o) => field(12, valueInfoOfRank(o.name, o.rank))),
  ];
  const opset = [...field(1, ""), ...intField(2, 17)];
  return new Uint8Array([...intField(1, 8), ...field(8, opset), ...field(7, graph)]);
}
