import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'properties/**/*.prop.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
