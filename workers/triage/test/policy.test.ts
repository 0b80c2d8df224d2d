import { parseHomeostatConfig } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { classify, type PolicyInput } from '../src/policy.ts';
import { REPO_A, REPO_B, testConfig } from './support/config.ts';

const config = testConfig();
const repoA = config.repositories.find((r) => r.slug === REPO_A);
const repoB = config.repositories.find((r) => r.slug === REPO_B);
if (repoA === undefined || repoB === undefined) throw new Error('test config lacks repositories');

function input(over: Partial<PolicyInput>): PolicyInput {
  return {
    errorType: 'Error',
    message: 'something odd',
    culprit: null,
    stack: null,
    paths: [],
    surfaces: ['popup'],
    ...over,
  };
}

describe('policy engine (seed rules)', () => {
  test('critical patterns win and go to a human', ({ expect }) => {
    for (const message of [
      'OAuth token refresh failed',
      'login form missing',
      'payment intent rejected',
      'Stripe is not defined',
      'user data corruption detected in sync',
      'possible XSS in preview',
    ]) {
      const d = classify(input({ errorType: 'ReferenceError', message }), repoA);
      expect([message, d.class, d.autoFixable]).toEqual([message, 'critical', false]);
    }
    // The seed's bare `auth` would have made every "author" critical.
    expect(classify(input({ message: 'author is undefined' }), repoA).class).toBe('unknown');
  });

  test('a file on an auth path is critical even when the message is harmless', ({ expect }) => {
    const d = classify(
      input({
        errorType: 'TypeError',
        message: "Cannot read properties of undefined (reading 'x')",
        paths: ['src/auth/session.js'],
      }),
      repoA,
    );
    expect(d).toEqual({ class: 'critical', reasons: ['auth'], autoFixable: false });
  });

  test('safe patterns are safe, except in the background service worker', ({ expect }) => {
    const safe = input({
      errorType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'id')",
    });
    expect(classify(safe, repoA)).toEqual({
      class: 'safe',
      reasons: ['undefined-property'],
      autoFixable: true,
    });
    expect(classify({ ...safe, surfaces: ['popup', 'background'] }, repoA)).toEqual({
      class: 'needs-validation',
      reasons: ['undefined-property', 'surface:background'],
      autoFixable: true,
    });
    expect(
      classify(input({ errorType: 'ReferenceError', message: 'foo is not defined' }), repoA).class,
    ).toBe('safe');
  });

  test('extension-API and network errors need validation; anything else is unknown', ({
    expect,
  }) => {
    expect(
      classify(
        input({ message: 'Could not establish connection. Receiving end does not exist.' }),
        repoA,
      ),
    ).toMatchObject({ class: 'needs-validation', reasons: ['chrome-runtime'] });
    expect(classify(input({ message: 'Failed to fetch' }), repoA).class).toBe('needs-validation');
    expect(
      classify(input({ message: 'Resource::kQuotaBytesPerItem quota exceeded' }), repoA).class,
    ).toBe('needs-validation');
    expect(classify(input({ message: 'weird' }), repoA)).toEqual({
      class: 'unknown',
      reasons: [],
      autoFixable: false,
    });
  });

  test('a repository adds rules and disables defaults', ({ expect }) => {
    expect(classify(input({ message: 'palette.export threw' }), repoB)).toMatchObject({
      class: 'critical',
      reasons: ['palette-io'],
    });
    expect(classify(input({ message: 'palette.export threw' }), repoA).class).toBe('unknown');
    // repoB disabled the seed's `logging` rule.
    expect(classify(input({ message: 'console.log is broken' }), repoA).class).toBe('safe');
    expect(classify(input({ message: 'console.log is broken' }), repoB).class).toBe('unknown');
  });

  test('neverSafeSurfaces is configurable', ({ expect }) => {
    const custom = parseHomeostatConfig({
      version: 1,
      extensions: [
        {
          id: 'aaaabbbbccccddddeeeeffffgggghhhh',
          name: 'x',
          ingestKeys: ['hs_pub_x_key_00000000001'],
          repo: 'o/r',
        },
      ],
      repositories: [{ slug: 'o/r', policy: { neverSafeSurfaces: ['content'] } }],
      models: {},
      canary: {},
    }).repositories[0];
    if (custom === undefined) throw new Error('no repository');
    const safe = input({
      errorType: 'TypeError',
      message: "Cannot read properties of null (reading 'x')",
    });
    expect(classify({ ...safe, surfaces: ['background'] }, custom).class).toBe('safe');
    expect(classify({ ...safe, surfaces: ['content'] }, custom).class).toBe('needs-validation');
  });

  test('an invalid pattern in the config is rejected with its path', ({ expect }) => {
    expect(() =>
      parseHomeostatConfig({
        version: 1,
        extensions: [
          {
            id: 'aaaabbbbccccddddeeeeffffgggghhhh',
            name: 'x',
            ingestKeys: ['hs_pub_x_key_00000000001'],
            repo: 'o/r',
          },
        ],
        repositories: [
          { slug: 'o/r', policy: { rules: [{ id: 'bad', class: 'safe', pattern: '(' }] } },
        ],
        models: {},
        canary: {},
      }),
    ).toThrow(/repositories\[0\]\.policy\.rules\[0\]\.pattern/);
  });
});
