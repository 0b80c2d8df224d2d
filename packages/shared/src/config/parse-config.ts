import { SharedError } from '../errors.ts';
import { describeIssues, formatPath } from '../zod-issues.ts';
import { type HomeostatConfig, HomeostatConfigSchema } from './homeostat-config.schema.ts';

/**
 * Shapes of credentials that must never be committed in the config file. A strict schema already
 * rejects unknown keys; this catches a secret pasted into a field that accepts free text.
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}/, // GitHub classic tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/, // GitHub fine-grained tokens
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}/, // OpenAI / Anthropic style keys
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{35}\b/, // Google API keys
  /\b1\/\/0[A-Za-z0-9_-]{20,}/, // Google OAuth refresh tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /hooks\.slack\.com\/services\//, // Slack incoming-webhook URLs carry their secret in the path
];

function findSecretPaths(value: unknown, path: PropertyKey[], out: string[]): void {
  if (typeof value === 'string') {
    if (SECRET_SHAPES.some((re) => re.test(value))) out.push(formatPath(path));
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      findSecretPaths(v, [...path, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) findSecretPaths(v, [...path, k], out);
  }
}

/**
 * Validates a parsed `homeostat.config.json`. Throws `SharedError` whose message names every bad
 * field by path (never its value), so a Worker fails at start-up with something a person can fix.
 */
export function parseHomeostatConfig(raw: unknown): HomeostatConfig {
  const secretPaths: string[] = [];
  findSecretPaths(raw, [], secretPaths);
  if (secretPaths.length > 0) {
    throw new SharedError(
      'config_secret_in_file',
      `homeostat config holds what looks like a secret at ${secretPaths.join(', ')}; ` +
        'secrets belong in Wrangler secrets or .dev.vars',
      secretPaths,
    );
  }
  const result = HomeostatConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = describeIssues(result.error.issues);
    throw new SharedError(
      'config_invalid',
      `invalid homeostat config:\n  ${lines.join('\n  ')}`,
      result.error.issues.map((i) => formatPath(i.path)),
    );
  }
  return result.data;
}
