import { describe, test } from 'vitest';
import {
  type IngestEvent,
  scrubEvent,
  scrubEventCore,
  scrubText,
  scrubTextCore,
  scrubValue,
} from '../src/index.ts';

const EXT = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';

describe('scrubText: each rule, as it appears in extension errors', () => {
  test.for<[string, string, string]>([
    ['email', 'Login failed for jane.doe@gmail.com.', 'Login failed for [email].'],
    ['email, plus-addressed, in JSON', '{"to":"j.s+news@mail.co.uk"}', '{"to":"[email]"}'],
    ['email, URL-encoded', 'GET /find?q=jane%40gmail.com&n=1', 'GET /find?q=[email]&n=1'],
    ['IPv4', 'connect ECONNREFUSED 203.0.113.42:443', 'connect ECONNREFUSED [ip]:443'],
    ['IPv4 in a URL', 'GET http://10.0.0.5/x failed', 'GET http://[ip]/x failed'],
    ['IPv6 full', 'from 2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'from [ip]'],
    ['IPv6 compressed', 'from 2001:db8::8a2e:370:7334 and fe80::1', 'from [ip] and [ip]'],
    ['IPv6 bracketed with port', 'http://[2001:db8::1]:8080/', 'http://[[ip]]:8080/'],
    ['IPv6 v4-mapped', 'peer ::ffff:192.0.2.128 reset', 'peer [ip] reset'],
    ['IPv6 link-local with zone', 'via fe80::1ff:fe23:4567:890a%eth0', 'via [ip]'],
    ['Visa, grouped', 'card 4111 1111 1111 1111 exp 12/25', 'card [creditcard] exp 12/25'],
    ['Mastercard, dashed', 'card=5555-5555-5555-4444', 'card=[creditcard]'],
    ['Amex 4-6-5', 'Amex 3782 822463 10005 declined', 'Amex [creditcard] declined'],
    ['Amex contiguous (15 digits, 34/37)', 'Amex 378282246310005', 'Amex [creditcard]'],
    ['card then expiry', '4000056655665556 12/26 123', '[creditcard] 12/26 123'],
    ['IBAN contiguous', 'IBAN DE89370400440532013000', 'IBAN [iban]'],
    ['IBAN grouped', 'to GB82 WEST 1234 5698 7654 32.', 'to [iban].'],
    ['SSN', 'SSN 078-05-1120 rejected', 'SSN [ssn] rejected'],
    [
      'PEM private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbC=\n-----END RSA PRIVATE KEY-----',
      '[private-key]',
    ],
    [
      'PEM key cut off before END',
      'key: -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg',
      'key: [private-key]',
    ],
    ['JWT', 'bad jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sIgNaTuRe_-x end', 'bad jwt [jwt] end'],
    [
      'GitHub token',
      'token ghp_0123456789abcdefghijABCDEFGHIJ012345 revoked',
      'token [token] revoked',
    ],
    ['OpenAI project key', 'key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx_yz12', 'key [token]'],
    ['Anthropic key', 'using sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxyz0123', 'using [token]'],
    ['Google API key', 'maps?key=AIzaSyA1234567890abcdefghijklmnopqrstu', 'maps?key=[token]'],
    ['Google OAuth access token', 'got ya29.a0AfH6SMBx-abcdefghijklmnopqrstu', 'got [token]'],
    ['AWS access key id', 'AccessKeyId: AKIAIOSFODNN7EXAMPLE.', 'AccessKeyId: [token].'],
    [
      'AWS secret by name',
      'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY',
      'aws_secret_access_key=[Filtered]',
    ],
    ['Stripe secret key', 'Stripe(sk_live_4eC39HqLyjWDarjtT1zdp7dc)', 'Stripe([token])'],
    [
      'Slack bot token',
      'not_authed xoxb-123456789012-1234567890123-AbCdEfGh',
      'not_authed [token]',
    ],
    [
      'Slack webhook',
      'POST https://hooks.slack.com/services/T000/B000/XXXX 404',
      'POST https://hooks.slack.com/services/[token] 404',
    ],
    ['Twilio account SID', 'user AC0123456789abcdef0123456789abcdef', 'user [token]'],
    [
      'SendGrid key',
      'SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg',
      '[token]',
    ],
    ['npm token', 'npm_abcdefghijklmnopqrstuvwxyz0123456789', '[token]'],
    ['Bearer header', 'Authorization: Bearer 8f3kd92ndk2l3kf0a9', 'Authorization: Bearer [token]'],
    ['Basic header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [token]'],
    [
      'URL userinfo',
      'Failed to fetch https://jane:S3cret@example.com/dav/',
      'Failed to fetch https://[Filtered]@example.com/dav/',
    ],
    [
      'sensitive query value',
      'GET https://x.io/a?token=abc123&page=2',
      'GET https://x.io/a?token=[Filtered]&page=2',
    ],
    [
      'OAuth fragment',
      'https://id.chromiumapp.org/#access_token=q1w2e3&expires_in=3599',
      'https://id.chromiumapp.org/#access_token=[Filtered]&expires_in=3599',
    ],
    [
      'query names that are secrets only in URLs',
      '?code=4/0AX4&sid=9f8e&sig=Zm9v&key=k1',
      '?code=[Filtered]&sid=[Filtered]&sig=[Filtered]&key=[Filtered]',
    ],
    ['assignment', 'config: api_key=abcd1234efgh (len 12)', 'config: api_key=[Filtered] (len 12)'],
    [
      'JSON password with spaces',
      '{"password":"correct horse","user":"bob"}',
      '{"password":"[Filtered]","user":"bob"}',
    ],
    ['JSON-escaped JSON', '{\\"apiKey\\":\\"k9f8\\"}', '{\\"apiKey\\":\\"[Filtered]\\"}'],
    ['secret: value', 'secret: s3cr3t-value', 'secret: [Filtered]'],
    ['Cookie header pairs', 'Cookie: theme=dark; sid=abc123', 'Cookie: [Filtered]; sid=[Filtered]'],
    ['macOS home', "open '/Users/jdoe/Library/x.json'", "open '/Users/[user]/Library/x.json'"],
    [
      'Linux home in a stack frame',
      'at f (/home/kwame/ext/bg.js:1:2)',
      'at f (/home/[user]/ext/bg.js:1:2)',
    ],
    ['Windows home', 'C:\\Users\\Jane Doe\\AppData\\x', 'C:\\Users\\[user]\\AppData\\x'],
    [
      'file URL home',
      'file:///C:/Users/anna/Downloads/a.pdf',
      'file:///C:/Users/[user]/Downloads/a.pdf',
    ],
    ['MAC', 'device 00:1A:2B:3C:4D:5E lost', 'device [mac] lost'],
    ['MAC with dashes', 'device 3C-52-82-4F-11-A0 lost', 'device [mac] lost'],
    ['IMEI', 'IMEI 490154203237518 blocked', 'IMEI [imei] blocked'],
    ['IMEI dashed', 'IMEI 49-015420-323751-8', 'IMEI [imei]'],
    // Issue 11.
    ['email, accented local part', 'for josé.garcía@correo.es.', 'for [email].'],
    ['email, Greek local part and domain', '<ανδρέας@παράδειγμα.ελ>', '<[email]>'],
    ['E.164', 'To +14155552671 failed', 'To [phone] failed'],
    ['+1 with area code in parens', 'dial +1 (212) 555-0142', 'dial [phone]'],
    ['+44 with trunk (0)', 'tel +44 (0)20 7946 0958', 'tel [phone]'],
    ['+33 in pairs', '"+33 6 12 34 56 78"', '"[phone]"'],
    ['tel: URI', 'tel:+4915123456789', 'tel:[phone]'],
    ['URL-encoded +', '?to=%2B61412345678&x=1', '?to=[phone]&x=1'],
    ['NANP with dots', 'at 415.555.2671.', 'at [phone].'],
    ['NANP with dashes and 1', 'call 1-800-555-0199', 'call [phone]'],
    ['national, spaced', 'Rückruf 030 12345678', 'Rückruf [phone]'],
    ['French pairs', 'Tél : 06 12 34 56 78', 'Tél : [phone]'],
    ['announced by a word', 'phone number 612 345 678', 'phone number [phone]'],
    ['phone before a key: value cuts it', 'phone: +1 212 555 0142', 'phone: [phone]'],
    ['Cisco MAC', 'lease a4b1.c2d3.e4f5 expired', 'lease [mac] expired'],
    ['Bearer after an arrow', '-> Bearer cafebabe-0d15-4c1a', '-> Bearer [token]'],
    ['Bearer with a colon', 'Bearer: 5f2b9c0e7d1a', 'Bearer: [token]'],
    ['Bearer, letters only', 'Bearer abcdefabcdef', 'Bearer [token]'],
    [
      'cookie beside its name in JSON',
      '{"name":"PHPSESSID","value":"9f8e7d6c"}',
      '{"name":"PHPSESSID","value":"[Filtered]"}',
    ],
    [
      'header pair in JSON',
      '[["Authorization","Token 7f3a5c"]]',
      '[["Authorization","[Filtered]"]]',
    ],
    ['passphrase', '{"passphrase":"correct horse"}', '{"passphrase":"[Filtered]"}'],
    ['one-time code', 'otp: 482913 expired', 'otp: [Filtered] expired'],
    ['PIN', 'PIN: 2468 rejected', 'PIN: [Filtered] rejected'],
    ['US street address', 'to 1600 Amphitheatre Parkway, CA', 'to [address], CA'],
    ['German street address', 'an Hauptstraße 5, Berlin', 'an [address], Berlin'],
    ['French street address', 'au 12 rue de la Paix, Paris', 'au [address], Paris'],
    ['version chain from an unlabelled IP', 'from 10.0.0.1 to 10.0.0.2', 'from [ip] to [ip]'],
  ])('%s', ([, input, expected], { expect }) => {
    expect(scrubText(input)).toBe(expected);
  });
});

describe('scrubText leaves look-alikes alone', () => {
  test.for<[string, string]>([
    ['Luhn-invalid card number', 'order 4111 1111 1111 1112 shipped'],
    ['16-digit order id failing Luhn', 'Order 5234567890123456 not found'],
    ['13-digit epoch milliseconds', 'alarm at 1732212345678'],
    ['SSN area 000', 'ref 000-12-3456'],
    ['SSN area 666', 'ref 666-12-3456'],
    ['SSN area 9xx', 'ref 912-34-5678'],
    ['SSN group 00', 'ref 123-00-4567'],
    ['SSN serial 0000', 'ref 123-45-0000'],
    ['IBAN with a bad checksum', 'IBAN DE88370400440532013000'],
    ['15 digits failing Luhn', 'id 490154203237519'],
    ['Chrome stack frame', `    at handle (${EXT}/background.js:1284:37)`],
    [
      'Firefox stack frame',
      'onMessage@moz-extension://2c127fa4-62c7-4d4b-9f1a-5ee1c56b2e1d/bg.js:10:5',
    ],
    [
      'Safari stack frame',
      'readToken@safari-web-extension://8E8C6F1A-1234-4C1B-A7E2-1F1A2B3C4D5E/bg.js:3:9',
    ],
    ['version with a label', 'Extension version 1.2.3.4 failed to update'],
    ['version in JSON', '{"version":"2.10.0.1","manifest_version":3}'],
    ['v-prefixed version', 'running v1.2.3.4'],
    ['reduced user agent', 'Chrome/120.0.0.0 Safari/537.36'],
    ['five-part number', 'build 1.2.3.4.5'],
    ['octet over 255', 'value 256.1.1.1'],
    ['time of day', 'at 19:05:54 and 12:34'],
    ['C++-style scope', 'Resource::kQuotaBytesPerItem quota exceeded'],
    ['CSS pseudo-element', "'a::before' is not a valid selector"],
    ['retina asset', 'Could not load icon icons/icon@2x.png'],
    ['npm package at version', 'https://unpkg.com/react@18.3.1/umd/react.js'],
    ['REST route with users', 'GET https://api.example.com/users/12345/profile'],
    ['web route with home', 'https://example.com/home/dashboard'],
    ['harmless query', 'https://x.com/p?page=3&sort=asc&sidebar=open&zipcode=10115&authuser=0'],
    ['prose with Bearer', 'Error: Missing Bearer token'],
    ['Bearer undefined', 'Authorization: Bearer undefined'],
    ['Firefox syntax error', "SyntaxError: unexpected token: ':'"],
    ['error type named after a token', 'TokenExpiredError: jwt expired'],
    ['declaration with an expression', 'const token = await getAuthToken({ interactive: false });'],
    ['boolean under a sensitive name', 'isAuthenticated: false'],
    [
      'UUID and git SHA',
      'req 3f2a1c9e-62c7-4d4b-9f1a-5ee1c56b2e1d at 9fceb02d0ae598e95dc970b74767f19372d61af8',
    ],
    ['hex colours', 'color: #ff00aa; background: #0f172a'],
    ['localhost port', 'POST http://localhost:8787/v1/events 429'],
    // Issue 11.
    ['IPv4 loopback', 'GET http://127.0.0.1:8787/v1/events'],
    ['IPv6 loopback, bracketed', 'http://[::1]:5173/'],
    ['IPv6 loopback with a port, as Node prints it', 'connect ECONNREFUSED ::1:3000'],
    ['unspecified addresses', 'listening on 0.0.0.0:8080 and [::]:8080'],
    ['previousVersion', 'previousVersion=1.4.1.9'],
    ['updated from one version to another', 'Updated from 2.10.0.1 to 2.10.0.2'],
    ['upgraded with an arrow', 'Upgraded 3.4.1.2 -> 3.4.2.0'],
    ['V8 version', 'V8 13.1.201.8'],
    ['DOM cookie API', "Failed to execute 'get' on 'CookieStore': Invalid name"],
    ['document.cookie', 'document.cookie: access denied'],
    ['fetch credentials option', 'credentials: "include"'],
    ['key that only contains a secret word', 'tokenizer: bert-base'],
    ['author', 'author: acme'],
    ['Bearer in prose', 'WWW-Authenticate: Bearer realm="api"'],
    ['Basic in prose', 'basic usage: see docs'],
    ['timestamp with +', 'ts=+1732212345678'],
    ['ISO time zone', '2024-01-05T08:30:12+01:00'],
    ['hex dump', '00 01 02 03 04 05 06 07 08 09'],
    ['zero-padded id with dashes', 'order 0123-4567-8901'],
    ['date and time', '05/01/2024 10:30:00'],
    ['Chrome version', 'Chrome 120.0.6099.109'],
    ['hex word triple', 'chunk dead.beef not found'],
    ['accented retina asset', 'icône@2x.png'],
    ['street word without a name', 'Track 12 Road Trip.mp3'],
    ['a list of key names in code', "storage.get(['token', 'pausedUntil'])"],
    ['a placeholder Bearer in test code', "call('Bearer wrong')"],
  ])('%s', ([, input], { expect }) => {
    expect(scrubText(input)).toBe(input);
  });
});

describe('scrubText is idempotent and keeps its tokens', () => {
  const tokens = [
    '[email]',
    '[ip]',
    '[creditcard]',
    '[iban]',
    '[ssn]',
    '[private-key]',
    '[jwt]',
    '[token]',
    '[mac]',
    '[imei]',
    '[Filtered]',
    '/Users/[user]/x',
  ];

  test.for(tokens)('%s survives', (token, { expect }) => {
    expect(scrubText(`a ${token} b`)).toBe(`a ${token} b`);
  });

  test.for<[string]>([
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig and jane@x.io'],
    ['https://u:p@h.com/?token=ghp_0123456789abcdefghijABCDEFGHIJ012345&password=x'],
    ['{"password":"a b","card":"4111111111111111","ip":"::ffff:10.0.0.1"}'],
    ['C:\\Users\\Jane Doe\\x and /home/bob/y and file:///Users/ann/z'],
  ])('twice = once: %s', ([input], { expect }) => {
    const once = scrubText(input);
    expect(once).not.toBe(input);
    expect(scrubText(once)).toBe(once);
  });

  test('a value next to a replaced one is found once the replacement gives it a boundary', ({
    expect,
  }) => {
    // `1/Users` is no path start, `]/Users` is: only a second pass sees the user name.
    expect(scrubText('peer fe80::1/Users/jane/x')).toBe('peer [ip]/Users/[user]/x');
  });

  test('twice = once on 3,000 seeded random splices of rule fragments', ({ expect }) => {
    const parts = [
      'a',
      'Z',
      '1',
      '0',
      '.',
      ':',
      '::',
      '-',
      '_',
      '/',
      '//',
      '\\',
      '@',
      '%40',
      '=',
      '&',
      '?',
      '#',
      ';',
      ' ',
      '\n',
      '"',
      "'",
      '[',
      ']',
      '{',
      '(',
      'eyJ',
      'token',
      'password',
      'Bearer ',
      'sk-',
      'ghp_',
      'AKIA',
      'DE89',
      '4111',
      '1111 ',
      '123-45-',
      '6789',
      'ff:',
      'fe80',
      '::1',
      '192.168.',
      '1.2.3.4',
      'version ',
      'Chrome/',
      '/Users/',
      '/home/',
      'C:\\Users\\',
      '-----BEGIN PRIVATE KEY-----',
      '://',
      'x@y.com',
      '[email]',
      '[Filtered]',
      '[ip]',
      'unexpected ',
      'const ',
      'key',
      'sid',
      'AIza',
      'ya29.',
      '490154203237518',
      '00:1A:2B:3C:4D:5E',
      '+1 ',
      '(212) ',
      '555-0142',
      '0412 345 678',
      ' 06 12 34 56 78',
      'tel:',
      'phone ',
      'josé@',
      'é',
      '0011.2233.4455',
      '"name":"PHPSESSID","value":"',
      '12 Main Street',
      'Hauptstraße 5',
      ' -> ',
      '127.0.0.1',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_664_525 + 1_013_904_223) >>> 0;
      return seed / 2 ** 32;
    };
    const unstable: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      let text = '';
      for (let n = 1 + Math.floor(random() * 30); n > 0; n--) {
        text += parts[Math.floor(random() * parts.length)];
      }
      const once = scrubText(text);
      if (scrubText(once) !== once) unstable.push(text);
    }
    expect(unstable).toEqual([]);
  });
});

