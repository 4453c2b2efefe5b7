import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidDeviceError } from '../../src/cuda/device-errors.js';
import { MAX_CUDA_DEVICE_ID, formatDeviceSpec, parseDeviceSpec } from '../../src/cuda/device-spec.js';

describe('parseDeviceSpec', () => {
  it('reads auto, cpu, cuda and cuda:N, ignoring case and surrounding spaces', () => {
    expect(parseDeviceSpec('auto')).toEqual({ kind: 'auto' });
    expect(parseDeviceSpec(' CPU ')).toEqual({ kind: 'cpu' });
    expect(parseDeviceSpec('cuda')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDeviceSpec('cuda:0')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDeviceSpec('CUDA:1')).toEqual({ kind: 'cuda', deviceId: 1 });
    expect(parseDeviceSpec(`cuda:${MAX_CUDA_DEVICE_ID}`)).toEqual({ kind: 'cuda', deviceId: MAX_CUDA_DEVICE_ID });
  });

  it.each([
    '',
    'gpu',
    'gpu:0',
    'cuda:',
    'cuda:-1',
    'cuda:+1',
    'cuda:1.5',
    'cuda:01',
    'cuda:0x1',
    'cuda:abc',
    'cuda 1',
    'cuda:1:2',
    'cuda0',
    'mps',
    'cpu:0',
    `cuda:${MAX_CUDA_DEVICE_ID + 1}`,
    'cuda:99999999999999999999',
  ])('rejects %j with a typed error', (text) => {
    expect(() => parseDeviceSpec(text)).toThrow(InvalidDeviceError);
  });

  it('says what is expected, and points gpu users to cuda', () => {
    expect(() => parseDeviceSpec('gpu')).toThrow(/expected 'auto', 'cpu', 'cuda' or 'cuda:N'.*use 'cuda'/);
    try {
      parseDeviceSpec('cuda:x');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidDeviceError);
      expect((error as InvalidDeviceError).code).toBe('invalid_device');
      expect((error as Error).message).toContain("'cuda:x'");
    }
  });

  it('either parses or throws InvalidDeviceError for any string, and round-trips what it parses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.nat().map((n) => `cuda:${n}`),
          fc.constantFrom('auto', 'cpu', 'cuda'),
        ),
        (text) => {
          let spec;
          try {
            spec = parseDeviceSpec(text);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidDeviceError);
            return;
          }
          expect(parseDeviceSpec(formatDeviceSpec(spec))).toEqual(spec);
        },
      ),
    );
  });
});
