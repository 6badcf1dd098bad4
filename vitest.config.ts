import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default (cores − 1) runs one file at a time on a 2-core machine, but the tests spend
    // much of their time waiting on the processes and servers they start: two at a time keep both
    // cores busy (README, "Quick start").
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
