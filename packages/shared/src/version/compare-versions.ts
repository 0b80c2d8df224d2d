/**
 * Chrome's extension version ordering: 1–4 dot-separated integers compared part by part, a
 * missing part counting as 0, so 1.2 == 1.2.0 and 1.10 > 1.9
 * (developer.chrome.com/docs/extensions/reference/manifest/version). Returns -1, 0 or 1; throws
 * on a string that is not such a version, since guessing an order would mislead a regression check.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < 4; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function isVersion(value: string): boolean {
  return (
    /^(0|[1-9]\d{0,4})(\.(0|[1-9]\d{0,4})){0,3}$/.test(value) &&
    value.split('.').every((p) => Number(p) <= 65_535)
  );
}

function parseVersion(v: string): number[] {
  if (!isVersion(v)) throw new TypeError('not a Chrome extension version');
  return v.split('.').map(Number);
}
