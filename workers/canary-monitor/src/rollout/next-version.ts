import { compareVersions, isVersion } from '@homeostat/shared';

const MAX_PART = 65_535;

/**
 * The smallest "next" version above every given version, for `:rollback`'s `newVersion`, which
 * must be higher than the current version ("1.1 → 1.1.1 or 1.2, not 1.0"). Default rule from
 * research/canary.md §1.6: append or increment a 4th part (1.4.2 → 1.4.2.1, 1.4.2.1 → 1.4.2.2),
 * carrying into the part before when a part is full.
 */
export function nextVersionAbove(...versions: string[]): string {
  let top: string | undefined;
  for (const v of versions) {
    if (!isVersion(v)) throw new TypeError('not a Chrome extension version');
    if (top === undefined || compareVersions(v, top) > 0) top = v;
  }
  if (top === undefined) throw new TypeError('no version given');
  const parts = top.split('.').map(Number);
  while (parts.length < 4) parts.push(0);
  for (let i = 3; i >= 0; i--) {
    const part = parts[i] ?? 0;
    if (part < MAX_PART) {
      parts[i] = part + 1;
      // Chrome compares missing parts as 0, so trailing zeros after the bumped part can go.
      const next = parts.slice(0, Math.max(i + 1, 1)).join('.');
      return next;
    }
    parts[i] = 0;
  }
  throw new RangeError('no Chrome version is higher than 65535.65535.65535.65535');
}
