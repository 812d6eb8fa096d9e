// vitest: unit tests (*.test.ts) and integration tests against real components (*.int.test.ts).
// Each test file runs in its own process (chDB binds one data directory per process).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.cache/**', '.scratch/**'],
    pool: 'forks',
    globalSetup: ['shared/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