describe('scrubText stays linear on 32 KiB of hostile text', () => {
  // Each input repeats a prefix of some rule without completing it, the shape that makes a
  // backtracking regex retry from every position. A quadratic pattern takes seconds here.
  const size = 32 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  test.for([
    'a.',
    'a-',
    '1 ',
    '1-',
    '1:',
    'a:',
    '::',
    '//',
    '\\',
    '://a',
    'eyJ-',
    'a@b.',
    'a%40',
    'token ',
    'password: ',
    '"password":"a ',
    ';  ',
    'Bearer ',
    '/home/a b ',
    'C:\\Users\\a b ',
    '-----BEGIN PRIVATE KEY ',
    'DE89 ',
    'version 1.',
    // issue 11's rules
    '+1 ',
    '0 1',
    '(1',
    '%2B1',
    'tel:+1',
    'phone 1 ',
    'é@é.',
    'é.',
    '"name":"token","value":"',
    '["token","',
    '1 Aaa ',
    'Aaastraße ',
    '12 rue de ',
    'Bearer: ',
    '0011.',
    'version 1.2.3.4 to ',
  ])('%j', (unit, { expect }) => {
    const text = fill(unit);
    const start = performance.now();
    scrubText(text);
    expect(performance.now() - start).toBeLessThan(250);
  });
});

