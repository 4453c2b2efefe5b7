// bench/ui-page (issue 15): what the web page costs a browser. Starts the real server the way
// `npm start` does (`shotvl serve --model tiny`, the built dist/), then loads / in Debian's Chromium
// (playwright-core) on localhost:
// - page weight: the JS and CSS bundles as bytes on disk, gzip -9 and brotli (what the server sends
//   to a browser that accepts br), and what Chromium actually received (resource timing);
// - time to interactive: from navigation start until the app has rendered the Analyse form (the
//   file input exists and /ui/config.json has been read), cold (a fresh profile each run) and warm
//   (a second visit: hashed assets come from the cache, index.html and config.json are revalidated).
// Medians of --runs runs; the warm/cold ratio is taken within this run.
//
//   npm run build && npx tsx bench/ui-page.ts [--runs 15]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/chromium.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const webDirectory = join(root, 'dist', 'web');

interface Build {
  script: string;
  style: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

async function startCliServer(port: number) {
  const child = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'serve', '--model', 'tiny', '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SHOTVL_LOG_LEVEL: 'warn' } },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if ((await fetch(`${url}/health`).catch(() => undefined))?.ok) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the server did not become healthy within 120 s');
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface LoadReading {
  interactiveMs: number;
  domContentLoadedMs: number;
  receivedScript: number;
  receivedStyle: number;
}

// In-page code as text: tsx compiles this file with esbuild's keepNames, whose __name() helper
// would travel with any function handed to the page, where it does not exist.
const MARK_INTERACTIVE = `
  new MutationObserver(() => {
    if (window.interactiveAt === undefined && document.getElementById('shot-file') !== null)
      window.interactiveAt = performance.now();
  }).observe(document, { childList: true, subtree: true });`;
const READ_TIMINGS = `(() => {
  const resources = performance.getEntriesByType('resource');
  const received = (extension) => resources
    .filter((entry) => new URL(entry.name).pathname.endsWith(extension))
    .reduce((total, entry) => total + entry.transferSize, 0);
  return {
    interactiveMs: window.interactiveAt,
    domContentLoadedMs: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    receivedScript: received('.js'),
    receivedStyle: received('.css'),
  };
})()`;

/** Navigation start -> the Analyse form's file input, and the bytes received for JS and CSS. */
async function load(page: Page, url: string): Promise<LoadReading> {
  await page.goto(url);
  await page.locator('#shot-file').waitFor({ state: 'attached' });
  return (await page.evaluate(READ_TIMINGS)) as LoadReading;
}

const build = JSON.parse(readFileSync(join(webDirectory, 'build.json'), 'utf8')) as Build;
const weights = [build.script, build.style].map((file) => {
  const bytes = readFileSync(join(webDirectory, file));
  return {
    file,
    bytes: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
});

const { url, child } = await startCliServer(await freePort());
const cold: LoadReading[] = [];
const warm: LoadReading[] = [];
try {
  for (let run = 0; run < runs; run += 1) {
    // A fresh profile each run (cold); playwright's default viewport, as the published figures had.
    const browser = await launchChromium({ viewport: { width: 1280, height: 720 } });
    const { context } = browser;
    try {
      await context.addInitScript(MARK_INTERACTIVE);
      const page = context.pages()[0] ?? (await context.newPage());
      cold.push(await load(page, url));
      // A second visit in the same profile: the hashed assets come from the cache unasked.
      await page.goto('about:blank');
      warm.push(await load(page, url));
    } finally {
      await browser.close();
    }
  }
} finally {
  child.kill('SIGTERM');
}

console.log(
  `load average during the run: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}\n`,
);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log('| file | bytes | gzip -9 | brotli 11 |');
console.log('|---|---:|---:|---:|');
for (const weight of weights)
  console.log(`| ${weight.file} | ${kib(weight.bytes)} | ${kib(weight.gzip)} | ${kib(weight.brotli)} |`);
const total = (key: 'bytes' | 'gzip' | 'brotli') => weights.reduce((sum, weight) => sum + weight[key], 0);
console.log(`| JS + CSS | ${kib(total('bytes'))} | ${kib(total('gzip'))} | ${kib(total('brotli'))} |`);
console.log();
console.log(
  `Chromium received (cold, transfer size incl. headers): JS ${kib(median(cold.map((entry) => entry.receivedScript)))}, ` +
    `CSS ${kib(median(cold.map((entry) => entry.receivedStyle)))}; second visit: JS ${kib(median(warm.map((entry) => entry.receivedScript)))}`,
);
console.log();
console.log(`| load (${runs} runs, median) | DOMContentLoaded ms | interactive ms |`);
console.log('|---|---:|---:|');
for (const [name, entries] of [
  ['cold (fresh profile)', cold],
  ['warm (second visit)', warm],
] as const) {
  console.log(
    `| ${name} | ${median(entries.map((entry) => entry.domContentLoadedMs)).toFixed(1)} | ${median(entries.map((entry) => entry.interactiveMs)).toFixed(1)} |`,
  );
}
const ratio = median(warm.map((entry) => entry.interactiveMs)) / median(cold.map((entry) => entry.interactiveMs));
console.log(`\nwarm / cold time to interactive: ${ratio.toFixed(2)}`);
