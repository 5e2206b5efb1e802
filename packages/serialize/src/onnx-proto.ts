import type { FileLocation } from "./file-error.js";
import { decodeWire, encodeWire, type MessageSpec } from "./protobuf-wire.js";

/*
 * The ONNX messages this package reads and writes, as field tables for the wire codec
 * (protobuf-wire.ts). Field numbers are those of onnx/onnx's `onnx.proto` (IR version 10); fields
 * not listed here (subgraphs, sparse tensors, training info, functions, …) are skipped when read.
 * Property names are camelCase, as protobufjs named them.
 */

/** `TensorProto.DataType` values this package meets. */
export const ONNX_DATA_TYPE = { UNDEFINED: 0, FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** `AttributeProto.AttributeType`. */
export const ONNX_ATTRIBUTE_TYPE = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** `TensorProto.DataLocation`. */
export const ONNX_DATA_LOCATION = { DEFAULT: 0, EXTERNAL: 1 } as const;

/*
 * A decoded message: scalar and message fields are optional (absent from the file, absent here),
 * repeated fields are always arrays; repeated floats and doubles are typed arrays.
 */

/** `StringStringEntryProto`: metadata_props, external_data. */
export interface OnnxStringEntry {
  key?: string;
  value?: string;
}

/** `OperatorSetIdProto`. */
export interface OnnxOperatorSet {
  domain?: string;
  version?: number;
}

/** `TensorProto`: an initializer or a constant. */
export interface OnnxTensor {
  dims: number[];
  dataType?: number;
  floatData: Float32Array;
  int32Data: number[];
  int64Data: number[];
  name?: string;
  /** A view of the file's bytes, little-endian values. */
  rawData?: Uint8Array;
  doubleData: Float64Array;
  docString?: string;
  externalData: OnnxStringEntry[];
  dataLocation?: number;
}

/** `TensorShapeProto.Dimension`: a number or a symbolic name. */
export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

/** `TensorShapeProto`. */
export interface OnnxTensorShape {
  dim: OnnxDimension[];
}

/** `TypeProto.Tensor`. */
export interface OnnxTensorType {
  elemType?: number;
  shape?: OnnxTensorShape;
}

/** `TypeProto` (tensors only; sequences and maps are skipped). */
export interface OnnxType {
  tensorType?: OnnxTensorType;
  denotation?: string;
}

/** `ValueInfoProto`: a graph input or output. */
export interface OnnxValueInfo {
  name?: string;
  type?: OnnxType;
  docString?: string;
}

/** `AttributeProto` (subgraphs and sparse tensors are skipped). */
export interface OnnxAttribute {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: Float32Array;
  ints: number[];
  strings: Uint8Array[];
  tensors: OnnxTensor[];
  docString?: string;
  type?: number;
  refAttrName?: string;
}

/** `NodeProto`. */
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  attribute: OnnxAttribute[];
  docString?: string;
  domain?: string;
}

