/**
 * The install id is random, but it is still a stable per-person identifier: it is hashed together
 * with the extension id before it names a Durable Object or reaches storage
 * (docs/architecture.md#personal-data).
 */
export async function hashInstall(extensionId: string, installId: string): Promise<string> {
  const data = new TextEncoder().encode(`${extensionId}\n${installId}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
