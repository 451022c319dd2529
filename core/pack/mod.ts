/**
 * @module
 * Model packs (`emerge-pack/1`): the manifest schema, the tokenizer, the loader that
 * opens every ONNX session once, and the Backend that runs them.
 */
export {
  type ComponentName,
  type ComponentSpec,
  type Manifest,
  parseManifest,
  TENSOR_CONTRACT,
} from "./manifest.ts";
export { type Device, loadPack, type Pack, type PackOptions } from "./load.ts";
export { PackTokenizer, type TokenizedText } from "./tokenizer.ts";
export { OnnxBackend } from "./onnx_backend.ts";
