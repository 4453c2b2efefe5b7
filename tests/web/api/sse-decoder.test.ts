import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseDecoder } from '../../../web/src/api/sse-decoder.js';

const STREAM = 'data: {"a":1}\n\n: a comment\ndata: first\ndata: second\n\nevent: ping\n\r\ndata:[DONE]\r\n\r\n';
const EVENTS = ['{"a":1}', 'first\nsecond', '[DONE]'];

describe('SseDecoder', () => {
  it('reads data events, joins multi-line data, skips comments and other fields', () => {
    const decoder = new SseDecoder();
    expect([...decoder.push(STREAM), ...decoder.end()]).toEqual(EVENTS);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), STREAM.length];
        const decoder = new SseDecoder();
        const events: string[] = [];
        for (let index = 1; index < points.length; index += 1)
          events.push(...decoder.push(STREAM.slice(points[index - 1], points[index])));
        events.push(...decoder.end());
        expect(events).toEqual(EVENTS);
      }),
    );
  });

  it('counts an event cut off without its blank line at the end of the stream', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: last')).toEqual([]);
    expect(decoder.end()).toEqual(['last']);
  });
});
