import { defineConfig } from 'vitest/config';

/** The property suite alone (properties/): what `npm run mutation` measures first. */
export default defineConfig({
  test: {
    include: ['properties/**/*.prop.test.ts'],
    testTimeout: 600_000, // the dry run under coverage on a loaded machine
    pool: 'forks',
  },
});
