import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Only a guard against a hang: tests carry no wall-clock limits of their own, and a loaded
    // 2-core machine can take many times longer than an idle one.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