describe('scrubValue', () => {
  test.for([
    'password',
    'passwd',
    'pwd',
    'secret',
    'token',
    'auth',
    'authorization',
    'cookie',
    'set-cookie',
    'session',
    'sessionid',
    'csrf',
    'xsrf',
    'api_key',
    'apikey',
    'api-key',
    'private_key',
    'privatekey',
    'credentials',
    'credit_card',
    'card_number',
    'ssn',
    // substrings, any case
    'X-CSRF-Token',
    'userPassword',
    'refresh_token',
    'AWS_SECRET_ACCESS_KEY',
    'user_ssn',
    // issue 11: one-word compounds, cookie names, passphrases, one-time codes, PINs, phones
    'accesstoken',
    'csrftoken',
    'PHPSESSID',
    'JSESSIONID',
    '__Secure-1PSID',
    'oauth',
    'passphrase',
    'walletPassphrase',
    'otp',
    'otpCode',
    'OTPCode',
    'one_time_code',
    'verificationCode',
    'pin',
    'userPIN',
    'pin_code',
    'cvv',
    'phone_number',
    'tel',
    'address',
    'addressLine1',
  ])('key %s → [Filtered], whatever the value', (key, { expect }) => {
    expect(scrubValue({ [key]: 'v4lue', other: 'kept' })).toEqual({
      [key]: '[Filtered]',
      other: 'kept',
    });
    expect(scrubValue({ [key]: { nested: 1 } })).toEqual({ [key]: '[Filtered]' });
  });

  test.for([
    'className',
    'monkey',
    'authuser',
    'category',
    'keyboard',
    // issue 11: words, not substrings
    'tokenizer',
    'author',
    'authorName',
    'oauthFlow',
    'authBot',
    'tokenbot',
    'max_tokens',
    'tokenCount',
    'sessionDuration',
    'passwordStrength',
    'cookieConsent',
    'spinner',
    'pinned',
    'compass',
    'otpLength',
    'phoneType',
    'telemetry',
    'hotel',
  ])('key %s is not sensitive', (key, { expect }) => {
    expect(scrubValue({ [key]: 'x' })).toEqual({ [key]: 'x' });
  });

  test('strings are scrubbed, other scalars kept, keys scrubbed too', ({ expect }) => {
    expect(
      scrubValue({
        url: 'https://x.io/?access_token=abc&page=1',
        note: ['mail jane@x.io', 42, true, null],
        count: 3,
        'bob@x.io': 'owner',
        missing: undefined,
      }),
    ).toEqual({
      url: 'https://x.io/?access_token=[Filtered]&page=1',
      note: ['mail [email]', 42, true, null],
      count: 3,
      '[email]': 'owner',
      missing: undefined,
    });
  });

  test('booleans and null under a sensitive key tell nothing and are kept', ({ expect }) => {
    expect(scrubValue({ auth: true, token: null, pin: false })).toEqual({
      auth: true,
      token: null,
      pin: false,
    });
  });

  test('a value beside a sensitive name in {name, value} or [name, value] is filtered', ({
    expect,
  }) => {
    expect(
      scrubValue({
        jar: [{ name: 'PHPSESSID', value: 'abc', domain: '.x.io' }],
        headers: [
          ['Authorization', 'Token abc'],
          ['Accept', '*/*'],
        ],
        field: { key: 'otp', value: 123456 },
        plain: { name: 'theme', value: 'dark' },
      }),
    ).toEqual({
      jar: [{ name: 'PHPSESSID', value: '[Filtered]', domain: '.x.io' }],
      headers: [
        ['Authorization', '[Filtered]'],
        ['Accept', '*/*'],
      ],
      field: { key: 'otp', value: '[Filtered]' },
      plain: { name: 'theme', value: 'dark' },
    });
    // A lone pair is a list of names, as code and schemas have them.
    expect(scrubValue({ required: ['password', 'email'] })).toEqual({
      required: ['password', 'email'],
    });
  });

  test('card numbers held as JSON numbers are scrubbed; other numbers kept', ({ expect }) => {
    expect(
      scrubValue({ cc: 4111111111111111, ts: 1_732_212_345_678, id: 4111111111111112, n: 3 }),
    ).toEqual({ cc: '[creditcard]', ts: 1_732_212_345_678, id: 4111111111111112, n: 3 });
  });

  test('a four-part version under a version key is no IP; one under another key is', ({
    expect,
  }) => {
    expect(scrubValue({ version: '1.4.2.7', app_ver: '2.0.0.1', host: '10.0.0.5' })).toEqual({
      version: '1.4.2.7',
      app_ver: '2.0.0.1',
      host: '[ip]',
    });
  });

  test('never mutates its input', ({ expect }) => {
    const input = { password: 'p', a: { b: ['jane@x.io'] } };
    const before = structuredClone(input);
    const output = scrubValue(input);
    expect(input).toEqual(before);
    expect(output).not.toBe(input);
  });

  test('containers deeper than 7 levels become [Filtered]; scalars at depth 8 stay', ({
    expect,
  }) => {
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: { s: 'x', l8: { s: 'y' } } } } } } } } };
    expect(scrubValue(deep)).toEqual({
      l1: { l2: { l3: { l4: { l5: { l6: { l7: { s: 'x', l8: '[Filtered]' } } } } } } },
    });
    const arrays = [[[[[[[[['too deep']]]]]]]]];
    expect(JSON.stringify(scrubValue(arrays))).toBe('[[[[[[[["[Filtered]"]]]]]]]]');
  });

  test('cycles end with [Circular]', ({ expect }) => {
    const node: Record<string, unknown> = { name: 'n' };
    node.self = node;
    node.list = [node];
    expect(scrubValue(node)).toEqual({ name: 'n', self: '[Circular]', list: ['[Circular]'] });
  });

  test('a shared subtree is copied once, so fan-out cannot explode', ({ expect }) => {
    let level: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 6; i++)
      level = Object.fromEntries([...'abcdefghij'].map((k) => [k, level]));
    const start = performance.now();
    const out = scrubValue(level);
    expect(performance.now() - start).toBeLessThan(250);
    expect(JSON.stringify(out).length).toBeLessThan(2_000);
  });

  test('a throwing getter gives [Filtered], not an exception', ({ expect }) => {
    const hostile = {
      ok: 'a',
      get bad(): string {
        throw new Error('nope');
      },
    };
    expect(scrubValue({ inner: hostile })).toEqual({ inner: '[Filtered]' });
  });
});

