import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { GitHubAppTestKeys } from './app-keys.types.ts';

function rsaPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048, // what GitHub issues
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

/** Two RSA key pairs, made fresh per run (Node side): no private key is committed. */
export function githubAppTestKeys(): GitHubAppTestKeys {
  const pair = rsaPair();
  return {
    pkcs1: pair.privateKey,
    pkcs8: createPrivateKey(pair.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey,
    otherPkcs1: rsaPair().privateKey,
  };
}
