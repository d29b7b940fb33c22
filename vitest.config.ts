import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './tests/support/sequencer.js';

// Three projects: `unit` runs in plain Node; `e2e` talks to a PocketIC server (the embedded replica
// unless POCKET_IC_BIN says otherwise), started once by the global setup; `browser` drives the app.
export default defineConfig({
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Canister executions are CPU-bound and the machine has 2 cores.
    maxWorkers: 2,
    pool: 'forks',
    sequence: { sequencer: LongestFirstSequencer },
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], globalSetup: ['tests/global-setup.ts'] }
      },
      // Real headless Chromium against the app and a local network each test file starts itself.
      { extends: true, test: { name: 'browser', include: ['tests/browser/**/*.test.ts'] } }
    ]
  }
});
