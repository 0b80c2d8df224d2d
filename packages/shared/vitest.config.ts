import { defineProject } from 'vitest/config';

// Shared code runs in Workers, the browser and Node; its tests need no bindings, so plain Node.
export default defineProject({
  test: { name: 'shared', root: import.meta.dirname, include: ['test/**/*.test.ts'] },
});
