import { defineConfig } from 'vitest/config';

/** The property suite alone (properties/): what `npm run mutation` measures first. */
export default defineConfig({
  test: {
    include: ['properties/**/*.prop.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
