// Builds one ONNX graph: named inputs and outputs, nodes with unique names, small constants held
// inline and large weights streamed to an external data file as they are added.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeModel } from './onnx-serializer.js';
import {
  ElementType,
  type AttributeValue,
  type Dimension,
  type ModelSpec,
  type NodeSpec,
  type TensorData,
  type ValueInfo,
} from './onnx-types.js';
import { ExternalWeightFile } from './weight-file.js';

/** Initializers at least this large go to the external data file while the graph is built. */
const EXTERNAL_TENSOR_MIN_BYTES = 1024;
/**
 * Models whose weights total less than this are written as one self-contained .onnx file;
 * larger ones keep the `.onnx_data` file (protobuf cannot exceed 2 GiB, and big weights are
 * better memory-mapped).
 */
export const INLINE_WEIGHTS_MAX_BYTES = 512 * 1024 * 1024;

export const OPSET_VERSION = 17;
export const MICROSOFT_DOMAIN = 'com.microsoft';
const IR_VERSION = 8;

export interface OpOptions {
  domain?: string;
  /** Number of outputs (default 1); ignored when `outputs` names them. */
  outputCount?: number;
  outputs?: string[];
}

export interface GraphBuilderOptions {
  graphName: string;
  directory: string;
  /** e.g. `decoder_model_merged_q4.onnx`; the weights go to `<fileName>_data`. */
  fileName: string;
  producerVersion: string;
  metadata?: Record<string, string>;
}

export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: TensorData[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constantCache = new Map<string, string>();
  private readonly weights: ExternalWeightFile;
  private readonly scopes: string[] = [];
  private readonly usesMicrosoftDomain = { value: false };

  constructor(private readonly options: GraphBuilderOptions) {
    this.weights = new ExternalWeightFile(options.directory, `${options.fileName}_data`);
  }

  input(name: string, elementType: ElementType, shape: Dimension[], docString?: string): string {
    this.claim(name);
    this.inputs.push({ name, elementType, shape, ...(docString === undefined ? {} : { docString }) });
    return name;
  }

  /** Declares `value` as the graph output `name` (renaming through Identity when they differ). */
  output(name: string, value: string, elementType: ElementType, shape: Dimension[]): void {
    if (value !== name) this.op('Identity', [value], {}, { outputs: [name] });
    this.outputs.push({ name, elementType, shape });
  }

  /** Adds a weight. Large ones are appended to the external data file immediately. */
  weight(name: string, elementType: ElementType, dims: number[], bytes: Uint8Array): string {
    this.claim(name);
    if (bytes.byteLength >= EXTERNAL_TENSOR_MIN_BYTES) {
      this.initializers.push({ name, elementType, dims, external: this.weights.append(bytes) });
    } else {
      this.initializers.push({ name, elementType, dims, bytes: bytes.slice() });
    }
    return name;
  }

  /** A small int64 constant (shapes, axes, indices); identical constants are shared. */
  int64(values: readonly number[], dims: number[] = [values.length]): string {
    const bytes = new Uint8Array(new BigInt64Array(values.map((value) => BigInt(value))).buffer);
    return this.constant(ElementType.int64, dims, bytes);
  }

  /** A small float32 constant; a scalar when `dims` is []. */
  float32(values: readonly number[], dims: number[] = [values.length]): string {
    return this.constant(ElementType.float32, dims, new Uint8Array(new Float32Array(values).buffer));
  }

  /** A small constant of any type from raw little-endian bytes. */
  constant(elementType: ElementType, dims: number[], bytes: Uint8Array): string {
    const key = `${elementType}:${dims.join('x')}:${Buffer.from(bytes).toString('base64')}`;
    const cached = this.constantCache.get(key);
    if (cached !== undefined) return cached;
    const name = this.uniqueName('const');
    this.claim(name);
    this.initializers.push({ name, elementType, dims, bytes: bytes.slice() });
    this.constantCache.set(key, name);
    return name;
  }

  /** Adds a node and returns its output names. An empty string input means "absent optional". */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    options: OpOptions = {},
  ): string[] {
    const domain = options.domain ?? '';
    if (domain === MICROSOFT_DOMAIN) this.usesMicrosoftDomain.value = true;
    const name = this.uniqueName(opType);
    this.claim(name);
    const outputs =
      options.outputs ?? Array.from({ length: options.outputCount ?? 1 }, (_, index) => `${name}/output_${index}`);
    for (const output of outputs) this.claim(output);
    this.nodes.push({ opType, domain, name, inputs, outputs, attributes });
    return outputs;
  }

  /** Like `op` for the common single-output case. */
  op1(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): string {
    const [output] = this.op(opType, inputs, attributes, { domain });
    return output!;
  }

  /** Runs `build` with node names prefixed by `/scope` (e.g. `/model/layers.3/attn`). */
  scoped<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    let result: T;
    try {
      result = build();
    } catch (error) {
      this.scopes.pop();
      throw error;
    }
    if (result instanceof Promise) {
      // Graphs are built one awaited step at a time, so the scope stays valid until it settles.
      return result.finally(() => this.scopes.pop()) as T;
    }
    this.scopes.pop();
    return result;
  }

  /**
   * Writes `<fileName>` (and `<fileName>_data` when the weights are large) and returns the
   * names of the files written.
   */
  save(): string[] {
    this.weights.close();
    let initializers = this.initializers;
    const files = [this.options.fileName];
    if (!this.weights.isEmpty && this.weights.byteLength <= INLINE_WEIGHTS_MAX_BYTES) {
      const data = readFileSync(this.weights.path);
      initializers = initializers.map((tensor) => {
        if (tensor.external === undefined) return tensor;
        const { offset, length } = tensor.external;
        return {
          name: tensor.name,
          elementType: tensor.elementType,
          dims: tensor.dims,
          bytes: data.subarray(offset, offset + length),
        };
      });
      rmSync(this.weights.path);
    } else if (!this.weights.isEmpty) {
      files.push(this.weights.fileName);
    }
    const model: ModelSpec = {
      irVersion: IR_VERSION,
      opsets: [
        { domain: '', version: OPSET_VERSION },
        ...(this.usesMicrosoftDomain.value ? [{ domain: MICROSOFT_DOMAIN, version: 1 }] : []),
      ],
      producerName: 'shotvl-server',
      producerVersion: this.options.producerVersion,
      graphName: this.options.graphName,
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      initializers,
      metadata: this.options.metadata ?? {},
    };
    writeFileSync(join(this.options.directory, this.options.fileName), serializeModel(model));
    return files;
  }

  /** Removes a partially written external data file (on failure). */
  discard(): void {
    this.weights.close();
    if (!this.weights.isEmpty) rmSync(this.weights.path, { force: true });
  }

  private uniqueName(base: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join('/')}/` : '/';
    let candidate = `${prefix}${base}`;
    for (let index = 1; this.usedNames.has(candidate); index += 1) candidate = `${prefix}${base}_${index}`;
    return candidate;
  }

  private claim(name: string): void {
    if (this.usedNames.has(name))
      throw new Error(`ONNX graph ${this.options.graphName}: duplicate value name '${name}'`);
    this.usedNames.add(name);
  }
}
