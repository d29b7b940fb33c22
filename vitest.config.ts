import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Canister executions are CPU-bound and the machine has 2 cores.
    maxWorkers: 2,
    pool: 'forks'
  }
});
