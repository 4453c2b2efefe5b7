// `shotvl parity <model-dir> <golden-set-dir> [--dtype fp32|fp16|q4|int8|q4-int8]`: compares a converted model
// with reference outputs of the Hugging Face implementation, stage by stage; exits 1 when a stage
// is outside the tolerance for the model's weight format.
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { parseOrExplain } from '../usage-error.js';
import { loadGoldenSet, needsMediaInputs } from '../parity/golden-set.js';
import { runParityCase } from '../parity/run-parity.js';
import { formatParityReport } from '../parity/parity-report.js';
import { mediaInputs } from '../parity/media-inputs.js';
import { PARITY_TOLERANCES } from '../parity/tolerances.js';
import { availableLoadFormats, isLoadFormat, LOAD_FORMATS } from '../../model-format/model-files.js';
import { readModelConfig } from '../../model-format/read-model-config.js';
import { QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';

const HELP = `usage: shotvl parity <model-dir> <golden-set-dir> [--dtype fp32|fp16|q4|int8|q4-int8] [--case NAME] [--from-media]

Runs every case of a golden set (cases/meta.json) through the converted model and prints the
largest absolute and relative error per stage: vision features, embeddings, M-RoPE positions,
prefill logits, the first decode step, greedy tokens with and without repetition penalty 1.05.
Exits 1 if a stage is outside the tolerance for the weight format. --from-media recomputes the
pixel values from each case's media files (PNG sources resized as its qwen-vl-utils element says,
or its video frames) instead of using the stored arrays; cases that store only the sha256 of their
pixel values are always run from their media files, and the digest is checked.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          dtype: { type: 'string' },
          case: { type: 'string', multiple: true },
          'from-media': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    HELP,
  );
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [modelDir, goldenDir] = positionals;
  if (modelDir === undefined || goldenDir === undefined)
    throw new CliError(`expected <model-dir> <golden-set-dir>\n\n${HELP}`, 2);
  const formats = availableLoadFormats(modelDir);
  const format = values.dtype ?? formats[0];
  if (format === undefined || !isLoadFormat(format))
    throw new CliError(
      `--dtype must be one of ${LOAD_FORMATS.join(', ')} (the folder has: ${formats.join(', ') || 'none'})`,
      2,
    );
  if (!formats.includes(format))
    throw new CliError(`${modelDir} has no complete ${format} model (it has: ${formats.join(', ') || 'none'})`, 2);
  const config = readModelConfig(modelDir);
  const golden = loadGoldenSet(goldenDir);
  const tolerance = PARITY_TOLERANCES[format];
  const sessions = await QwenOnnxSessions.load(modelDir, config, { format });
  try {
    const selected =
      values.case === undefined ? golden.cases : golden.cases.filter((item) => values.case!.includes(item.name));
    const results = [];
    for (const item of selected) {
      // A trimmed set keeps only the digest of its pixel values: those cases always start from media.
      const media = values['from-media'] === true || needsMediaInputs(item) ? await mediaInputs(golden, item) : {};
      results.push(await runParityCase(sessions, item, tolerance, media));
    }
    const header = `parity of ${modelDir} (${format}) against ${goldenDir}${values['from-media'] === true ? ' from media files' : ''}; tolerance: abs ${tolerance.absolute}, argmax where margin > ${tolerance.argmaxMargin}, greedy ${tolerance.exactGreedy ? 'identical' : 'reported'}`;
    process.stdout.write(`${formatParityReport(results, header)}\n`);
    return results.every((result) => result.stages.every((stage) => stage.passed)) ? 0 : 1;
  } finally {
    await sessions.release();
  }
}
