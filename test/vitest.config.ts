import { defineProject } from 'vitest/config';

// Cross-Worker end-to-end tests: they start the real `npm start` stack as a child process.
export default defineProject({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    // The GitHub emulator's Node side (HTTP server, webhook delivery, local CI) is tested here too.
    include: ['e2e/**/*.test.ts', 'emulators/github/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
