// End to end: `shotvl bench run` on a generated set (PNG images made with sharp, an MP4 made with
// ffmpeg's testsrc) against a recording stub endpoint, then `bench score` on what it wrote.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/bench.js';
import { completionReply, startStubEndpoint } from './stub-endpoint.js';
import type { RecordedRequest, StubEndpoint } from './stub-endpoint.js';
import { readJsonLinesSync } from '../../helpers/json-lines.js';
import { makeTestVideo } from '../../helpers/test-video.js';

const official = JSON.parse(
  readFileSync(new URL('../../shot/golden/official-prompts.json', import.meta.url), 'utf8'),
) as {
  system_prompts: { reasoning: string; plain: string };
};

interface GeneratedItem {
  index: number;
  category: string;
  kind: 'image' | 'video';
  path: string;
  mediaType: string;
  options: Record<string, string>;
  answer: string;
  /** The prompt text the official build_prompt gives for this item, written out by hand. */
  expectedText: string;
  reply: string;
}

const ITEMS: GeneratedItem[] = [
  {
    index: 1,
    category: 'shot size',
    kind: 'image',
    path: 'image/red.png',
    mediaType: 'image/png',
    options: { A: 'Extreme Close Up', B: 'Medium Close Up', C: 'Close Up', D: 'Medium Wide' },
    answer: 'D',
    expectedText:
      "Question: What's the shot size of this shot?\nOptions:\nA. Extreme Close Up\nB. Medium Close Up\nC. Close Up\nD. Medium Wide\n" +
      'Please select the most likely answer from the options above.',
    reply: '<think>Two people, waist up, room visible.</think> <answer>D</answer>',
  },
  {
    index: 2,
    category: 'lighting',
    kind: 'image',
    path: 'image/blue.png',
    mediaType: 'image/png',
    options: { A: 'Hard light', B: 'Soft light', C: 'Backlight', D: 'Silhouette' },
    answer: 'B',
    expectedText:
      "Question: What's the lighting of this shot?\nOptions:\nA. Hard light\nB. Soft light\nC. Backlight\nD. Silhouette\n" +
      'Please select the most likely answer from the options above.',
    reply: '<think>Diffuse shadows.</think><answer>Soft light</answer>',
  },
  {
    index: 3,
    category: 'composition',
    kind: 'image',
    path: 'image/red.png',
    mediaType: 'image/png',
    options: { A: 'Balanced', B: 'Center', C: 'Left heavy', D: 'Right heavy' },
    answer: 'A',
    expectedText:
      "Question: What's the composition of this shot?\nOptions:\nA. Balanced\nB. Center\nC. Left heavy\nD. Right heavy\n" +
      'Please select the most likely answer from the options above.',
    reply: '<answer>D</answer>',
  },
  {
    index: 4,
    category: 'camera movement',
    kind: 'video',
    path: 'video/testsrc.webm_3.mp4',
    mediaType: 'video/mp4',
    options: { A: 'Pan left', B: 'Pan right', C: 'Push in', D: 'Static' },
    answer: 'C',
    expectedText:
      "Question: What's the camera movement in this movie shot?\nOptions:\nA. Pan left\nB. Pan right\nC. Push in\nD. Static\n" +
      'Please select the most likely answer from the options above.',
    reply: '<think>The frame moves.</think><answer>A or B</answer>',
  },
];

const QUESTIONS: Record<string, string> = {
  'shot size': "What's the shot size of this shot?",
  lighting: "What's the lighting of this shot?",
  composition: "What's the composition of this shot?",
  'camera movement': "What's the camera movement in this movie shot?",
};

let folder = '';
let stub: StubEndpoint;
let stderr: string[] = [];
let stdout: string[] = [];

/** The official test.tsv layout: Python-literal path list, JSON options, unquoted. */
function writeDatasetTsv(file: string): void {
  const lines = ['index\ttype\tpath\tquestion\toptions\tanswer\tcategory'];
  for (const item of ITEMS) {
    lines.push(
      [
        item.index,
        `["${item.kind}"]`,
        `['${item.path}']`,
        QUESTIONS[item.category],
        JSON.stringify(item.options),
        item.answer,
        item.category,
      ].join('\t'),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

function textOf(request: RecordedRequest): string {
  const messages = (request.body as { messages: { content: unknown }[] }).messages;
  const content = messages[1]?.content as { type: string; text?: string }[];
  return content.find((part) => part.type === 'text')?.text ?? '';
}

function expectedBody(item: GeneratedItem, mode: 'reasoning' | 'plain'): unknown {
  const bytes = readFileSync(join(folder, 'media', item.path)).toString('base64');
  const url = `data:${item.mediaType};base64,${bytes}`;
  const media =
    item.kind === 'image' ? { type: 'image_url', image_url: { url } } : { type: 'video_url', video_url: { url } };
  return {
    model: 'shotvl-test',
    messages: [
      { role: 'system', content: official.system_prompts[mode] },
      { role: 'user', content: [media, { type: 'text', text: item.expectedText }] },
    ],
    temperature: 0,
    max_tokens: 1024,
  };
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'bench-run-'));
  mkdirSync(join(folder, 'media', 'image'), { recursive: true });
  mkdirSync(join(folder, 'media', 'video'), { recursive: true });
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .png()
    .toFile(join(folder, 'media/image/red.png'));
  await sharp({ create: { width: 40, height: 56, channels: 3, background: { r: 20, g: 40, b: 220 } } })
    .png()
    .toFile(join(folder, 'media/image/blue.png'));
  makeTestVideo(join(folder, 'media/video/testsrc.webm_3.mp4'), { size: '640x360' });
  writeDatasetTsv(join(folder, 'test.tsv'));
  stub = await startStubEndpoint(() => ({ status: 500, json: {} }));
});

