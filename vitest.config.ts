import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Canister executions are CPU-bound and the machine has 2 cores.
    maxWorkers: 2,
    pool: 'forks'
  }
});
