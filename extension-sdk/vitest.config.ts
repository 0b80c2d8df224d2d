import { defineProject } from 'vitest/config';

// The SDK's unit tests run in Node with an injected fetch and a chrome.* stand-in
// (test/support/fake-chrome.ts); the Chromium end-to-end test is in test/e2e/sdk*.test.ts.
export default defineProject({
  test: { name: 'extension-sdk', root: import.meta.dirname, include: ['test/**/*.test.ts'] },
});
