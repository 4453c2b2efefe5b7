// Issue 15 "Must show": the web page in real Chromium against a live server over the tiny model.
// One browser and one engine for the whole file (a second server over the same engine checks the
// API-key flow). The page is built from the current web/ sources into a temporary folder, so the
// test never runs a stale dist/web. Screenshots go to .tmp/ui-screenshots (git-ignored).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/lifecycle.js';
import { parseDimensionName } from '../../src/shot/analysis/dimension-keys.js';
import { promptFragment, type FragmentInput } from '../../src/shot/analysis/prompt-fragment.js';
import type { ShotCategory } from '../../src/shot/dimensions.js';
import { goldenImageDataUrl, startLiveTinyServer, type LiveTinyServer } from '../e2e/live-tiny-server.js';
import { CHROMIUM, launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { fixturePath } from '../helpers/fixtures.js';
import { makeShotClip } from '../helpers/shot-clips.js';
import { makeTestVideo } from '../helpers/test-video.js';
import { testConfig } from '../server/test-app.js';

// The page's globals, for the callbacks Playwright runs inside Chromium: the Node project has no DOM
// library, and these declarations stay local to this file.
interface PageElement {
  tagName: string;
  textContent: string | null;
  outerHTML: string;
  dataset: Record<string, string | undefined>;
  labels?: Iterable<PageElement> | null;
  naturalWidth?: number;
  naturalHeight?: number;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): { width: number };
}
declare const document: {
  activeElement: { id: string } | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
  documentElement: { scrollWidth: number };
  body: PageElement;
};
declare const window: { innerWidth: number; progressSeen: string[] };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean; characterData: boolean }): void;
}
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { length: number };
declare function getComputedStyle(element: PageElement): { backgroundColor: string };

const SCREENSHOTS = new URL('../../.tmp/ui-screenshots/', import.meta.url).pathname;
const STILL = fixturePath('golden', 'processor', 'images', 'img_100x100.png');
const API_KEY = 'ui-test-key';
const NOT_MEDIA = 'these are not the pixels you are looking for\n';

let live: LiveTinyServer;
let browser: TestBrowser;
let page: Page;
let folder: string;
let clip: string;
let twoShots: string;
/** The first frame of the second shot of `twoShots`. */
let twoShotsCut: number;
/** Console errors and page errors; a step that expects an HTTP error clears its own. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  folder = mkdtempSync(join(tmpdir(), 'shotvl-ui-'));
  execFileSync(process.execPath, [
    new URL('../../web/build.mjs', import.meta.url).pathname,
    '--out',
    join(folder, 'web'),
  ]);
  clip = join(folder, 'clip.mp4');
  makeTestVideo(clip, { size: '96x64' });
  // Two one-second shots joined by a hard cut, for the segmentation view.
  twoShots = join(folder, 'two-shots.mp4');
  const made = await makeShotClip(twoShots, {
    rate: '10',
    width: 96,
    height: 64,
    shots: [
      { source: 'testsrc2', frames: 10 },
      { source: 'noise-blue', frames: 10 },
    ],
    transitions: [{ type: 'cut', frames: 0 }],
  });
  twoShotsCut = made.boundaries[0]!.start;
  mkdirSync(SCREENSHOTS, { recursive: true });
  live = await startLiveTinyServer([], { uiDirectory: join(folder, 'web') });
  browser = await launchChromium();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: live.url });
  // Every progress text the page shows, however briefly (a cached analysis can take 100 ms).
  await browser.context.addInitScript(() => {
    window.progressSeen = [];
    new MutationObserver(() => {
      const text = document.querySelectorAll('.progress');
      for (const element of text) if (element.textContent) window.progressSeen.push(element.textContent);
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});

afterAll(async () => {
  await browser?.close();
  await live?.close();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Sends the form with a file (uploaded) or a data: URL (pasted, sent as JSON); returns the API's own
 * JSON answer, which the page shows by then.
 */
async function analyse(source: string): Promise<Record<string, unknown>> {
  if (source.startsWith('data:')) await page.getByLabel('Or paste an image or video URL').fill(source);
  else await page.getByLabel('Choose a still or a clip').setInputFiles(source);
  await page.evaluate(() => (window.progressSeen = []));
  const response = page.waitForResponse((candidate) => candidate.url().endsWith('/analyze-shot'));
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  const body = (await (await response).json()) as Record<string, unknown>;
  await page.locator('#result-heading').waitFor();
  const progress = await page.evaluate(() => window.progressSeen.join(' | '));
  // An upload shows its progress, then the analysis; a URL goes straight to the analysis.
  expect(progress).toMatch(source.startsWith('data:') ? /Analysing/ : /Uploading.*Analysing/);
  return body;
}

