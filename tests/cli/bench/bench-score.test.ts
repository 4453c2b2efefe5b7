// `bench score` / `bench compare` on the official ShotVL-3B outputs, with and without a judge.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/bench.js';
import {
  shotBenchFile,
  readSharedJson,
  readSharedPredictions,
  readSharedQuestions,
} from '../../shot/shotbench-data.js';
import { completionReply, startStubEndpoint } from './stub-endpoint.js';
import type { StubEndpoint } from './stub-endpoint.js';

const PREDICTIONS = shotBenchFile('shotvl3b_predictions_run1.jsonl');
const DATA = shotBenchFile('shotbench_test.jsonl');
const OFFICIAL_JUDGE_PROMPT = (
  JSON.parse(readFileSync(new URL('../../shot/golden/official-prompts.json', import.meta.url), 'utf8')) as {
    judge: { index: number; prompt: string };
  }
).judge;

let stdout: string[] = [];
let folder = '';
let stub: StubEndpoint;

function capture(): void {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stdout.push(String(chunk)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'bench-score-'));
  stub = await startStubEndpoint(() => completionReply('(Z)'));
});
afterAll(async () => {
  await stub.close();
  rmSync(folder, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

describe('shotvl bench score', () => {
  it('prints the rules-only table of the official ShotVL-3B run, with 31 undecided', async () => {
    capture();
    expect(await run(['score', PREDICTIONS, '--data', DATA])).toBe(0);
    expect(stdout.join('')).toBe(
      [
        'Run                                SS    SF    CA    LS    LT    LC    SC    CM   Avg  Overall  Items  Undecided',
        'shotvl3b_predictions_run1.jsonl  78.8  85.8  69.7  60.5  66.7  53.7  56.2  44.4  64.5     64.7   3572         31',
        'Undecided: outputs no rule (nor judge) could map to an option; scored as misses.',
        '',
      ].join('\n'),
    );
  });

  it('with a judge that answers as GPT-4o did, reproduces the official accuracy exactly', async () => {
    const officialLetter = new Map(readSharedPredictions().map((row) => [row.prediction, row.pred_letter]));
    let firstReply = true;
    stub.requests.length = 0;
    stub.respond = (request) => {
      const prompt = (request.body as { messages: { content: string }[] }).messages[0]?.content ?? '';
      // The prediction sits between Example 4's "Answer: " and the final "Your output: " (it may
      // itself contain "Answer: ", so search forward from Example 4).
      const start = prompt.indexOf('\nAnswer: ', prompt.indexOf('Example 4:')) + '\nAnswer: '.length;
      const prediction = prompt.slice(start, -'\nYour output: '.length);
      // The first reply is unusable, to show the official three tries.
      if (firstReply) {
        firstReply = false;
        return completionReply('I cannot tell.');
      }
      return completionReply(`(${officialLetter.get(prediction) ?? '?'})`);
    };
    capture();
    expect(
      await run([
        'score',
        PREDICTIONS,
        '--data',
        DATA,
        '--format',
        'json',
        '--judge-endpoint',
        stub.url,
        '--judge-api-key',
        'k',
      ]),
    ).toBe(0);
    expect(stub.requests).toHaveLength(31 + 1);
    const judged = stub.requests.find((request) => JSON.stringify(request.body).includes('closer to the camera'));
    expect(judged?.headers.authorization).toBe('Bearer k');
    const promptFor3134 = stub.requests.find(
      (request) =>
        (request.body as { messages: { content: string }[] }).messages[0]?.content === OFFICIAL_JUDGE_PROMPT.prompt,
    );
    expect(promptFor3134?.body).toEqual({
      model: 'gpt-4o-2024-08-06',
      messages: [{ role: 'user', content: OFFICIAL_JUDGE_PROMPT.prompt }],
      temperature: 0,
    });

    const [scored] = (
      JSON.parse(stdout.join('')) as {
        runs: {
          categories: Record<string, { category: string; correct: number; total: number }>;
          overall: { correct: number };
          undecided: number;
          judged: number;
        }[];
      }
    ).runs;
    const official = readSharedJson<{ rows: { category: string; total: number; correct: number }[] }>(
      'shotvl3b_predictions_run1.accuracy.json',
    ).rows;
    for (const row of official) {
      if (row.category === 'Overall') expect(scored?.overall.correct).toBe(row.correct);
      else
        expect(
          Object.values(scored?.categories ?? {}).find((category) => category.category === row.category),
        ).toMatchObject({ correct: row.correct, total: row.total });
    }
    expect(scored?.undecided).toBe(0);
    expect(scored?.judged).toBe(31);
  });

  it('compares runs, one row each, with per-dimension differences', async () => {
    // A second run: the official outputs with every camera-movement answer replaced by a miss.
    const questions = new Map(readSharedQuestions().map((question) => [question.index, question]));
    const worse = readSharedPredictions().map((row) => {
      const question = questions.get(row.index);
      const wrong = Object.keys(question?.options ?? {}).find((letter) => letter !== row.answer);
      const output = row.category === 'camera movement' ? `<answer>${wrong}</answer>` : row.prediction;
      return JSON.stringify({
        index: row.index,
        category: row.category,
        answer: row.answer,
        output,
        question: question?.question,
        options: question?.options,
      });
    });
    const other = join(folder, 'no-movement.jsonl');
    writeFileSync(other, worse.join('\n') + '\n');
    capture();
    expect(await run(['compare', PREDICTIONS, other, '--data', DATA, '--format', 'markdown'])).toBe(0);
    expect(stdout.join('').split('\n').slice(0, 5)).toEqual([
      '| Run | SS | SF | CA | LS | LT | LC | SC | CM | Avg | Overall | Items | Undecided |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| shotvl3b_predictions_run1.jsonl | 78.8 | 85.8 | 69.7 | 60.5 | 66.7 | 53.7 | 56.2 | 44.4 | 64.5 | 64.7 | 3572 | 31 |',
      '| no-movement.jsonl | 78.8 | 85.8 | 69.7 | 60.5 | 66.7 | 53.7 | 56.2 | 0.0 | 58.9 | 58.9 | 3572 | 3 |',
      '| no-movement.jsonl - shotvl3b_predictions_run1.jsonl | +0.0 | +0.0 | +0.0 | +0.0 | +0.0 | +0.0 | +0.0 | -44.4 | -5.5 | -5.8 |  |  |',
    ]);
  });

  it('reports a failing judge as one line, exit code 1', async () => {
    stub.respond = () => ({ status: 401, json: { error: { message: 'invalid api key' } } });
    capture();
    await expect(run(['score', PREDICTIONS, '--data', DATA, '--judge-endpoint', stub.url])).rejects.toMatchObject({
      exitCode: 1,
      message: 'judge request failed: HTTP 401: invalid api key',
    });
  });

  it('rejects wrong usage with exit code 2', async () => {
    capture();
    await expect(run(['score'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['compare', PREDICTIONS])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['score', PREDICTIONS, '--format', 'csv'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['score', PREDICTIONS, '--bogus'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['frobnicate'])).rejects.toMatchObject({ exitCode: 2 });
    expect(await run(['score', '--help'])).toBe(0);
    expect(stdout.join('')).toContain('usage: shotvl bench score');
  });
});
