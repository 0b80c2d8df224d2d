import { describe, test } from 'vitest';
import { parameterizeMessage } from '../src/index.ts';
import { junk } from './support/junk.ts';

describe('parameterizeMessage: Sentry’s list, in order', () => {
  test.for<[string, string]>([
    ['Invalid recipient alice@example.com', 'Invalid recipient <email>'],
    ["Invalid recipient 'bob.smith+tag@mail.example.org'", "Invalid recipient '<email>'"],
    ['Request to https://api.example.com/v1/items?id=9 failed', 'Request to <url> failed'],
    ['Failed to fetch (https://a.example.com/x).', 'Failed to fetch (<url>).'],
    ['Refused to connect to "wss://rt.example.com/socket"', 'Refused to connect to "<url>"'],
    [
      'Could not load chrome-extension://kembcdlbgbcnnchcnbdhbmbhbejnedjf/icons/16.png',
      'Could not load <url>',
    ],
    ['Blocked request from 203.0.113.7', 'Blocked request from <ip>'],
    ['Blocked request from 2001:db8::8a2e:370:7334', 'Blocked request from <ip>'],
    ['Blocked request from fe80::1.', 'Blocked request from <ip>.'],
    ['Unknown user 550e8400-e29b-41d4-a716-446655440000', 'Unknown user <uuid>'],
    ['Commit 3f786850e387550fdab836ed7e6dc881de23001b not found', 'Commit <sha1> not found'],
    ['Cache key 9e107d9d372bb6826bd81d3542a419d6 missing', 'Cache key <md5> missing'],
    ['Token expired at 2025-11-21T19:02:00.123Z', 'Token expired at <date>'],
    ['Token expired at 2025-11-21T19:02:00+05:30', 'Token expired at <date>'],
    ['Sync on 2025-11-21 failed', 'Sync on <date> failed'],
    [
      'Last sync Tue Nov 21 2025 19:02:00 GMT+0100 (Central European Standard Time)',
      'Last sync <date> <date> <date>',
    ],
    ['Expires Tue, 21 Nov 2025 19:02:00 GMT', 'Expires <date> <date> GMT'],
    ['Timed out after 1500ms', 'Timed out after <duration>'],
    ['Timed out after 2.5s', 'Timed out after <duration>'],
    ['Bad pointer 0xdeadbeef', 'Bad pointer <hex>'],
    ['Price is 12.50 not 9.99', 'Price is <float> not <float>'],
    ['No tab with id: 1842.', 'No tab with id: <int>.'],
    ['Offset -42 out of range', 'Offset -<int> out of range'],
    ['Bad state="pending" with retry=true', 'Bad state=<quoted_str> with retry=<bool>'],
    ["Bad state='pending'", 'Bad state=<quoted_str>'],
  ])('%j → %j', ([message, expected], { expect }) => {
    expect(parameterizeMessage(message)).toBe(expected);
  });
});

describe('parameterizeMessage: ids inside words', () => {
  test.for<[string, string]>([
    ['Element tab-1842 not found', 'Element tab-<int> not found'],
    ['Element tab_1842 not found', 'Element tab_<int> not found'],
    ['Row #17 of 240', 'Row #<int> of <int>'],
    ['Message msg-3f2a1c9e dropped', 'Message msg-<hex> dropped'],
    ['Session V1StGXR8_Z5jdHi6B-myT expired', 'Session <id> expired'],
    ['Ref -Nv3kQ9zLx8PqR2sT4uW missing', 'Ref <id> missing'],
  ])('%j → %j', ([message, expected], { expect }) => {
    expect(parameterizeMessage(message)).toBe(expected);
  });
});

describe('parameterizeMessage: stable text stays', () => {
  test.for([
    'Extension context invalidated.',
    'Could not establish connection. Receiving end does not exist.',
    'Resource::kQuotaBytesPerItem quota exceeded',
    "Cannot read properties of undefined (reading 'toISOString')",
    'Failed to decode utf8 with v2 sha256 int32 base64 decoder',
    'chrome.app.window is undefined',
    'Invalid recipient [email] with [token] for [user] ([Filtered])',
    'Minified React error #',
    'Settings dialog closed early',
  ])('%j', (message, { expect }) => {
    expect(parameterizeMessage(message)).toBe(message);
  });
});

describe('parameterizeMessage: lines', () => {
  test.for<[string, string]>([
    ['first\nsecond', 'first\nsecond'],
    ['first\n\n  \nsecond', 'first\nsecond'],
    ['first\nsecond\nthird', 'first\nsecond...'],
    ['\n\n  first  \r\nsecond\r\n', 'first\nsecond'],
    [
      'Unexpected token \'o\', "not json\nat all\nat 12" is not valid JSON',
      "Unexpected token 'o', \"not json\nat all...",
    ],
    ['', ''],
    [' \n\t\n', ''],
  ])('%j → %j', ([message, expected], { expect }) => {
    expect(parameterizeMessage(message)).toBe(expected);
  });
});

describe('parameterizeMessage: linear time on hostile input', () => {
  // Each input would take seconds with a pattern that retries inside a run (quadratic).
  const N = 32 * 1024;
  test.for<[string, string]>([
    ['letters (email local part, url scheme)', 'a'.repeat(N)],
    ['dotted letters (email, url scheme)', 'a.'.repeat(N / 2)],
    ['email local part without a domain', `${'a'.repeat(N - 1)}@`],
    ['dashes and words (ids)', 'ab-'.repeat(N / 3)],
    ['hex run with no digit', 'f'.repeat(N)],
    ['colons and hex (ipv6)', 'a:'.repeat(N / 2)],
    ['digits and dots (ip, float)', '1.'.repeat(N / 2)],
    ['scheme separators', 'a://'.repeat(N / 4)],
    ['url without an end', `http://${'x'.repeat(N)}`],
    ['quotes after equals', "='".repeat(N / 2)],
    ['date-like', 'Tue Nov 21 '.repeat(N / 11)],
    ['mixed-case id candidates', 'aB1-'.repeat(N / 4)],
    ['seeded junk', junk(N, 'aA1.:-@/=\'" x0fT', 3)],
  ])('%s', ([, message], { expect }) => {
    const started = performance.now();
    parameterizeMessage(message);
    // A guard against catastrophic backtracking (seconds to hours), not a speed target: the
    // bound is loose so a loaded CI machine cannot fail it.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
