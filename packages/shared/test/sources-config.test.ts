import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { type HomeostatConfigInput, parseHomeostatConfig, SharedError } from '../src/index.ts';

const repoConfig: HomeostatConfigInput = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '../../../homeostat.config.json'), 'utf8'),
);
const EXTENSION = repoConfig.extensions[0]?.id ?? '';

function withSentry(sentry: unknown[]): unknown {
  return { ...structuredClone(repoConfig), sources: { sentry } };
}

function refusal(raw: unknown): string {
  try {
    parseHomeostatConfig(raw);
  } catch (err) {
    if (err instanceof SharedError) return err.message;
    throw err;
  }
  throw new Error('config was accepted');
}

describe('sources.sentry', () => {
  test('defaults: sentry.io, the SENTRY_AUTH_TOKEN secret, 50 issues a tick; none configured by default', ({
    expect,
  }) => {
    expect(parseHomeostatConfig(repoConfig).sources.sentry).toEqual([]);
    const config = parseHomeostatConfig(
      withSentry([{ org: 'acme', project: 'notes', extension: EXTENSION }]),
    );
    expect(config.sources.sentry).toEqual([
      {
        org: 'acme',
        project: 'notes',
        extension: EXTENSION,
        baseUrl: 'https://sentry.io',
        tokenSecret: 'SENTRY_AUTH_TOKEN',
        maxIssuesPerRun: 50,
      },
    ]);
  });

  test('a source must name a configured extension, once, and a secret name rather than a token', ({
    expect,
  }) => {
    expect(
      refusal(withSentry([{ org: 'acme', project: 'notes', extension: 'a'.repeat(32) }])),
    ).toContain('sources.sentry[0].extension: names no entry of extensions');
    const twice = { org: 'acme', project: 'notes', extension: EXTENSION };
    expect(refusal(withSentry([twice, { ...twice, baseUrl: 'https://sentry.io/' }]))).toContain(
      'sources.sentry[1].project: duplicate Sentry source',
    );
    expect(
      refusal(withSentry([{ ...twice, tokenSecret: 'sntrys_eyJpYXQiOjE3MDAwMDAwMDB9' }])),
    ).toContain('sources.sentry[0].tokenSecret');
  });
});
