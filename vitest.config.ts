import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // HSM-backed and TLS suites start real servers; keep files in separate forks.
    pool: 'forks',
  },
});
