import { describe, test } from 'vitest';
import { compareVersions, isVersion } from '../src/index.ts';

describe('compareVersions (Chrome extension versions)', () => {
  test.for<[string, string, -1 | 0 | 1]>([
    ['1.0', '1.0.0', 0],
    ['1.2', '1.2.0.0', 0],
    ['1.10', '1.9', 1],
    ['1.9.9', '1.10', -1],
    ['2', '1.65535.65535.65535', 1],
    ['0.0.1', '0.0.0.9', 1],
    ['3.1.4.1', '3.1.4.2', -1],
  ])('%s vs %s → %i', ([a, b, expected], { expect }) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  test.for(['', '1.', '.1', '1.2.3.4.5', '01.2', '1.65536', 'v1.2', '1.2-beta', ' 1.2'])(
    'rejects %j',
    (v, { expect }) => {
      expect(isVersion(v)).toBe(false);
      expect(() => compareVersions(v, '1')).toThrow(TypeError);
    },
  );
});
