// Worker thread of large-json-parser.ts: parses one JSON body at a time, off the main thread.
// Keys that could poison prototypes are refused as Fastify's own parser refuses them. A body whose
// text or structured-choice strings are over the server's limits is refused here, so its huge
// parsed form never has to be copied to the main thread only to be refused there.
import { parentPort, workerData } from 'node:worker_threads';
import { sizeRefusal, type BodySizeLimits } from './body-size-limits.js';

const limits = workerData as BodySizeLimits;

interface ParseRequest {
  id: number;
  bytes: Uint8Array;
}

const decoder = new TextDecoder('utf-8');

function refusePoisoning(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)
    throw new SyntaxError('Object contains forbidden prototype property');
  return value;
}

parentPort?.on('message', ({ id, bytes }: ParseRequest) => {
  try {
    const value = JSON.parse(decoder.decode(bytes), refusePoisoning) as unknown;
    const refusal = sizeRefusal(value, limits);
    parentPort?.postMessage(refusal === undefined ? { id, value } : { id, refusal });
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
