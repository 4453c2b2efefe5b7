// Real Chromium for the browser tests and bench/ui-page.ts: Debian's /usr/bin/chromium (.ci/run
// installs it) driven by playwright-core, headless, with a fresh profile and nothing that reaches the
// network by itself. No test-runner imports, so the benchmark launches it the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface ChromiumOptions {
  colorScheme?: 'light' | 'dark';
  /** Default 1280×900 (the tests' screenshots). */
  viewport?: { width: number; height: number };
}

export async function launchChromium(options: ChromiumOptions = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'shotvl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
