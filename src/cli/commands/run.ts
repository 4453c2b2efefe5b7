// `shotvl run --model DIR [--image FILE | --video FILE] [--system TEXT] "question"`: one question,
// the answer streamed to the terminal as it is generated.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { parseOrExplain } from '../usage-error.js';
import { readGenerationDefaults } from '../../runtime/engine/create-engine.js';
import { assembleEngine, chooseModelFormat } from '../engine-assembly.js';
import type { ContentPart } from '../../runtime/engine/engine-api.js';
import { describeCliFailure } from '../describe-cli-failure.js';

const HELP = `usage: shotvl run --model DIR [--image FILE | --video FILE] [--system TEXT] [options] "question"

Answers one question about an image, a video or nothing, streaming the answer. DIR is a converted
model folder (shotvl convert). Options:
  --dtype FORMAT         fp32, fp16, q4, int8 or q4-int8 (default: q4-int8 if present, else q4, else
                         what the folder has)
  --max-tokens N         answer length limit (default 512)
  --temperature T        0 = greedy (default: the model's generation_config.json)
  --fps N                video sampling rate (default 12, as ShotVL was evaluated)
  --max-pixels N         per-image / per-frame pixel budget`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          model: { type: 'string' },
          image: { type: 'string' },
          video: { type: 'string' },
          system: { type: 'string' },
          dtype: { type: 'string' },
          'max-tokens': { type: 'string' },
          temperature: { type: 'string' },
          fps: { type: 'string' },
          'max-pixels': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    HELP,
  );
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const question = positionals.join(' ').trim();
  if (values.model === undefined || question === '')
    throw new CliError(`expected --model DIR and a question\n\n${HELP}`, 2);
  if (values.image !== undefined && values.video !== undefined)
    throw new CliError('give --image or --video, not both', 2);
  const modelDir = resolve(values.model);
  const format = chooseModelFormat(modelDir, 'cpu', values.dtype).format;
  const number = (text: string | undefined, flag: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new CliError(`${flag} ${text}: expected a non-negative number`, 2);
    return value;
  };
  const options = { fps: number(values.fps, '--fps'), maxPixels: number(values['max-pixels'], '--max-pixels') };
  const mediaOptions = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const content: ContentPart[] = [];
  if (values.image !== undefined)
    content.push({
      type: 'image',
      source: { kind: 'bytes', bytes: readFileSync(values.image) },
      options: mediaOptions,
    });
  if (values.video !== undefined)
    content.push({ type: 'video', source: { kind: 'file', path: resolve(values.video) }, options: mediaOptions });
  content.push({ type: 'text', text: question });

  const { engine, close } = await assembleEngine({ modelDir, modelId: modelDir, format });
  try {
    const defaults = readGenerationDefaults(modelDir);
    const events = engine.generate({
      requestId: 'cli',
      messages: [
        ...(values.system === undefined ? [] : [{ role: 'system' as const, content: values.system }]),
        { role: 'user', content },
      ],
      sampling: {
        maxTokens: number(values['max-tokens'], '--max-tokens') ?? 512,
        temperature: number(values.temperature, '--temperature') ?? defaults.temperature ?? 0,
        topP: defaults.topP ?? 1,
        topK: defaults.topK ?? 0,
        minP: 0,
        repetitionPenalty: defaults.repetitionPenalty ?? 1,
        presencePenalty: 0,
        frequencyPenalty: 0,
        n: 1,
      },
    });
    for await (const event of events) {
      if (event.type === 'delta') process.stdout.write(event.text);
      if (event.type === 'usage')
        process.stderr.write(`\n[${event.promptTokens} prompt tokens, ${event.completionTokens} generated]\n`);
    }
    return 0;
  } catch (error) {
    const message = describeCliFailure(error);
    if (message !== undefined) throw new CliError(message);
    throw error;
  } finally {
    await close();
  }
}
