import { defineProject } from 'vitest/config';

// Cross-Worker end-to-end tests: they start the real `npm start` stack as a child process.
export default defineProject({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    include: ['e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