afterAll(async () => {
  await stub.close();
  rmSync(folder, { recursive: true, force: true });
});

function captureOutput(): void {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stdout.push(String(chunk)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stderr.push(String(chunk)), true),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('shotvl bench run against a stub endpoint', () => {
  const out = (): string => join(folder, 'predictions.jsonl');
  const runArguments = (...extra: string[]): string[] => [
    'run',
    '--data',
    join(folder, 'test.tsv'),
    '--media',
    join(folder, 'media'),
    '--endpoint',
    stub.url,
    '--model',
    'shotvl-test',
    '--api-key',
    'secret-token',
    '--out',
    out(),
    ...extra,
  ];

  it('sends the official messages, retries a 503 and writes one line per item', async () => {
    stub.requests.length = 0;
    let refused = false;
    stub.respond = (request) => {
      if (!refused) {
        refused = true;
        return { status: 503, headers: { 'retry-after': '0' }, json: { error: { message: 'busy' } } };
      }
      const item = ITEMS.find((candidate) => candidate.expectedText === textOf(request));
      return completionReply(item?.reply ?? 'unknown item');
    };
    captureOutput();
    // One at a time for the first two items, so that the 503 deterministically hits item 1.
    expect(await run(runArguments('--limit', '2', '--concurrency', '1'))).toBe(0);
    expect(stub.requests).toHaveLength(3);
    expect(stub.requests.every((request) => request.method === 'POST' && request.url === '/v1/chat/completions')).toBe(
      true,
    );
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer secret-token');
    expect(stub.requests[0]?.body).toEqual(expectedBody(ITEMS[0] as GeneratedItem, 'reasoning'));
    expect(stub.requests[1]?.body).toEqual(expectedBody(ITEMS[0] as GeneratedItem, 'reasoning'));
    expect(stub.requests[2]?.body).toEqual(expectedBody(ITEMS[1] as GeneratedItem, 'reasoning'));
    expect(stderr.join('')).toContain('HTTP 503: busy; retry 1');
    // The progress bar (one line per phase off a terminal) ends with the running accuracy.
    expect(stderr.join('')).toMatch(/ShotBench: done 2 in [\d.]+ s acc 100\.0% · 1 retries/);

    const lines = readJsonLinesSync(out());
    expect(lines.map((line) => line['index'])).toEqual([1, 2]);
    expect(lines[0]).toMatchObject({
      index: 1,
      category: 'shot size',
      answer: 'D',
      letter: 'D',
      rule: 'option',
      hit: true,
      output: ITEMS[0]?.reply,
      attempts: 2,
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      model: 'shotvl-test',
      mode: 'reasoning',
      finish_reason: 'stop',
    });
    expect(typeof lines[0]?.['latency_ms']).toBe('number');
    expect(lines[1]).toMatchObject({ index: 2, letter: 'B', rule: 'text', hit: true, attempts: 1 });
  });

  it('resumes: only the remaining items are sent, and a third run sends nothing', async () => {
    stub.requests.length = 0;
    stub.maxInFlight = 0;
    const reply = stub.respond;
    stub.respond = (request, number) => ({ ...reply(request, number), delayMs: 50 });
    captureOutput();
    expect(await run(runArguments('--concurrency', '2'))).toBe(0);
    expect(stub.maxInFlight).toBe(Math.min(2, ITEMS.length - 2));
    const remaining = ITEMS.slice(2);
    expect(stub.requests).toHaveLength(remaining.length);
    const sent = stub.requests.map((request) => request.body);
    for (const item of remaining) expect(sent).toContainEqual(expectedBody(item, 'reasoning'));
    expect(
      readJsonLinesSync(out())
        .map((line) => line['index'])
        .sort(),
    ).toEqual(ITEMS.map((item) => item.index));

    stub.requests.length = 0;
    expect(await run(runArguments('--concurrency', '2'))).toBe(0);
    expect(stub.requests).toHaveLength(0);
    expect(readJsonLinesSync(out())).toHaveLength(ITEMS.length);
  });

  it('scores what it wrote', async () => {
    captureOutput();
    expect(await run(['score', out(), '--format', 'json'])).toBe(0);
    const result = JSON.parse(stdout.join('')) as {
      runs: {
        categories: Record<string, { total: number; correct: number; accuracy: number | null }>;
        average: number;
        overall: { total: number; correct: number };
        undecided: number;
      }[];
    };
    const [scored] = result.runs;
    expect(scored?.categories['SS']).toMatchObject({ total: 1, correct: 1, accuracy: 1 });
    expect(scored?.categories['LC']).toMatchObject({ total: 1, correct: 1, accuracy: 1 });
    expect(scored?.categories['SC']).toMatchObject({ total: 1, correct: 0, accuracy: 0 });
    expect(scored?.categories['SF']).toMatchObject({ total: 0, accuracy: null });
    expect(scored?.categories['CM']).toMatchObject({ total: 1, correct: 0, undecided: 1 });
    expect(scored?.undecided).toBe(1);
    expect(scored?.average).toBeCloseTo(0.5, 12);
    expect(scored?.overall).toMatchObject({ total: ITEMS.length, correct: 2 });
  });

  it('does not retry a 400, reports the failure with exit code 1, and retries the item next run', async () => {
    const plainOut = join(folder, 'plain.jsonl');
    const args = [
      'run',
      '--data',
      join(folder, 'test.tsv'),
      '--endpoint',
      stub.url,
      '--model',
      'shotvl-test',
      '--out',
      plainOut,
      '--mode',
      'plain',
      '--categories',
      'LC',
      '--media',
      join(folder, 'media'),
    ];
    stub.requests.length = 0;
    stub.respond = () => ({ status: 400, json: { error: { message: 'image too large' } } });
    captureOutput();
    expect(await run(args)).toBe(1);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
    expect(stub.requests[0]?.body).toEqual(expectedBody(ITEMS[1] as GeneratedItem, 'plain'));
    expect(stderr.join('')).toContain('index 2: failed: HTTP 400: image too large');
    expect(existsSync(plainOut) ? readJsonLinesSync(plainOut) : []).toHaveLength(0);

    stub.respond = () => completionReply('B');
    expect(await run(args)).toBe(0);
    expect(readJsonLinesSync(plainOut)).toMatchObject([{ index: 2, letter: 'B', hit: true, mode: 'plain' }]);
  });

  it('--video-as-frames sends the fps-12 qwen-vl-utils frames as PNG image parts', async () => {
    const framesOut = join(folder, 'frames.jsonl');
    stub.requests.length = 0;
    stub.respond = () => completionReply('<answer>C</answer>');
    captureOutput();
    const args = [
      'run',
      '--data',
      join(folder, 'test.tsv'),
      '--media',
      join(folder, 'media'),
      '--endpoint',
      stub.url,
      '--model',
      'shotvl-test',
    ];
    expect(await run([...args, '--out', framesOut, '--categories', 'camera movement', '--video-as-frames'])).toBe(0);
    expect(stub.requests).toHaveLength(1);
    const body = stub.requests[0]?.body as {
      messages: [
        { role: string; content: string },
        { role: string; content: { type: string; image_url?: { url: string }; text?: string }[] },
      ];
    };
    const item = ITEMS[3] as GeneratedItem;
    expect(body.messages[0]).toEqual({ role: 'system', content: official.system_prompts.reasoning });
    const parts = body.messages[1].content;
    // 1 s at 10 fps = 10 frames; fps 12 asks for 12, capped at the 10 there are (smart_nframes).
    expect(parts.map((part) => part.type)).toEqual([...Array<string>(10).fill('image_url'), 'text']);
    expect(parts[10]).toEqual({ type: 'text', text: item.expectedText });
    const frames = parts
      .slice(0, 10)
      .map((part) => Buffer.from((part.image_url?.url ?? '').replace(/^data:image\/png;base64,/, ''), 'base64'));
    for (const frame of frames) {
      // 640x360 under max_pixels 360*640 with factor 28: smart_resize gives 616x336 (the README's ShotBench case).
      expect(await sharp(frame).metadata()).toMatchObject({ format: 'png', width: 616, height: 336 });
    }
    expect(new Set(frames.map((frame) => frame.toString('base64'))).size).toBe(10);
    expect(readJsonLinesSync(framesOut)).toMatchObject([{ index: 4, letter: 'C', hit: true }]);
  });

  it('asks the endpoint for its model when --model is absent', async () => {
    const modelOut = join(folder, 'model.jsonl');
    stub.requests.length = 0;
    stub.respond = (request) =>
      request.method === 'GET'
        ? { json: { object: 'list', data: [{ id: 'listed-model', object: 'model' }] } }
        : completionReply('<answer>D</answer>');
    captureOutput();
    expect(
      await run([
        'run',
        '--data',
        join(folder, 'test.tsv'),
        '--endpoint',
        `${stub.url}/chat/completions`,
        '--out',
        modelOut,
        '--limit',
        '1',
      ]),
    ).toBe(1);
    // Without --media the data file's folder is used, where the images are not: a clear failure.
    expect(stderr.join('')).toMatch(/cannot read media .*image\/red\.png: ENOENT/);
    expect(stub.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
  });
});
