#!/usr/bin/env node
// The `shotvl` command line: one sub-command per file under ./commands, loaded lazily so that
// `shotvl bench score` does not pay for onnxruntime and `shotvl serve` does not pay for the converter.
import { CliError } from './cli-error.js';

interface CommandModule {
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'start the OpenAI-compatible HTTP server', load: () => import('./commands/serve.js') },
  run: {
    summary: 'answer one question about an image or video in the terminal',
    load: () => import('./commands/run.js'),
  },
  convert: {
    summary: 'convert a Hugging Face checkpoint to the ONNX model folder',
    load: () => import('./commands/convert.js'),
  },
  'make-tiny': {
    summary: 'write a deterministic random Qwen2.5-VL checkpoint',
    load: () => import('./commands/make-tiny.js'),
  },
  parity: { summary: 'compare a converted model with a golden set', load: () => import('./commands/parity.js') },
  analyze: {
    summary: 'tag stills and clips with the ShotBench dimensions, one JSON line each',
    load: () => import('./commands/analyze.js'),
  },
  bench: {
    summary: 'ShotBench: run, score and compare against an OpenAI-compatible endpoint',
    load: () => import('./commands/bench.js'),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
  return [
    'usage: shotvl <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'shotvl <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`shotvl: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    const module = await command.load();
    return await module.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`shotvl ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
