import onnxProto from "onnx-proto";

/**
 * The protobuf classes generated from the official `onnx.proto` (ONNX 1.10, via the `onnx-proto`
 * package: static code on `protobufjs/minimal`, no runtime code generation).
 */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from "onnx-proto";
import type { onnx as ProtoTypes } from "onnx-proto";
/** The message interfaces (`INodeProto`, `ITensorProto`, …). */
export type OnnxNode = ProtoTypes.INodeProto;
export type OnnxTensor = ProtoTypes.ITensorProto;
export type OnnxValueInfo = ProtoTypes.IValueInfoProto;
export type OnnxModel = ProtoTypes.IModelProto;

/** An int64 field as a number (protobufjs gives a `Long` for int64 when long.js is present). */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}
