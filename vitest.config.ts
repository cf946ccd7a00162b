import { defineConfig } from 'vitest/config';

/**
 * Suites that start nothing (pure machines, buses, schemas, services against in-memory twins)
 * share one module graph per worker: loading xstate, zod and the contract once instead of once
 * per file roughly halves their time. Every test in them restores what it stubs. Everything that
 * starts servers or processes, or mocks modules, keeps vitest's per-file isolation.
 */
const sharedModuleSuites = [
  'test/machines',
  'test/bus',
  'test/contract',
  'test/services',
  'test/http',
  'test/config',
  'test/runtime',
  'test/storage',
].map((dir) => `${dir}/**/*.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites start real servers and processes; two cores are all we have.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: sharedModuleSuites, isolate: false } },
      { extends: true, test: { name: 'system', include: ['test/**/*.test.ts'], exclude: sharedModuleSuites } },
    ],
  },
});
