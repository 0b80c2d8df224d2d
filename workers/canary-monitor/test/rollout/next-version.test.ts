import { compareVersions } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { nextVersionAbove } from '../../src/rollout/next-version.ts';

describe('rollback newVersion (research/canary.md §1.6, §6.8)', () => {
  test.for([
    ['1', '1.0.0.1'],
    ['1.4', '1.4.0.1'],
    ['1.4.2', '1.4.2.1'],
    ['1.4.2.1', '1.4.2.2'],
    ['1.4.2.65535', '1.4.3'],
    ['1.4.65535.65535', '1.5'],
    ['0.0.0.0', '0.0.0.1'],
  ] as const)('%s → %s', ([current, expected], { expect }) => {
    const next = nextVersionAbove(current);
    expect(next).toBe(expected);
    expect(compareVersions(next, current)).toBe(1);
  });

  test('it exceeds every given version, not only the canary', ({ expect }) => {
    const next = nextVersionAbove('1.1.0', '1.1.0.1', '1.0.9');
    expect(next).toBe('1.1.0.2');
    for (const v of ['1.1.0', '1.1.0.1', '1.0.9']) expect(compareVersions(next, v)).toBe(1);
  });

  test('it refuses what is not a Chrome version, and the top of the range', ({ expect }) => {
    expect(() => nextVersionAbove('1.2.3.4.5')).toThrow(TypeError);
    expect(() => nextVersionAbove('v1.2')).toThrow(TypeError);
    expect(() => nextVersionAbove('65535.65535.65535.65535')).toThrow(RangeError);
  });
});
