/**
 * RSA key pairs for the GitHub App tests, made on the Node side by OpenSSL (app-keys.ts) so the
 * PKCS#1 form, the one GitHub downloads, is an encoder's output independent of triage's own
 * PKCS#1 → PKCS#8 wrapping. PEM strings: they cross into workerd through `provide`.
 */
export interface GitHubAppTestKeys {
  /** One key pair's private key as PKCS#1 (`BEGIN RSA PRIVATE KEY`) … */
  pkcs1: string;
  /** … and the same private key as PKCS#8 (`BEGIN PRIVATE KEY`). */
  pkcs8: string;
  /** Its public key, SPKI PEM, what `addApp` is given. */
  publicKey: string;
  /** Another App's private key (PKCS#1): a well-formed key GitHub does not know. */
  otherPkcs1: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    githubAppKeys: GitHubAppTestKeys;
  }
}