interface ChartReading {
  dimension: string;
  chosen: string;
  probabilities: number[];
  widths: number[];
}

/** Every chart: its chosen label, the probabilities and the drawn bar widths (percent of the track). */
function readCharts(): Promise<ChartReading[]> {
  return page.locator('.chart').evaluateAll((charts: PageElement[]) =>
    charts.map((chart) => {
      const bars = [...chart.querySelectorAll('.bar')];
      return {
        dimension: chart.getAttribute('data-dimension') ?? '',
        chosen: chart.querySelector('.bar.chosen')?.getAttribute('data-label') ?? '',
        probabilities: bars.map((bar) => Number(bar.dataset.probability)),
        widths: bars.map((bar) => {
          const fill = bar.querySelector('.bar-fill')!.getBoundingClientRect().width;
          return (100 * fill) / bar.querySelector('.bar-track')!.getBoundingClientRect().width;
        }),
      };
    }),
  );
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('the web page in Chromium', () => {
  it('loads with no console errors, and every control has an accessible name', async () => {
    await page.goto(live.url);
    await page.getByLabel('Choose a still or a clip').waitFor();
    const unnamed = await page.evaluate(() => {
      const controls = [...document.querySelectorAll('input, select, textarea, button, a[href]')];
      const named = (element: PageElement) => {
        if (element.getAttribute('aria-label')?.trim()) return true;
        const labelledBy = element.getAttribute('aria-labelledby');
        if (labelledBy && document.getElementById(labelledBy)?.textContent?.trim()) return true;
        const labels = element.labels;
        if (labels && [...labels].some((label) => label.textContent?.trim())) return true;
        return element.tagName !== 'INPUT' && element.tagName !== 'TEXTAREA' && !!element.textContent?.trim();
      };
      const images = [...document.querySelectorAll('img')].filter((image) => !image.hasAttribute('alt'));
      return [...controls.filter((control) => !named(control)), ...images].map((element) => element.outerHTML);
    });
    expect(unnamed).toEqual([]);
    // Both views are in the page (the chat one hidden), so that covered the controls of both.
    expect(await page.locator('#chat-input').count()).toBe(1);
    await screenshot('01-empty');
    expect(problems).toEqual([]);
  });

  it('analyses a still: seven charts whose bars sum to 100%, the API answer shown as it is', async () => {
    const answer = (await analyse(STILL)) as { dimensions: Record<string, { label: string }> };
    const charts = await readCharts();
    expect(charts.map((chart) => chart.dimension)).toEqual([
      'shot_size',
      'shot_framing',
      'camera_angle',
      'lens_size',
      'lighting_type',
      'lighting_condition',
      'composition',
    ]);
    for (const chart of charts) {
      expect(sum(chart.probabilities)).toBeCloseTo(1, 5);
      expect(sum(chart.widths)).toBeCloseTo(100, 0);
      expect(chart.chosen).toBe(answer.dimensions[chart.dimension]!.label);
    }
    expect(await page.locator('.facts').textContent()).toContain('100 × 100');
    // Focus moves to the result, so the keyboard continues from there.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result-heading');
    await screenshot('02-still');
    expect(problems).toEqual([]);
  });

  it('copies the enriched prompt and the prompt fragment', async () => {
    await page.getByLabel('Text-to-video prompt to enrich (optional)').fill('A detective waits in the rain');
    const answer = (await analyse(STILL)) as { enriched_prompt: string };
    const copyEnriched = page.getByRole('button', { name: 'Copy enriched prompt' });
    await copyEnriched.click();
    await expect.poll(() => copyEnriched.textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(answer.enriched_prompt);

    // The random tiny model is never 50% sure of a label, so its fragment is empty. The server's
    // own promptFragment at threshold 0 phrases the real answer's labels into one to copy. This
    // request goes as JSON with the still as a pasted data: URL: Chromium hands interception no
    // bytes of an uploaded file.
    await page.route('**/analyze-shot', async (route) => {
      try {
        const response = await route.fetch();
        const body = (await response.json()) as { dimensions: Record<string, FragmentInput>; prompt_fragment: string };
        const estimates: Partial<Record<ShotCategory, FragmentInput>> = {};
        for (const [key, value] of Object.entries(body.dimensions)) estimates[parseDimensionName(key)!] = value;
        body.prompt_fragment = promptFragment(estimates, 0);
        await route.fulfill({ response, json: body });
      } catch (error) {
        problems.push(`route: ${String(error)}`);
        await route.abort();
      }
    });
    const fragmentAnswer = (await analyse(goldenImageDataUrl())) as { prompt_fragment: string };
    await page.unroute('**/analyze-shot');
    expect(fragmentAnswer.prompt_fragment).not.toBe('');
    expect(await page.locator('#prompt-fragment').textContent()).toBe(fragmentAnswer.prompt_fragment);
    const copyFragment = page.getByRole('button', { name: 'Copy prompt fragment' });
    await copyFragment.click();
    await expect.poll(() => copyFragment.textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fragmentAnswer.prompt_fragment);
    await screenshot('03-copied');
    expect(problems).toEqual([]);
  });

  it('analyses a clip: a poster frame from the browser and eight charts with camera movement', async () => {
    await page.getByLabel('Text-to-video prompt to enrich (optional)').fill('');
    await page.getByLabel('Choose a still or a clip').setInputFiles(clip);
    await page.getByAltText('The chosen shot').waitFor();
    const answer = (await analyse(clip)) as { media: { kind: string } };
    expect(answer.media.kind).toBe('video');
    const charts = await readCharts();
    expect(charts).toHaveLength(8);
    expect(charts.at(-1)!.dimension).toBe('camera_movement');
    for (const chart of charts) expect(sum(chart.probabilities)).toBeCloseTo(1, 5);
    const poster = page.getByAltText('A frame of the analysed clip');
    const size = await poster.evaluate((image: PageElement) => [image.naturalWidth, image.naturalHeight]);
    expect(size).toEqual([96, 64]);
    // The exports are downloads made in the page.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export OTIO' }).click();
    const otio = await download;
    expect(otio.suggestedFilename()).toBe('clip.otio');
    const timeline = JSON.parse(readFileSync((await otio.path())!, 'utf8')) as {
      OTIO_SCHEMA: string;
      tracks: { children: { children: { metadata: { shotvl: { labels: Record<string, unknown> } } }[] }[] };
    };
    expect(timeline.OTIO_SCHEMA).toBe('Timeline.1');
    const clips = timeline.tracks.children[0]!.children;
    expect(clips).toHaveLength(1);
    expect(Object.keys(clips[0]!.metadata.shotvl.labels)).toHaveLength(8);
    await screenshot('04-clip');
    expect(problems).toEqual([]);
  });

  it('splits an uploaded clip with a cut into shots on the real server: a timeline, each shot its own charts', async () => {
    // No stand-in: the live server detects the cut of a clip made here and analyses each shot with
    // the tiny model; the page must show what it answered, shot by shot.
    await page.goto(live.url);
    await page.getByLabel('Choose a still or a clip').setInputFiles(twoShots);
    await page.getByLabel('Split a clip into shots').check();
    const response = page.waitForResponse((candidate) => candidate.url().endsWith('/analyze-shot'));
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    const answer = (await (await response).json()) as {
      object: string;
      shots: {
        start_frame: number;
        transition_in: string | null;
        analysed_as: string;
        thumbnail?: string;
        prompt_fragment: string;
        dimensions: Record<string, { label: string; distribution: Record<string, number> }>;
      }[];
    };
    await page.locator('#result-heading').waitFor();
    // The page asked for segment "auto" and thumbnails (the server answers a segmentation, with them).
    expect(answer.object).toBe('shot.segmentation');
    expect(answer.shots.map((shot) => [shot.start_frame, shot.transition_in, shot.analysed_as])).toEqual([
      [0, null, 'video'],
      [twoShotsCut, 'cut', 'video'],
    ]);
    for (const shot of answer.shots) expect(shot.thumbnail).toMatch(/^data:image\/jpeg;base64,/);

    const shots = page.locator('.timeline-shot');
    expect(await shots.count()).toBe(2);
    expect(await shots.nth(0).getAttribute('aria-pressed')).toBe('true');
    // Each shot's thumbnail is the server's JPEG, decoded by the browser.
    const thumbnails = await shots
      .locator('img')
      .evaluateAll((images: PageElement[]) => images.map((image) => (image.naturalWidth ?? 0) > 0));
    expect(thumbnails).toEqual([true, true]);
    // The charts are the chosen shot's own answer: its chosen labels and its probabilities.
    const shown = async () =>
      Object.fromEntries(
        (await readCharts()).map((chart) => [
          chart.dimension,
          { label: chart.chosen, probabilities: chart.probabilities.map((value) => value.toFixed(6)).sort() },
        ]),
      );
    const answered = (shot: (typeof answer.shots)[number]) =>
      Object.fromEntries(
        Object.entries(shot.dimensions).map(([dimension, { label, distribution }]) => [
          dimension,
          {
            label,
            probabilities: Object.values(distribution)
              .map((value) => value.toFixed(6))
              .sort(),
          },
        ]),
      );
    expect(await page.locator('.chart').count()).toBe(8);
    expect(answered(answer.shots[1]!)).not.toEqual(answered(answer.shots[0]!)); // two different shots
    expect(await shown()).toEqual(answered(answer.shots[0]!));

    await shots.nth(1).click();
    expect(await shots.nth(1).getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#prompt-fragment-heading').textContent()).toBe('Prompt fragment of shot 2');
    const fragment = answer.shots[1]!.prompt_fragment;
    expect(await page.locator('#prompt-fragment').textContent()).toBe(
      fragment === '' ? 'No label was confident enough (probability of at least 50%).' : fragment,
    );
    expect(await shown()).toEqual(answered(answer.shots[1]!));

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csv = readFileSync((await (await download).path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(csv).toHaveLength(3);
    expect(csv[2]).toContain(',cut,video,');
    await screenshot('05-segmented');
    expect(problems).toEqual([]);
  });

  it('shows the API error text for a bad upload', async () => {
    const notMedia = join(folder, 'notes.txt');
    writeFileSync(notMedia, NOT_MEDIA);
    const form = new FormData();
    form.append('file', new Blob([NOT_MEDIA]), 'notes.txt');
    const direct = await fetch(`${live.url}/analyze-shot`, { method: 'POST', body: form });
    expect(direct.status).toBe(415);
    const envelope = (await direct.json()) as { error: { message: string } };

    await page.getByLabel('Choose a still or a clip').setInputFiles(notMedia);
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(envelope.error.message);
    // Chromium logs the failed request itself; that one console line is this step's expected 415.
    expect(problems).toEqual([expect.stringContaining('status of 415')]);
    problems.length = 0;
    await screenshot('06-bad-upload');
  });

  it('streams a chat answer and stops it; the server then runs nothing', async () => {
    await page.goto(`${live.url}/#chat`);
    const abortedBefore = live.engine.stats().abortedRequests;
    await page.getByLabel('Attach images or clips').setInputFiles([STILL, clip]);
    await page.getByRole('button', { name: 'Remove img_100x100.png' }).waitFor();
    await page.getByRole('button', { name: 'Remove clip.mp4' }).waitFor();
    const request = page.waitForRequest((candidate) => candidate.url().endsWith('/v1/chat/completions'));
    await page.getByLabel('Max tokens').fill('4000');
    await page.getByLabel('Temperature').fill('0');
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.fill('Describe this shot at length.');
    await message.press('Enter');
    // The still and the clip travel as data: URLs in the message's content parts.
    const body = (await request).postDataJSON() as { messages: { content: { type: string }[] }[] };
    expect(body.messages[0]!.content.map((part) => part.type)).toEqual(['image_url', 'video_url', 'text']);
    const answer = page.locator('.message.assistant .message-text');
    await expect.poll(async () => (await answer.textContent())?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(10);
    expect(live.engine.stats().running).toBe(1);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.message.assistant[data-ending="stopped"]').waitFor();
    const started = Date.now();
    while (live.engine.stats().running !== 0 && Date.now() - started < 2000) await sleep(20);
    const stats = live.engine.stats();
    expect(stats.running).toBe(0);
    expect(stats.kvBytesUsed).toBe(0);
    expect(stats.abortedRequests).toBe(abortedBefore + 1);
    const metrics = await (await fetch(`${live.url}/metrics`)).text();
    expect(metrics).toMatch(/^vllm:num_requests_running(\{[^}]*\})? 0$/m);
    // The text stops growing once stopped.
    const stopped = (await answer.textContent())!.length;
    await sleep(300);
    expect((await answer.textContent())!.length).toBe(stopped);
    await screenshot('07-chat-stopped');
    expect(problems).toEqual([]);
  });

  it('fits a phone screen, in dark mode too', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(live.url);
    await analyse(STILL);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(18, 18, 20)');
    await screenshot('08-phone-dark');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(problems).toEqual([]);
  });

  it('asks for the API key once and keeps it in sessionStorage only', async () => {
    const keyed: RunningServer = await startServer({
      engine: live.engine,
      config: testConfig(['--host', '127.0.0.1', '--port', '0', '--api-key', API_KEY]),
      mediaResolver: live.mediaResolver,
      uiDirectory: join(folder, 'web'),
    });
    try {
      await page.goto(keyed.url);
      const keyField = page.getByLabel('API key', { exact: true });
      await keyField.fill('wrong-key');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Missing or incorrect API key');
      expect(problems).toEqual([expect.stringContaining('status of 401')]);
      problems.length = 0;
      await keyField.fill(API_KEY);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByLabel('Choose a still or a clip').waitFor();
      const stored = await page.evaluate(() => [sessionStorage.getItem('shotvl.apiKey'), localStorage.length]);
      expect(stored).toEqual([API_KEY, 0]);
      await page.reload();
      await page.getByLabel('Choose a still or a clip').waitFor();
      expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);
      await analyse(STILL);
      expect(await page.locator('.chart').count()).toBe(7);
      await screenshot('09-with-key');
      expect(problems).toEqual([]);
    } finally {
      await keyed.app.close();
    }
  });
});
