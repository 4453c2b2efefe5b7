// The subset of ONNX's data model the converter writes (onnx/onnx.proto3, IR version 8+).

/** TensorProto.DataType values. */
export const ElementType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
} as const;
export type ElementType = (typeof ElementType)[keyof typeof ElementType];

export function elementByteWidth(type: ElementType): number {
  switch (type) {
    case ElementType.float32:
    case ElementType.int32:
      return 4;
    case ElementType.int64:
      return 8;
    case ElementType.float16:
      return 2;
    case ElementType.uint8:
    case ElementType.int8:
    case ElementType.bool:
      return 1;
  }
}

/** A dimension: a fixed size or a symbolic name such as "batch_size". */
export type Dimension = number | string;

export interface ValueInfo {
  name: string;
  elementType: ElementType;
  shape: Dimension[];
  docString?: string;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: TensorData };

/** Helpers that make an attribute's ONNX type explicit (a JS number is ambiguous). */
export const attribute = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
  tensor: (value: TensorData): AttributeValue => ({ kind: 'tensor', value }),
};

export interface NodeSpec {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

/** Tensor bytes held in memory (little-endian), or a range of an external data file. */
export interface TensorData {
  name: string;
  elementType: ElementType;
  dims: number[];
  bytes?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface ModelSpec {
  irVersion: number;
  opsets: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString?: string;
  nodes: NodeSpec[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: TensorData[];
  metadata: Record<string, string>;
}