/** `GraphProto`. */
export interface OnnxGraph {
  node: OnnxNode[];
  name?: string;
  initializer: OnnxTensor[];
  docString?: string;
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

/** `ModelProto`: the whole file. */
export interface OnnxModel {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: OnnxGraph;
  opsetImport: OnnxOperatorSet[];
  metadataProps: OnnxStringEntry[];
}

/**
 * What the encoder takes: any field may be left out; lists may be read-only, numbers any
 * array-like.
 */
export type OnnxDraft<T> = T extends Uint8Array
  ? Uint8Array
  : T extends Float32Array | Float64Array
    ? ArrayLike<number>
    : T extends readonly (infer U)[]
      ? readonly OnnxDraft<U>[]
      : T extends object
        ? { readonly [K in keyof T]?: OnnxDraft<T[K]> }
        : T;

// Tables in field-number order: the encoder writes fields in this order, as protobufjs did.
const STRING_ENTRY: MessageSpec = { fields: [{ number: 1, key: "key", kind: "string" }, { number: 2, key: "value", kind: "string" }] };
const OPERATOR_SET: MessageSpec = { fields: [{ number: 1, key: "domain", kind: "string" }, { number: 2, key: "version", kind: "int64" }] };
const TENSOR: MessageSpec = {
  fields: [
    { number: 1, key: "dims", kind: "int64", repeated: true },
    { number: 2, key: "dataType", kind: "int32" },
    { number: 4, key: "floatData", kind: "float", repeated: true },
    { number: 5, key: "int32Data", kind: "int32", repeated: true },
    { number: 7, key: "int64Data", kind: "int64", repeated: true },
    { number: 8, key: "name", kind: "string" },
    { number: 9, key: "rawData", kind: "bytes" },
    { number: 10, key: "doubleData", kind: "double", repeated: true },
    { number: 12, key: "docString", kind: "string" },
    { number: 13, key: "externalData", kind: STRING_ENTRY, repeated: true },
    { number: 14, key: "dataLocation", kind: "int32" },
  ],
};
const DIMENSION: MessageSpec = {
  fields: [
    { number: 1, key: "dimValue", kind: "int64" },
    { number: 2, key: "dimParam", kind: "string" },
    { number: 3, key: "denotation", kind: "string" },
  ],
};
const TENSOR_SHAPE: MessageSpec = { fields: [{ number: 1, key: "dim", kind: DIMENSION, repeated: true }] };
const TENSOR_TYPE: MessageSpec = { fields: [{ number: 1, key: "elemType", kind: "int32" }, { number: 2, key: "shape", kind: TENSOR_SHAPE }] };
const TYPE: MessageSpec = { fields: [{ number: 1, key: "tensorType", kind: TENSOR_TYPE }, { number: 6, key: "denotation", kind: "string" }] };
const VALUE_INFO: MessageSpec = {
  fields: [
    { number: 1, key: "name", kind: "string" },
    { number: 2, key: "type", kind: TYPE },
    { number: 3, key: "docString", kind: "string" },
  ],
};
const ATTRIBUTE: MessageSpec = {
  fields: [
    { number: 1, key: "name", kind: "string" },
    { number: 2, key: "f", kind: "float" },
    { number: 3, key: "i", kind: "int64" },
    { number: 4, key: "s", kind: "bytes" },
    { number: 5, key: "t", kind: TENSOR },
    { number: 7, key: "floats", kind: "float", repeated: true },
    { number: 8, key: "ints", kind: "int64", repeated: true },
    { number: 9, key: "strings", kind: "bytes", repeated: true },
    { number: 10, key: "tensors", kind: TENSOR, repeated: true },
    { number: 13, key: "docString", kind: "string" },
    { number: 20, key: "type", kind: "int32" },
    { number: 21, key: "refAttrName", kind: "string" },
  ],
};
const NODE: MessageSpec = {
  fields: [
    { number: 1, key: "input", kind: "string", repeated: true },
    { number: 2, key: "output", kind: "string", repeated: true },
    { number: 3, key: "name", kind: "string" },
    { number: 4, key: "opType", kind: "string" },
    { number: 5, key: "attribute", kind: ATTRIBUTE, repeated: true },
    { number: 6, key: "docString", kind: "string" },
    { number: 7, key: "domain", kind: "string" },
  ],
};
const GRAPH: MessageSpec = {
  fields: [
    { number: 1, key: "node", kind: NODE, repeated: true },
    { number: 2, key: "name", kind: "string" },
    { number: 5, key: "initializer", kind: TENSOR, repeated: true },
    { number: 10, key: "docString", kind: "string" },
    { number: 11, key: "input", kind: VALUE_INFO, repeated: true },
    { number: 12, key: "output", kind: VALUE_INFO, repeated: true },
    { number: 13, key: "valueInfo", kind: VALUE_INFO, repeated: true },
  ],
};
const MODEL: MessageSpec = {
  fields: [
    { number: 1, key: "irVersion", kind: "int64" },
    { number: 2, key: "producerName", kind: "string" },
    { number: 3, key: "producerVersion", kind: "string" },
    { number: 4, key: "domain", kind: "string" },
    { number: 5, key: "modelVersion", kind: "int64" },
    { number: 6, key: "docString", kind: "string" },
    { number: 7, key: "graph", kind: GRAPH },
    { number: 8, key: "opsetImport", kind: OPERATOR_SET, repeated: true },
    { number: 14, key: "metadataProps", kind: STRING_ENTRY, repeated: true },
  ],
};

/**
 * An ONNX file's `ModelProto`.
 * @throws BackpropError `INVALID_FILE` naming the file, the field and the byte offset
 */
export function decodeOnnxModel(bytes: Uint8Array, loc: FileLocation = {}): OnnxModel {
  // NOTE: the cast is the table's promise: decodeWire builds exactly the fields MODEL lists.
  return decodeWire(bytes, MODEL, loc, "ONNX") as unknown as OnnxModel;
}

/** The bytes of an ONNX file. @throws BackpropError `INVALID_ARGUMENT` for a value its field cannot hold */
export function encodeOnnxModel(model: OnnxDraft<OnnxModel>): Uint8Array {
  return encodeWire(model, MODEL);
}

/** A lone `TensorProto` (the `.pb` files of ONNX's test data sets). */
export function decodeOnnxTensor(bytes: Uint8Array, loc: FileLocation = {}): OnnxTensor {
  return decodeWire(bytes, TENSOR, loc, "ONNX tensor") as unknown as OnnxTensor;
}

/** The bytes of a lone `TensorProto`. */
export function encodeOnnxTensor(tensor: OnnxDraft<OnnxTensor>): Uint8Array {
  return encodeWire(tensor, TENSOR);
}
