import { describe, expect, it } from 'vitest';
import { WeightFormatError } from '../../src/cuda/device-errors.js';
import { chooseWeightFormat } from '../../src/cuda/weight-format-choice.js';

describe('chooseWeightFormat', () => {
  it('prefers fp16 on CUDA and the q4-int8 mix on CPU when the folder has them, without a note', () => {
    const everything = ['fp32', 'fp16', 'q4', 'int8', 'q4-int8'] as const;
    expect(chooseWeightFormat(everything, 'cuda')).toEqual({ format: 'fp16' });
    expect(chooseWeightFormat(everything, 'cpu')).toEqual({ format: 'q4-int8' });
  });

  it('on CPU without int8 weights takes q4 and says how to get the faster mix', () => {
    expect(chooseWeightFormat(['fp32', 'fp16', 'q4'], 'cpu')).toMatchObject({
      format: 'q4',
      note: expect.stringMatching(/no q4-int8 weights.*--dtype q4,int8/),
    });
    expect(chooseWeightFormat(['int8'], 'cpu')).toMatchObject({
      format: 'int8',
      note: expect.stringMatching(/twice the bytes per token/),
    });
  });

  it('offers int8 on CUDA only when it is all the folder has', () => {
    expect(chooseWeightFormat(['int8', 'q4', 'q4-int8'], 'cuda').format).toBe('q4');
    expect(chooseWeightFormat(['int8'], 'cuda')).toMatchObject({ format: 'int8', note: expect.any(String) });
  });

  it('falls back on CUDA to fp32, then q4, with a note', () => {
    const fp32 = chooseWeightFormat(['q4', 'fp32'], 'cuda');
    expect(fp32.format).toBe('fp32');
    expect(fp32.note).toMatch(/no fp16 weights.*available: q4, fp32.*twice the GPU memory/);
    const q4 = chooseWeightFormat(['q4'], 'cuda');
    expect(q4.format).toBe('q4');
    expect(q4.note).toMatch(/no fp16 weights/);
  });

  it('falls back on CPU to fp32, then fp16, with a note', () => {
    expect(chooseWeightFormat(['fp16', 'fp32'], 'cpu')).toMatchObject({
      format: 'fp32',
      note: expect.stringMatching(/no q4-int8 weights/),
    });
    expect(chooseWeightFormat(['fp16'], 'cpu')).toMatchObject({
      format: 'fp16',
      note: expect.stringMatching(/fp16 on CPU is slow/),
    });
  });

  it('honours an explicit format the folder has, noting when it is not the device default', () => {
    expect(chooseWeightFormat(['fp32', 'q4', 'int8', 'q4-int8'], 'cpu', 'q4-int8')).toEqual({ format: 'q4-int8' });
    expect(chooseWeightFormat(['fp32', 'q4'], 'cpu', 'q4')).toMatchObject({ format: 'q4', note: /as requested/ });
    expect(chooseWeightFormat(['fp32', 'q4'], 'cpu', 'fp32')).toMatchObject({
      format: 'fp32',
      note: expect.stringMatching(/as requested/),
    });
    expect(chooseWeightFormat(['fp16', 'q4'], 'cuda', 'q4')).toMatchObject({
      format: 'q4',
      note: expect.stringMatching(/as requested/),
    });
  });

  it('throws a typed error for an empty folder or a requested format that is absent', () => {
    expect(() => chooseWeightFormat([], 'cpu')).toThrow(WeightFormatError);
    expect(() => chooseWeightFormat(['q4'], 'cuda', 'fp16')).toThrow(/no fp16 weights \(available: q4\)/);
  });
});
