/**
 * `shotvl bench`: ShotBench against any OpenAI-compatible endpoint (issue 7).
 *   run      ask every question, one JSON line per answer (resumable)
 *   score    the official extraction and the paper's table
 *   compare  several runs side by side, with per-dimension differences
 *   merge    join the predictions files of sharded runs (issue 16)
 */
import { COMPARE_USAGE, SCORE_USAGE, compareCommand, scoreCommand } from '../bench/score-command.js';
import { RUN_USAGE, runCommand } from '../bench/run-command.js';
import { MERGE_USAGE, mergeCommand } from '../bench/merge-command.js';
import { usageError } from '../bench/arguments.js';

const USAGE = `usage: shotvl bench <run|score|compare|merge> [options]

  run      run ShotBench against an OpenAI-compatible endpoint
  score    score a predictions file as the paper does
  compare  compare predictions files, one row each
  merge    join the predictions files of sharded runs (run --shard I/N)

Run 'shotvl bench <sub-command> --help' for its options.`;

const SUB_COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  run: { run: runCommand, usage: RUN_USAGE },
  score: { run: scoreCommand, usage: SCORE_USAGE },
  compare: { run: compareCommand, usage: COMPARE_USAGE },
  merge: { run: mergeCommand, usage: MERGE_USAGE },
};

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const subCommand = SUB_COMMANDS[name];
  if (subCommand === undefined) throw usageError(`unknown sub-command '${name}'; use run, score, compare or merge`);
  return subCommand.run(rest);
}
