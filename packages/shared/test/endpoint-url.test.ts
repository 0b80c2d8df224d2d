import { describe, test } from 'vitest';
import {
  type HomeostatConfigInput,
  isSecureEndpoint,
  parseHomeostatConfig,
  SharedError,
} from '../src/index.ts';

/** Every endpoint the config names, and how to set it (issue 11, item 4). */
const FIELDS: [string, (c: HomeostatConfigInput, url: string) => void][] = [
  ['github.apiBaseUrl', (c, url) => Object.assign(c, { github: { apiBaseUrl: url } })],
  ['canary.storeApiBaseUrl', (c, url) => Object.assign(c, { canary: { storeApiBaseUrl: url } })],
  ['canary.oauthTokenUrl', (c, url) => Object.assign(c, { canary: { oauthTokenUrl: url } })],
  [
    'models.providers[0].baseUrl',
    (c, url) =>
      Object.assign(c, {
        models: {
          providers: [
            {
              name: 'p',
              baseUrl: url,
              model: 'm',
              pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 1 },
            },
          ],
        },
      }),
  ],
  [
    'sources.sentry[0].baseUrl',
    (c, url) =>
      Object.assign(c, {
        sources: {
          sentry: [
            {
              org: 'acme',
              project: 'x',
              baseUrl: url,
              extension: 'abcdefghijklmnopabcdefghijklmnop',
            },
          ],
        },
      }),
  ],
];

function configWith(set: (c: HomeostatConfigInput, url: string) => void, url: string) {
  const c: HomeostatConfigInput = {
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
  };
  set(c, url);
  return c;
}

const REJECTED = [
  'http://api.github.com',
  'http://10.0.0.5:8080/api',
  'ftp://models.example.com/v1',
  'javascript:alert(1)',
  // Loopback-looking names that resolve anywhere.
  'http://localhost.attacker.example/x',
  'http://127.0.0.1.attacker.example/',
  'http://[::2]/',
  'http://0.0.0.0:8787/',
];

const ACCEPTED = [
  'https://api.github.com',
  'https://ghe.example.com/api/v3',
  'http://localhost:8788',
  'http://LOCALHOST/x',
  'http://127.0.0.1:9000/token',
  'http://127.4.5.6/',
  'http://[::1]:3000/v1',
];

describe('endpoint URLs in the config must be https: except on loopback', () => {
  test.for(FIELDS.flatMap(([field, set]) => REJECTED.map((url) => [field, set, url] as const)))(
    'rejects %s = %s, naming the field but not the value',
    ([field, set, url], { expect }) => {
      let err: unknown;
      try {
        parseHomeostatConfig(configWith(set, url));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SharedError);
      const e = err as SharedError;
      expect(e.code).toBe('config_invalid');
      expect(e.fields).toEqual([field]);
      expect(e.message).toContain(`${field}: must be an https: URL`);
      expect(e.message).not.toContain(url);
    },
  );

  test.for(FIELDS.flatMap(([field, set]) => ACCEPTED.map((url) => [field, set, url] as const)))(
    'accepts %s = %s',
    ([, set, url], { expect }) => {
      expect(() => parseHomeostatConfig(configWith(set, url))).not.toThrow();
    },
  );

  test('the same rule serves endpoints held as secrets (the Slack webhook)', ({ expect }) => {
    expect(isSecureEndpoint('https://hooks.slack.com/services/T/B/X')).toBe(true);
    expect(isSecureEndpoint('http://hooks.slack.com/services/T/B/X')).toBe(false);
    expect(isSecureEndpoint('not a url')).toBe(false);
  });
});
