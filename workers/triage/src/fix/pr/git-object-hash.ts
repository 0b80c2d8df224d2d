/**
 * Git object ids computed locally, exactly as git computes them: SHA-1 over
 * `<type> <byte length>\0<payload>` (git's "object format", Pro Git §10.2). The PR writer uses
 * the blob id twice: in live mode to check that GitHub stored the bytes we meant (a different id
 * means an encoding went wrong on the way), and in dry-run mode to record the exact tree that
 * would have been written without any GitHub call.
 */

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The blob id of a text file as GitHub stores it (UTF-8 bytes, no newline conversion). */
export async function gitBlobSha(content: string): Promise<string> {
  const payload = encoder.encode(content);
  const header = encoder.encode(`blob ${payload.byteLength}\0`);
  const all = new Uint8Array(header.byteLength + payload.byteLength);
  all.set(header, 0);
  all.set(payload, header.byteLength);
  return hex(await crypto.subtle.digest('SHA-1', all));
}
