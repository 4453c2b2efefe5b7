// The off-thread encoder's worker failing: a worker that cannot build its tokenizer (here from
// unreadable tokenizer.json text) fails the text in flight and is reported; the next text starts a
// new worker, up to MAX_WORKER_STARTS, after which texts are refused at once without a new worker
// (the chat tokenizer then encodes them in place: off-thread-encoding.test.ts).
import { describe, expect, it } from 'vitest';
import { MAX_WORKER_STARTS, OffThreadEncoder } from '../../../src/runtime/tokenizer/off-thread-encoder.js';

describe('OffThreadEncoder', () => {
  it('restarts a failed worker a few times, then refuses at once', async () => {
    const failures: Error[] = [];
    const encoder = new OffThreadEncoder({ tokenizerJson: '{ not json', tokenizerConfig: '{}' }, (error) =>
      failures.push(error),
    );
    for (let start = 1; start <= MAX_WORKER_STARTS; start += 1) {
      await expect(encoder.encode('abc')).rejects.toThrow();
      expect(failures).toHaveLength(start);
    }
    await expect(encoder.encode('abc')).rejects.toThrow(/not running/);
    expect(failures).toHaveLength(MAX_WORKER_STARTS);
    await encoder.close();
  });
});