describe('scrubEvent', () => {
  const stack = [
    'Error: Sync failed for jane@x.io',
    `    at syncBatch (${EXT}/background.js:1284:37)`,
    `    at async ${EXT}/js/vendor.3f2a1c.js:1:23456`,
    '    at load (file:///Users/janedoe/dev/ext/background.js:12:5)',
    '    at JSON.parse (<anonymous>)',
  ].join('\n');
  const event: IngestEvent = {
    eventId: 'evt_490154203237518',
    timestamp: 1_732_212_345_678,
    surface: 'background',
    sessionId: 'sess_0123456789',
    error: { type: 'Error', message: 'Sync failed for jane@x.io', stack },
    breadcrumbs: [
      {
        timestamp: 1_732_212_345_000,
        category: 'fetch',
        message: 'GET https://api.x.io/v1/me?api_key=k3y&lang=en',
        data: { status: 401, authorization: 'Bearer abc', url: 'https://u:p@x.io/' },
      },
      { timestamp: 1_732_212_345_100, category: 'ui.click' },
      { timestamp: 1_732_212_345_200, category: 'sms:+14155552671 jane@x.io' },
    ],
    tags: { session: 'abc', plan: 'pro', client: '10.0.0.7' },
    context: { user: { email: 'jane@x.io', id: 7 }, cookie: 'sid=1' },
    userReport: { description: 'call me on 192.168.1.20' },
    fingerprint: 'fp1:abc',
  };

  test('scrubs every free-text field and keeps extension frames intact', ({ expect }) => {
    const input = structuredClone(event);
    const out = scrubEvent(input);
    expect(input).toEqual(event);
    expect(out).toEqual({
      ...event,
      error: {
        type: 'Error',
        message: 'Sync failed for [email]',
        stack: [
          'Error: Sync failed for [email]',
          `    at syncBatch (${EXT}/background.js:1284:37)`,
          `    at async ${EXT}/js/vendor.3f2a1c.js:1:23456`,
          '    at load (file:///Users/[user]/dev/ext/background.js:12:5)',
          '    at JSON.parse (<anonymous>)',
        ].join('\n'),
      },
      breadcrumbs: [
        {
          timestamp: 1_732_212_345_000,
          category: 'fetch',
          message: 'GET https://api.x.io/v1/me?api_key=[Filtered]&lang=en',
          data: { status: 401, authorization: '[Filtered]', url: 'https://[Filtered]@x.io/' },
        },
        { timestamp: 1_732_212_345_100, category: 'ui.click' },
        // Scrubbed, then kept to [\w.-] (issue 11).
        { timestamp: 1_732_212_345_200, category: 'sms__phone___email_' },
      ],
      tags: { session: '[Filtered]', plan: 'pro', client: '[ip]' },
      context: { user: { email: '[email]', id: 7 }, cookie: '[Filtered]' },
      userReport: { description: 'call me on [ip]' },
    });
  });

  test('optional fields stay absent', ({ expect }) => {
    const bare: IngestEvent = {
      eventId: 'evt_00000001',
      timestamp: 1,
      surface: 'popup',
      error: { type: 'TypeError', message: 'x is not a function' },
    };
    expect(scrubEvent(bare)).toStrictEqual(bare);
  });

  test('a type name can carry PII too', ({ expect }) => {
    const typed = { ...event, error: { type: 'Error for bob@x.io', message: '' } };
    expect(scrubEvent(typed).error.type).toBe('Error for [email]');
  });
});

