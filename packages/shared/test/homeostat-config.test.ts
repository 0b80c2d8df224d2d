import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { type HomeostatConfigInput, parseHomeostatConfig, SharedError } from '../src/index.ts';

const repoConfig: HomeostatConfigInput = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '../../../homeostat.config.json'), 'utf8'),
);

function withChange(change: (c: HomeostatConfigInput) => unknown): unknown {
  const copy: HomeostatConfigInput = structuredClone(repoConfig);
  change(copy);
  return copy;
}

function failure(raw: unknown): SharedError {
  try {
    parseHomeostatConfig(raw);
  } catch (err) {
    if (err instanceof SharedError) return err;
    throw err;
  }
  throw new Error('config was accepted');
}

const first = <T>(items: T[] | undefined): T => {
  const item = items?.[0];
  if (item === undefined) throw new Error('fixture has no first item');
  return item;
};

describe('homeostat.config.json', () => {
  test('the shipped example config is valid and gets the seed defaults', ({ expect }) => {
    const config = parseHomeostatConfig(repoConfig);
    const ext = first(config.extensions);
    expect(ext.name).toBe('demo-extension');
    expect(ext.ingestKeys).toHaveLength(1);
    expect(ext.limits.minInstalls).toBe(2);
    const repo = first(config.repositories);
    expect(repo.maxPrsPerRun).toBe(2);
    expect(repo.maxAttempts).toBe(3);
    expect(repo.confidenceThreshold).toBe(0.8);
    expect(repo.labels.optOut).toBe('do-not-fix');
    expect(config.models.budget.perRunUsd).toBe(1);
    expect(config.models.fixLimits).toEqual({ maxDiffLines: 500, maxFiles: 10 });
    expect(config.canary.stages).toEqual([5, 10, 25, 50, 100]);
    expect(config.canary.alpha).toBe(0.01);
  });

  test('a minimal config gets every default', ({ expect }) => {
    const config = parseHomeostatConfig({
      version: 1,
      extensions: [
        {
          id: 'abcdefghijklmnopabcdefghijklmnop',
          name: 'x',
          ingestKeys: ['hs_pub_0123456789abcdef'],
          repo: 'acme/x',
        },
      ],
      repositories: [{ slug: 'acme/x' }],
    });
    expect(config.github.apiBaseUrl).toBe('https://api.github.com');
    expect(first(config.repositories).paths).toEqual({ include: ['**'], exclude: [] });
    expect(first(config.repositories).sourceRoots).toEqual([{ from: '/', to: '' }]);
    expect(config.canary.rollback).toBe('critical');
    expect(config.canary.thetaBad).toBe(1.5);
    expect(config.models.providers).toEqual([]);
  });

  const invalid: [string, (c: HomeostatConfigInput) => unknown, string][] = [
    [
      'extension id not 32 a-p letters',
      (c) => Object.assign(first(c.extensions), { id: 'ZZZ' }),
      'extensions[0].id',
    ],
    [
      'ingest key of the wrong shape',
      (c) => Object.assign(first(c.extensions), { ingestKeys: ['nope'] }),
      'extensions[0].ingestKeys[0]',
    ],
    [
      'no ingest key',
      (c) => Object.assign(first(c.extensions), { ingestKeys: [] }),
      'extensions[0].ingestKeys',
    ],
    [
      'repo that is not configured',
      (c) => Object.assign(first(c.extensions), { repo: 'acme/other' }),
      'extensions[0].repo',
    ],
    [
      'unknown key (a typo)',
      (c) => Object.assign(first(c.repositories), { maxPRsPerRun: 3 }),
      'repositories[0]',
    ],
    [
      'repository slug without owner',
      (c) => Object.assign(first(c.repositories), { slug: 'demo' }),
      'repositories[0].slug',
    ],
    [
      'confidence above 1',
      (c) => Object.assign(first(c.repositories), { confidenceThreshold: 1.5 }),
      'repositories[0].confidenceThreshold',
    ],
    [
      'source root escaping the repo',
      (c) => Object.assign(first(c.repositories), { sourceRoots: [{ from: '/', to: '../x' }] }),
      'repositories[0].sourceRoots[0].to',
    ],
    [
      'stages not increasing',
      (c) => Object.assign(c, { canary: { stages: [5, 50, 25, 100] } }),
      'canary.stages',
    ],
    [
      'stages not ending at 100',
      (c) => Object.assign(c, { canary: { stages: [5, 10] } }),
      'canary.stages',
    ],
    ['alpha out of range', (c) => Object.assign(c, { canary: { alpha: 2 } }), 'canary.alpha'],
    [
      'provider url not http(s)',
      (c) => Object.assign(first(c.models?.providers), { baseUrl: 'ftp://x' }),
      'models.providers[0].baseUrl',
    ],
    [
      'api key value instead of secret name',
      (c) => Object.assign(first(c.models?.providers), { apiKeySecret: 'my key' }),
      'models.providers[0].apiKeySecret',
    ],
    ['wrong version', (c) => Object.assign(c, { version: 2 }), 'version'],
    [
      'ingest key shared by two extensions',
      (c) => {
        const ext = first(c.extensions);
        c.extensions.push({ ...ext, id: 'abcdefghijklmnopabcdefghijklmnop', name: 'other' });
      },
      'extensions[1].ingestKeys[0]',
    ],
  ];

  test.for(invalid)('rejects %s and names the field', ([, change, field], { expect }) => {
    const err = failure(withChange(change));
    expect(err.code).toBe('config_invalid');
    expect(err.fields).toContain(field);
    expect(err.message).toContain(field);
  });

  test('the error names the field but never quotes its value', ({ expect }) => {
    const err = failure(
      withChange((c) => Object.assign(first(c.extensions), { name: 'Has Spaces And-A-Value-42' })),
    );
    expect(err.fields).toEqual(['extensions[0].name']);
    expect(err.message).not.toContain('Has Spaces');
  });

  test.for<[string, string]>([
    ['a GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
    ['an OpenAI key', 'sk-proj-abcdefghijklmnopqrstuvwxyz012345'],
    ['a private key', '-----BEGIN PRIVATE KEY-----\nMIIE'],
    ['a Slack webhook URL', 'https://hooks.slack.com/services/T000/B000/XXXX'],
  ])('rejects %s pasted into the file, naming where', ([, secret], { expect }) => {
    const err = failure(
      withChange((c) => Object.assign(first(c.models?.providers), { model: secret })),
    );
    expect(err.code).toBe('config_secret_in_file');
    expect(err.fields).toEqual(['models.providers[0].model']);
    expect(err.message).not.toContain(secret);
  });

  test('rejects a value that is not an object at all', ({ expect }) => {
    expect(failure('nope').fields).toEqual(['(root)']);
    expect(failure(null).code).toBe('config_invalid');
  });
});
