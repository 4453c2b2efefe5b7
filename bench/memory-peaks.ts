// Issue 2's memory figures on the converted 3b model: peak RSS and time of
//   vision        the vision encoder on a 1920x800 still at native size (smart_resize -> 812x1932,
//                 grid 1x58x138 = 8,004 patches, random pixel values), and
//   prefill-<C>   a decoder prefill of 7,900 tokens (a 5 s clip at fps 12) in chunks of C tokens
//                 through QwenOnnxSessions.decode with the growing KV cache (C = the whole prompt
//                 is one forward pass).
// Each case runs in a fresh child process under GNU time, so its peak RSS is its own high-water
// mark; the child also reports its RSS once the three sessions are loaded, so the run's own
// working memory is the difference.
//
//   npx tsx bench/memory-peaks.ts [--model .tmp/3b-q4] [--format q4] [--tokens 7900]
//                                 [--cases load,vision,prefill-512,prefill-2048,prefill-7900]
//
// Long on a 2-core machine (minutes per case): run it with nohup. Needs `bench/convert-3b.ts` first.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRandom } from '../src/convert/seeded-random.js';
import { smartResize } from '../src/media/smart-resize.js';
import { isLoadFormat, type LoadFormat } from '../src/model-format/model-files.js';
import { readModelConfig } from '../src/model-format/read-model-config.js';
import type { GridThw } from '../src/runtime/qwen2-5-vl/grid-thw.js';
import { QwenOnnxSessions, type KvCache } from '../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { buildVisionEncoderInputs } from '../src/runtime/qwen2-5-vl/vision-inputs.js';
import { gibibytes, runMeasured, tsxCommand } from './measure-child.js';

const repositoryRoot = resolve(import.meta.dirname, '..');
const STILL = { width: 1920, height: 800 };

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(repositoryRoot, '.tmp', '3b-q4') },
    format: { type: 'string', default: 'q4' },
    tokens: { type: 'string', default: '7900' },
    cases: { type: 'string', default: 'vision,prefill-512,prefill-2048,prefill-7900' },
    child: { type: 'string' },
  },
});
const modelDir = resolve(values.model);
const format = values.format;
if (!isLoadFormat(format)) throw new Error(`--format ${format}: expected fp32, fp16, q4, int8 or q4-int8`);
const promptTokens = Number(values.tokens);

interface ChildReport {
  case: string;
  detail: string;
  loadSeconds: number;
  runSeconds: number;
  rssAfterLoadBytes: number;
}

/** Current and peak resident set size of this process, from /proc (Linux). */
function memoryStatus(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kilobytes = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') };
}

async function runVision(sessions: QwenOnnxSessions): Promise<string> {
  const vision = sessions.config.vision;
  const size = smartResize(STILL.height, STILL.width);
  const grid: GridThw = [1, size.height / vision.patchSize, size.width / vision.patchSize];
  const patches = grid[0] * grid[1] * grid[2];
  const pixels = new Float32Array(patches * vision.inChannels * vision.temporalPatchSize * vision.patchSize ** 2);
  new SeededRandom(0, 'still').fillNormal(pixels, 0, 1);
  const features = await sessions.encodeVision(pixels, buildVisionEncoderInputs(grid, vision));
  const tokens = features.length / vision.outHiddenSize;
  return `${STILL.width}x${STILL.height} -> ${size.width}x${size.height}, grid ${grid.join('x')} = ${patches} patches -> ${tokens} tokens`;
}

async function runPrefill(sessions: QwenOnnxSessions, chunkSize: number): Promise<string> {
  const { vocabSize } = sessions.config.text;
  const random = new SeededRandom(0, 'prompt');
  const draws = new Float32Array(promptTokens);
  random.fillNormal(draws, 0, 1);
  // Token ids spread over the vocabulary (what they are does not change the cost).
  const ids = BigInt64Array.from(draws, (value, index) =>
    BigInt(Math.abs(Math.floor(value * 40_000 + index * 7919)) % (vocabSize - 1000)),
  );
  let cache: KvCache = sessions.emptyCache(1);
  let chunks = 0;
  for (let start = 0; start < promptTokens; start += chunkSize) {
    const length = Math.min(chunkSize, promptTokens - start);
    const embeds = await sessions.embed(ids.slice(start, start + length), 1, length);
    const positionIds = BigInt64Array.from({ length: 3 * length }, (_, index) => BigInt(start + (index % length)));
    const step = await sessions.decode({
      embeds,
      batchSize: 1,
      sequenceLength: length,
      attentionMask: new BigInt64Array(start + length).fill(1n),
      positionIds,
      past: cache,
      logitsToKeep: 1,
    });
    cache = step.present;
    chunks += 1;
  }
  return `${promptTokens} tokens in ${chunks} chunk(s) of <= ${chunkSize}, KV cache ${cache.length} positions`;
}

async function runChild(caseName: string): Promise<void> {
  let started = performance.now();
  const sessions = await QwenOnnxSessions.load(modelDir, readModelConfig(modelDir), { format: format as LoadFormat });
  const loadSeconds = (performance.now() - started) / 1000;
  const rssAfterLoadBytes = memoryStatus().rss;
  started = performance.now();
  const prefill = /^prefill-(\d+)$/.exec(caseName);
  let detail: string;
  if (caseName === 'load') detail = `${format} sessions loaded, nothing run`;
  else if (caseName === 'vision') detail = await runVision(sessions);
  else if (prefill !== null) detail = await runPrefill(sessions, Number(prefill[1]));
  else throw new Error(`unknown case ${caseName}`);
  const runSeconds = (performance.now() - started) / 1000;
  const report: ChildReport = { case: caseName, detail, loadSeconds, runSeconds, rssAfterLoadBytes };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await sessions.release();
}

async function runParent(): Promise<void> {
  const rows: string[] = [];
  for (const caseName of values.cases.split(',')) {
    const log = join(repositoryRoot, '.tmp', 'logs', `memory-peaks-${caseName}.log`);
    process.stderr.write(`${caseName}: running (log ${log})\n`);
    const measured = await runMeasured(
      tsxCommand(join(repositoryRoot, 'bench/memory-peaks.ts'), [
        '--child',
        caseName,
        '--model',
        modelDir,
        '--format',
        format,
        '--tokens',
        String(promptTokens),
      ]),
      log,
    );
    if (measured.exitCode !== 0) throw new Error(`${caseName} exited with ${measured.exitCode}; see ${log}`);
    const report = JSON.parse(measured.stdout.trim().split('\n').at(-1)!) as ChildReport;
    const row =
      `| ${caseName} | ${report.detail} | ${report.runSeconds.toFixed(1)} | ${gibibytes(measured.maxRssBytes)} | ` +
      `${gibibytes(report.rssAfterLoadBytes)} | ${gibibytes(measured.maxRssBytes - report.rssAfterLoadBytes)} |`;
    process.stderr.write(`${row}\n`);
    rows.push(row);
  }
  const cpus = (await import('node:os')).cpus();
  console.log(
    `\n${modelDir} (${format}), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, onnxruntime CPU provider\n`,
  );
  console.log('| case | what | run s | peak RSS GiB | RSS after load GiB | peak - loaded GiB |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

if (values.child !== undefined) await runChild(values.child);
else await runParent();
