/** Deterministic hostile text for the linear-time tests, so that a failure can be reproduced. */
export function junk(length: number, alphabet: string, seed: number): string {
  let state = seed;
  let out = '';
  while (out.length < length) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}
