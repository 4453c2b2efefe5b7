// Writes the building blocks every Qwen2.5-VL graph shares (linear layers in each weight format,
// RMSNorm, SiLU-gated MLPs, rotate-half rotary) into a GraphBuilder, reading weights on demand.
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { MICROSOFT_DOMAIN } from '../onnx/graph-builder.js';
import { ElementType, attribute } from '../onnx/onnx-types.js';
import { readChecked, type TensorSource } from '../tensor-source.js';
import { encodeFloatTensor, encodeLinearWeight, type WeightFormat, type Q4Settings } from './weight-format.js';

export interface LinearSpec {
  /** Parameter prefix, e.g. `visual.blocks.0.attn.qkv` (reads `.weight` and `.bias`). */
  prefix: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

export class LayerWriter {
  readonly computeType: ElementType;

  constructor(
    readonly graph: GraphBuilder,
    private readonly source: TensorSource,
    readonly format: WeightFormat,
    private readonly q4: Q4Settings,
  ) {
    this.computeType = format === 'fp16' ? ElementType.float16 : ElementType.float32;
  }

  /** A float tensor (norm weight, bias) stored in the compute type. */
  floatWeight(name: string, values: Float32Array, dims: number[]): string {
    return this.graph.weight(name, this.computeType, dims, encodeFloatTensor(values, this.computeType));
  }

  /** A scalar constant in the compute type. */
  scalar(value: number): string {
    return this.graph.constant(this.computeType, [], encodeFloatTensor(Float32Array.of(value), this.computeType));
  }

  /** Reads a checkpoint tensor after checking its shape. */
  readWeight(name: string, shape: number[]): Promise<Float32Array> {
    return readChecked(this.source, name, shape);
  }

  /** `x @ W.T + b` for one Linear. */
  async linear(x: string, spec: LinearSpec): Promise<string> {
    return this.fusedLinear(x, [spec], spec.prefix);
  }

  /**
   * Several Linears that read the same input, fused into one matrix multiplication (q/k/v,
   * gate/up). Their outputs are concatenated along the last axis in the order given.
   */
  async fusedLinear(x: string, specs: LinearSpec[], name: string): Promise<string> {
    const inFeatures = specs[0]!.inFeatures;
    const outFeatures = specs.reduce((sum, spec) => sum + spec.outFeatures, 0);
    const weight = new Float32Array(outFeatures * inFeatures);
    let row = 0;
    for (const spec of specs) {
      weight.set(
        await readChecked(this.source, `${spec.prefix}.weight`, [spec.outFeatures, spec.inFeatures]),
        row * inFeatures,
      );
      row += spec.outFeatures;
    }
    let bias: Float32Array | undefined;
    if (specs.some((spec) => spec.bias)) {
      bias = new Float32Array(outFeatures);
      let offset = 0;
      for (const spec of specs) {
        if (spec.bias) bias.set(await readChecked(this.source, `${spec.prefix}.bias`, [spec.outFeatures]), offset);
        offset += spec.outFeatures;
      }
    }
    return this.matmul(x, weight, outFeatures, inFeatures, name, bias);
  }

  /** `x @ W.T` for a weight already in memory, laid out [out, in] as PyTorch stores Linear weights. */
  matmul(
    x: string,
    weight: Float32Array,
    outFeatures: number,
    inFeatures: number,
    name: string,
    bias?: Float32Array,
  ): string {
    const product = this.product(x, weight, outFeatures, inFeatures, name, bias);
    if (bias === undefined || product.biased) return product.output;
    return this.graph.op1('Add', [product.output, this.floatWeight(`${name}.bias`, bias, [outFeatures])]);
  }

