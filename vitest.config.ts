import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end suites start real servers and processes; two cores are all we have.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
