// The smallest useful ONNX model, for the last CUDA check: one `Add` node, y = x + x, with x and y
// float32 [2]. Creating a session with it loads the CUDA provider library and its CUDA/cuDNN
// dependencies and binds the device; running it makes the provider allocate device memory, launch a
// kernel and copy both ways. It takes ~100 bytes, so it is encoded here instead of being a file.
//
// src/cuda may not import src/convert (which has the project's full ONNX writer), so this file
// carries its own few lines of protobuf. Field numbers are those of onnx/onnx.proto (IR version 8):
//
//   ModelProto          1 ir_version (varint)  2 producer_name  7 graph  8 opset_import
//   OperatorSetIdProto  1 domain ("" = ai.onnx)  2 version (varint)
//   GraphProto          1 node  2 name  11 input  12 output
//   NodeProto           1 input  2 output  3 name  4 op_type
//   ValueInfoProto      1 name  2 type
//   TypeProto           1 tensor_type
//   TypeProto.Tensor    1 elem_type (varint, 1 = FLOAT)  2 shape
//   TensorShapeProto    1 dim
//   Dimension           1 dim_value (varint)

/** Names and values the probe uses; `PROBE_OUTPUT` must equal 2 * `PROBE_INPUT_VALUES`. */
export const PROBE_INPUT = 'x';
export const PROBE_OUTPUT = 'y';
export const PROBE_INPUT_VALUES: readonly number[] = [1.5, -2];

const IR_VERSION = 8; // ONNX 1.10; every onnxruntime since 1.10 reads it
const OPSET_VERSION = 13; // Add-13 has CPU and CUDA kernels for float
const FLOAT = 1;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** Wire type 0: a varint field. */
function numberField(fieldNumber: number, value: number): number[] {
  return [...varint(fieldNumber * 8), ...varint(value)];
}

/** Wire type 2: a length-delimited field (string, bytes or embedded message). */
function bytesField(fieldNumber: number, content: readonly number[]): number[] {
  return [...varint(fieldNumber * 8 + 2), ...varint(content.length), ...content];
}

function text(value: string): number[] {
  return [...new TextEncoder().encode(value)];
}

function floatVector(name: string, length: number): number[] {
  const shape = bytesField(1, numberField(1, length)); // one Dimension
  const tensorType = [...numberField(1, FLOAT), ...bytesField(2, shape)];
  return [...bytesField(1, text(name)), ...bytesField(2, bytesField(1, tensorType))];
}

/** Serialized ModelProto of y = Add(x, x). */
export function buildProbeModel(): Uint8Array {
  const length = PROBE_INPUT_VALUES.length;
  const node = [
    ...bytesField(1, text(PROBE_INPUT)),
    ...bytesField(1, text(PROBE_INPUT)),
    ...bytesField(2, text(PROBE_OUTPUT)),
    ...bytesField(3, text('double')),
    ...bytesField(4, text('Add')),
  ];
  const graph = [
    ...bytesField(1, node),
    ...bytesField(2, text('shotvl_device_probe')),
    ...bytesField(11, floatVector(PROBE_INPUT, length)),
    ...bytesField(12, floatVector(PROBE_OUTPUT, length)),
  ];
  const opset = [...bytesField(1, []), ...numberField(2, OPSET_VERSION)];
  const model = [
    ...numberField(1, IR_VERSION),
    ...bytesField(2, text('shotvl-server')),
    ...bytesField(7, graph),
    ...bytesField(8, opset),
  ];
  return Uint8Array.from(model);
}
