// The YAML writer must round-trip any JSON value through a real YAML reader.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml } from '../../../src/server/openapi/yaml.js';

describe('toYaml', () => {
  it('round-trips JSON values', () => {
    const key = fc.string().filter((text) => text !== '__proto__' && text !== '<<');
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.constantFrom(
          'true',
          'no',
          '~',
          '1e3',
          '0x10',
          '.5',
          '- a',
          'a: b',
          '#x',
          ' lead',
          'trail ',
          "it's",
          '{x}',
          'null',
          '',
        ),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        expect(parse(toYaml(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('writes plain scalars where they are safe', () => {
    expect(toYaml({ a: 'hello world', b: 'true', c: '3.1.0', d: [], e: {}, f: [{ g: 1, h: [2] }] })).toBe(
      'a: hello world\nb: "true"\nc: "3.1.0"\nd: []\ne: {}\nf:\n  - g: 1\n    h:\n      - 2\n',
    );
  });
});
