// The layering of docs/ARCHITECTURE.md is enforced by eslint's no-restricted-imports; this checks the
// rule itself bites, so a later config edit cannot silently switch it off.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function messagesFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('layering rule', () => {
  it.each([
    ['src/runtime/engine/example.ts', "import Fastify from 'fastify';\nexport const app = Fastify;\n"],
    [
      'src/runtime/engine/example.ts',
      "import { route } from '../../server/routes/chat/route.js';\nexport const x = route;\n",
    ],
    ['src/media/example.ts', "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n"],
    ['src/shot/example.ts', "import sharp from 'sharp';\nexport const x = sharp;\n"],
    ['src/convert/example.ts', "import { main } from '../cli/main.js';\nexport const x = main;\n"],
    ['src/server/example.ts', "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n"],
    ['src/analysis/example.ts', "import { ApiError } from '../server/errors.js';\nexport const x = ApiError;\n"],
    [
      'src/cli/analyze/example.ts',
      "import { analyzeShotResponse } from '../../server/routes/analyze-shot/analysis-response.js';\nexport const x = analyzeShotResponse;\n",
    ],
    [
      'web/src/views/example.tsx',
      "import { buildApp } from '../../../src/server/app.js';\nexport const x = buildApp;\n",
    ],
    ['web/src/example.ts', "import { readFile } from 'node:fs';\nexport const x = readFile;\n"],
    [
      'src/runtime/engine/example.ts',
      "import { computeRopeIndex } from '../qwen2-5-vl/rope-index.js';\nexport const x = computeRopeIndex;\n",
    ],
  ])('%s may not import %s', async (filePath, code) => {
    const messages = await messagesFor(filePath, code);
    expect(messages.some((message) => message.startsWith('no-restricted-imports'))).toBe(true);
  });

  it('allows the arrows docs/ARCHITECTURE.md draws', async () => {
    const messages = await messagesFor(
      'src/runtime/engine/example.ts',
      "import { smartResize } from '../../media/smart-resize.js';\nexport const x = smartResize;\n",
    );
    expect(messages.filter((message) => message.startsWith('no-restricted-imports'))).toEqual([]);
    const page = await messagesFor(
      'web/src/analysis/example.ts',
      "import { shotsToCsv } from '../../../src/shot/export/csv-export.js';\nexport const x = shotsToCsv;\n",
    );
    expect(page.filter((message) => message.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('keeps process.env reads in the config module', async () => {
    const messages = await messagesFor('src/runtime/example.ts', 'export const token = process.env.HF_TOKEN;\n');
    expect(messages.some((message) => message.startsWith('no-restricted-syntax'))).toBe(true);
  });
});