describe('the SDK core rules', () => {
  test.for<[string, string]>([
    ['email, also non-ASCII', 'for josé@correo.es'],
    ['URL host IPv4', 'GET http://10.0.0.5/x'],
    ['card', 'card 4111 1111 1111 1111'],
    ['key by words', 'api_key=abc123'],
  ])('scrub what all rules scrub: %s', ([, input], { expect }) => {
    expect(scrubTextCore(input)).toBe(scrubText(input));
  });

  test.for<[string]>([
    ['connect ECONNREFUSED 203.0.113.42:443'],
    ['from fe80::1'],
    ['+33 6 12 34 56 78'],
    ['1600 Amphitheatre Parkway'],
  ])('leave the rest to ingest: %s', ([input], { expect }) => {
    expect(scrubTextCore(input)).toBe(input);
    expect(scrubText(input)).not.toBe(input);
  });

  test.for<[string]>([
    ['Extension 1.4.2.7 loaded'],
    ['http://127.0.0.1:8787/'],
    ['tokenizer: bpe'],
    ['passphrase: tiger'],
  ])('keep what all rules keep, or leave it to them: %s', ([input], { expect }) => {
    expect(scrubTextCore(input)).toBe(input);
  });

  test('keep a category as it is for ingest to scrub and restrict', ({ expect }) => {
    const event: IngestEvent = {
      eventId: 'evt_core_0001',
      timestamp: 1,
      surface: 'background',
      error: { type: 'Error', message: 'x' },
      breadcrumbs: [{ timestamp: 1, category: 'sms:+14155552671' }],
    };
    expect(scrubEventCore(event).breadcrumbs?.[0]?.category).toBe('sms:+14155552671');
    expect(scrubEvent(scrubEventCore(event)).breadcrumbs?.[0]?.category).toBe('sms__phone_');
  });
});