  /** The product in this writer's format; `biased` when the operator added the bias itself. */
  private product(
    x: string,
    weight: Float32Array,
    outFeatures: number,
    inFeatures: number,
    name: string,
    bias: Float32Array | undefined,
  ): { output: string; biased: boolean } {
    const encoded = encodeLinearWeight(weight, outFeatures, inFeatures, this.format, this.q4);
    if (encoded.kind === 'int8') {
      // DynamicQuantizeMatMul(A, B, b_scale, b_zero_point = none: symmetric, bias).
      const inputs = [
        x,
        this.graph.weight(`${name}.weight_int8`, ElementType.int8, [inFeatures, outFeatures], encoded.values),
        this.graph.weight(`${name}.weight_scales`, ElementType.float32, [outFeatures], encoded.scales),
      ];
      if (bias !== undefined) inputs.push('', this.floatWeight(`${name}.bias`, bias, [outFeatures]));
      return { output: this.graph.op1('DynamicQuantizeMatMul', inputs, {}, MICROSOFT_DOMAIN), biased: true };
    }
    if (encoded.kind === 'dense') {
      const initializer = this.graph.weight(
        `${name}.weight`,
        encoded.elementType,
        [inFeatures, outFeatures],
        encoded.bytes,
      );
      return { output: this.graph.op1('MatMul', [x, initializer]), biased: false };
    }
    const packed = this.graph.weight(
      `${name}.weight_q4`,
      ElementType.uint8,
      [outFeatures, encoded.blockCount, encoded.blockSize / 2],
      encoded.packed,
    );
    const scales = this.graph.weight(
      `${name}.weight_scales`,
      ElementType.float32,
      [outFeatures * encoded.blockCount],
      encoded.scales,
    );
    const inputs = [x, packed, scales];
    if (encoded.zeroPoints !== undefined) {
      inputs.push(
        this.graph.weight(
          `${name}.weight_zero_points`,
          ElementType.uint8,
          [encoded.zeroPoints.byteLength],
          encoded.zeroPoints,
        ),
      );
    }
    const output = this.graph.op1(
      'MatMulNBits',
      inputs,
      {
        K: attribute.int(inFeatures),
        N: attribute.int(outFeatures),
        bits: attribute.int(4),
        block_size: attribute.int(encoded.blockSize),
        accuracy_level: attribute.int(this.q4.accuracyLevel),
      },
      MICROSOFT_DOMAIN,
    );
    return { output, biased: false };
  }

  /**
   * RMSNorm as Qwen2RMSNorm computes it: in float32, `x * rsqrt(mean(x^2) + eps) * weight`.
   * onnxruntime's SimplifiedLayerNormalization is that formula, fused, with a float32 stash.
   */
  async rmsNorm(x: string, weightName: string, size: number, epsilon: number): Promise<string> {
    const weight = this.floatWeight(weightName, await readChecked(this.source, weightName, [size]), [size]);
    return this.graph.op1('SimplifiedLayerNormalization', [x, weight], {
      axis: attribute.int(-1),
      epsilon: attribute.float(epsilon),
      stash_type: attribute.int(1),
    });
  }

  silu(x: string): string {
    return this.graph.op1('Mul', [x, this.graph.op1('Sigmoid', [x])]);
  }

  /**
   * Qwen2's MLP: `down(silu(gate(x)) * up(x))`, with gate and up fused into one product.
   */
  async gatedMlp(
    x: string,
    prefix: string,
    hiddenSize: number,
    intermediateSize: number,
    bias: boolean,
  ): Promise<string> {
    const gateUp = await this.fusedLinear(
      x,
      [
        { prefix: `${prefix}.gate_proj`, inFeatures: hiddenSize, outFeatures: intermediateSize, bias },
        { prefix: `${prefix}.up_proj`, inFeatures: hiddenSize, outFeatures: intermediateSize, bias },
      ],
      `${prefix}.gate_up_proj`,
    );
    const [gate, up] = this.graph.op(
      'Split',
      [gateUp, this.graph.int64([intermediateSize, intermediateSize])],
      { axis: attribute.int(-1) },
      { outputCount: 2 },
    );
    const activated = this.graph.op1('Mul', [this.silu(gate!), up!]);
    return this.linear(activated, {
      prefix: `${prefix}.down_proj`,
      inFeatures: intermediateSize,
      outFeatures: hiddenSize,
      bias,
    });
  }

  /**
   * Rotary embedding in the rotate-half convention: `x * cos + rotate_half(x) * sin`, where
   * rotate_half(x) = [-x2, x1] over the two halves of the head dimension. `x` is [..., heads,
   * headDim]; `cos`/`sin` broadcast to it.
   */
  rotateHalfRotary(x: string, cos: string, sin: string, headDim: number): string {
    const half = headDim / 2;
    const [first, second] = this.graph.op(
      'Split',
      [x, this.graph.int64([half, half])],
      { axis: attribute.int(-1) },
      { outputCount: 2 },
    );
    const rotated = this.graph.op1('Concat', [this.graph.op1('Neg', [second!]), first!], { axis: attribute.int(-1) });
    return this.graph.op1('Add', [this.graph.op1('Mul', [x, cos]), this.graph.op1('Mul', [rotated, sin])]);
  }

  castTo(x: string, type: ElementType): string {
    return this.graph.op1('Cast', [x], { to: attribute.int(type) });
  }

  /** Casts a float32 graph input to the compute type (a no-op for float32 models). */
  fromFloat32(x: string): string {
    return this.computeType === ElementType.float32 ? x : this.castTo(x, this.computeType);
  }

  /** Casts a compute-type value to float32 for a graph output. */
  toFloat32(x: string): string {
    return this.computeType === ElementType.float32 ? x : this.castTo(x, ElementType.float32);
  }
}
