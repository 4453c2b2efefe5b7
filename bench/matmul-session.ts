// Shared by bench/matmul-q4.ts and bench/matmul-int8.ts: one variant of a [rows, k] x [k, n] product
// as an ONNX graph, loaded into an onnxruntime session the way the server runs its graphs.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/convert/onnx/graph-builder.js';
import { ElementType } from '../src/convert/onnx/onnx-types.js';

export interface MatMulVariant {
  label: string;
  /** Adds the weight initializers and nodes; returns the output value's name. */
  build: (graph: GraphBuilder, input: string) => string;
}

/** The variant's graph written to `directory`, loaded, and its files removed again. */
export async function createMatMulSession(
  directory: string,
  variant: MatMulVariant,
  k: number,
  n: number,
  threads: number,
): Promise<ort.InferenceSession> {
  const fileName = 'matmul.onnx';
  const graph = new GraphBuilder({ graphName: 'matmul', directory, fileName, producerVersion: 'bench' });
  const input = graph.input('a', ElementType.float32, ['rows', k]);
  graph.output('y', variant.build(graph, input), ElementType.float32, ['rows', n]);
  const files = graph.save();
  try {
    return await ort.InferenceSession.create(join(directory, fileName), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } finally {
    // ORT has read (or mapped) the files; unlinking keeps a 1 GiB lm_head off the disk.
    for (const file of files) rmSync(join(directory, file), { force: true });
  }
}
