/**
 * Whether this host stores numbers little-endian, as every file format here does (safetensors,
 * ONNX raw_data, TF.js weights): then a file's bytes are used as they are.
 *
 * NOTE: a function, so that `const LITTLE_ENDIAN = /* @__PURE__ *\/ littleEndian()` is one pure call
 * a bundler can drop from a module that is imported for something else.
 */
export function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
