// Serialises a ModelSpec to ONNX's protobuf wire format. Field numbers are onnx.proto3's.
import { ProtobufWriter } from './protobuf-writer.js';
import type { AttributeValue, ModelSpec, NodeSpec, TensorData, ValueInfo } from './onnx-types.js';

const AttributeType = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
const DATA_LOCATION_EXTERNAL = 1;

function encodeTensor(tensor: TensorData): ProtobufWriter {
  const message = new ProtobufWriter();
  message.packedVarints(1, tensor.dims);
  message.varint(2, tensor.elementType);
  message.string(8, tensor.name);
  if (tensor.external !== undefined) {
    const entries: [string, string][] = [
      ['location', tensor.external.location],
      ['offset', String(tensor.external.offset)],
      ['length', String(tensor.external.length)],
    ];
    for (const [key, value] of entries) message.message(13, new ProtobufWriter().string(1, key).string(2, value));
    message.varint(14, DATA_LOCATION_EXTERNAL);
  } else {
    message.bytes(9, tensor.bytes ?? new Uint8Array(0));
  }
  return message;
}

function encodeAttribute(name: string, attribute: AttributeValue): ProtobufWriter {
  const message = new ProtobufWriter().string(1, name);
  switch (attribute.kind) {
    case 'float':
      message.float(2, attribute.value);
      break;
    case 'int':
      message.varint(3, attribute.value);
      break;
    case 'string':
      message.string(4, attribute.value);
      break;
    case 'tensor':
      message.message(5, encodeTensor(attribute.value));
      break;
    case 'floats':
      message.packedFloats(7, attribute.value);
      break;
    case 'ints':
      message.packedVarints(8, attribute.value);
      break;
  }
  message.varint(20, AttributeType[attribute.kind]);
  return message;
}

function encodeNode(node: NodeSpec): ProtobufWriter {
  const message = new ProtobufWriter();
  for (const input of node.inputs) message.string(1, input);
  for (const output of node.outputs) message.string(2, output);
  message.string(3, node.name);
  message.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) message.message(5, encodeAttribute(name, value));
  if (node.domain !== '') message.string(7, node.domain);
  return message;
}

function encodeValueInfo(info: ValueInfo): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const dimension of info.shape) {
    const dim = new ProtobufWriter();
    if (typeof dimension === 'number') dim.varint(1, dimension);
    else dim.string(2, dimension);
    shape.message(1, dim);
  }
  const tensorType = new ProtobufWriter().varint(1, info.elementType).message(2, shape);
  const type = new ProtobufWriter().message(1, tensorType);
  const message = new ProtobufWriter().string(1, info.name).message(2, type);
  if (info.docString !== undefined) message.string(3, info.docString);
  return message;
}

export function serializeModel(model: ModelSpec): Uint8Array {
  const graph = new ProtobufWriter();
  for (const node of model.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graphName);
  for (const initializer of model.initializers) graph.message(5, encodeTensor(initializer));
  for (const input of model.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.outputs) graph.message(12, encodeValueInfo(output));

  const message = new ProtobufWriter();
  message.varint(1, model.irVersion);
  message.string(2, model.producerName);
  message.string(3, model.producerVersion);
  if (model.docString !== undefined) message.string(6, model.docString);
  message.message(7, graph);
  for (const opset of model.opsets) {
    const entry = new ProtobufWriter();
    if (opset.domain !== '') entry.string(1, opset.domain);
    entry.varint(2, opset.version);
    message.message(8, entry);
  }
  for (const [key, value] of Object.entries(model.metadata)) {
    message.message(14, new ProtobufWriter().string(1, key).string(2, value));
  }
  return message.finish();
}
