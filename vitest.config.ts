import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Builds the tiny test model once per run (tests/helpers/tiny-model.ts).
    globalSetup: ['tests/helpers/global-setup.ts'],
    // One fixed fast-check seed for every property test (tests/helpers/fast-check-seed.ts).
    setupFiles: ['tests/helpers/fast-check-seed.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
