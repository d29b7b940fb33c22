// The order test files start in: longest first, so that the two workers finish together instead
// of one running the slowest file alone at the end. vitest orders by the durations of the last
// run it cached (node_modules/.vite), but a fresh clone has none and falls back to file size,
// which put the long kill and listing tests (short files) last. Here a file's cached duration
// decides when there is one, then the figure below, then its size.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds the slowest files took in a whole `npm test` on 2 cores at load average ≈ 10 (the rest
 * took under 40): an order, not a limit; a stale figure only starts a file a little early or late.
 */
const SLOWEST: Record<string, number> = {
  'tests/e2e/client.upload.test.ts': 200,
  'tests/e2e/http.cli_usability.test.ts': 190,
  'tests/e2e/http.kills.test.ts': 184,
  'tests/e2e/http.serving.test.ts': 179,
  'tests/e2e/upload.listing.test.ts': 147,
  'tests/browser/app.test.ts': 132,
  'tests/e2e/upload.flows.test.ts': 126,
  'tests/e2e/upload.native_hashing.test.ts': 96,
  'tests/e2e/http.cli.test.ts': 94,
  'tests/e2e/replica.execution.test.ts': 73,
  'tests/e2e/http.agent.test.ts': 46,
  'tests/e2e/http.restart.test.ts': 43
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const cost = (spec: TestSpecification): [number, number] => {
      const path = relative(root, spec.moduleId);
      const key = `${spec.project.name}:${path}`;
      const cached = this.ctx.cache.getFileTestResults(key)?.duration;
      const seconds = cached !== undefined ? cached / 1000 : (SLOWEST[path] ?? 0);
      return [seconds, this.ctx.cache.getFileStats(key)?.size ?? 0];
    };
    const costs = new Map(files.map((spec) => [spec, cost(spec)]));
    return [...files].sort((a, b) => {
      const [secondsA, sizeA] = costs.get(a)!;
      const [secondsB, sizeB] = costs.get(b)!;
      return secondsB - secondsA || sizeB - sizeA;
    });
  }
}
