// Token embedding as its own graph (`embed_tokens*.onnx`): input_ids int64 [batch, sequence] ->
// inputs_embeds float32 [batch, sequence, hidden]. Kept apart from the decoder so the runtime can
// place vision features at the image/video pad tokens before the decoder runs.
import type { TextConfig } from '../../model-format/model-config.js';
import { ElementType, attribute } from '../onnx/onnx-types.js';
import { encodeFloatTensor } from './weight-format.js';
import type { LayerWriter } from './layer-writer.js';

export async function writeEmbedGraph(layers: LayerWriter, text: TextConfig): Promise<void> {
  const graph = layers.graph;
  const inputIds = graph.input('input_ids', ElementType.int64, ['batch_size', 'sequence_length']);
  const table = await layers.readWeight('model.embed_tokens.weight', [text.vocabSize, text.hiddenSize]);
  // q4 models keep the table in float16: a gather reads one row per token, so the table's size
  // matters (memory, load time) and its speed does not.
  const tableType = layers.format === 'fp32' ? ElementType.float32 : ElementType.float16;
  const weight = graph.weight(
    'model.embed_tokens.weight',
    tableType,
    [text.vocabSize, text.hiddenSize],
    encodeFloatTensor(table, tableType),
  );
  const gathered = graph.op1('Gather', [weight, inputIds], { axis: attribute.int(0) });
  const embeds =
    tableType === ElementType.float32
      ? gathered
      : graph.op1('Cast', [gathered], { to: attribute.int(ElementType.float32) });
  graph.output('inputs_embeds', embeds, ElementType.float32, ['batch_size', 'sequence_length', text.hiddenSize]);
}
