import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import { z } from 'zod';
import {
  type IngestEvent,
  IngestEventSchema,
  scrubEvent,
  scrubEventCore,
  scrubText,
  scrubTextCore,
} from '../src/index.ts';

/**
 * The labelled corpus in test/fixtures/pii-corpus/ (see its README): recall on samples that hold
 * a secret, false positives on ordinary extension errors, stack lines, URLs, code, log text and
 * event fields. Targets from issues 3 and 11: 100% recall, at most 1% false positives, printed
 * as one line so the figures can be quoted.
 */
const corpusDir = path.join(import.meta.dirname, '../../../test/fixtures/pii-corpus');

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  return readFileSync(path.join(corpusDir, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
}

/**
 * One secret, or several parts that must all be gone: a partial replacement (only the ASCII
 * tail of `josé.garcía@…`) leaves the whole string absent but a part of it behind.
 */
const Secret = z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]);
const parts = (secret: string | string[]) => (typeof secret === 'string' ? [secret] : secret);

const pii = readJsonl(
  'pii.jsonl',
  z
    .object({ kind: z.string().min(1), text: z.string().min(1), secret: Secret })
    .refine((s) => parts(s.secret).every((p) => s.text.includes(p)), 'secret must occur in text'),
);
const clean = readJsonl(
  'clean.jsonl',
  z.object({ class: z.string().min(1).optional(), text: z.string().min(1) }),
);

/** Where an event sample's value goes: the message, one breadcrumb, the tags or the context. */
const Placed = z.discriminatedUnion('field', [
  z.object({ field: z.literal('message'), value: z.string() }),
  z.object({
    field: z.literal('breadcrumb'),
    value: z.object({
      category: z.string().optional(),
      message: z.string().optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  z.object({ field: z.literal('tags'), value: z.record(z.string(), z.string()) }),
  z.object({ field: z.literal('context'), value: z.record(z.string(), z.unknown()) }),
]);
type Placed = z.infer<typeof Placed>;

function eventOf(p: Placed): IngestEvent {
  const base = {
    eventId: 'evt_corpus_0001',
    timestamp: 1_732_212_345_678,
    surface: 'background',
    error: { type: 'Error', message: p.field === 'message' ? p.value : 'Sync failed' },
  };
  const extra =
    p.field === 'breadcrumb'
      ? { breadcrumbs: [{ timestamp: 1_732_212_345_000, category: 'console', ...p.value }] }
      : p.field === 'tags'
        ? { tags: p.value }
        : p.field === 'context'
          ? { context: p.value }
          : {};
  // Through the wire schema, so every sample is an event ingest would accept.
  return IngestEventSchema.parse({ ...base, ...extra });
}

const piiEvents = readJsonl(
  'pii-events.jsonl',
  z.intersection(z.object({ kind: z.string().min(1), secret: Secret }), Placed),
).map((s) => ({ ...s, event: eventOf(s) }));
for (const s of piiEvents) {
  const json = JSON.stringify(s.event);
  for (const p of parts(s.secret)) {
    if (!json.includes(p)) throw new Error(`pii-events: secret ${p} not in its event`);
  }
}
const cleanEvents = readJsonl(
  'clean-events.jsonl',
  z.intersection(z.object({ class: z.string().min(1).optional() }), Placed),
).map((s) => ({ ...s, event: eventOf(s) }));

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;
const show = (v: unknown) => JSON.stringify(v);

test('PII corpus: 100% recall, at most 1% false positives', ({ expect }) => {
  const leakedText = pii
    .map((s) => ({ ...s, out: scrubText(s.text) }))
    .filter((s) => parts(s.secret).some((p) => s.out.includes(p)));
  const changedText = clean
    .map((s) => ({ ...s, out: scrubText(s.text) }))
    .filter((s) => s.out !== s.text);
  const leakedEvents = piiEvents
    .map((s) => ({ ...s, out: JSON.stringify(scrubEvent(s.event)) }))
    .filter((s) => parts(s.secret).some((p) => s.out.includes(p)));
  const changedEvents = cleanEvents
    .map((s) => ({ ...s, out: JSON.stringify(scrubEvent(s.event)) }))
    .filter((s) => s.out !== JSON.stringify(s.event));

  const positives = pii.length + piiEvents.length;
  const negatives = clean.length + cleanEvents.length;
  const caught = positives - leakedText.length - leakedEvents.length;
  const changed = changedText.length + changedEvents.length;
  const figures = (p: number, leaked: number, n: number, fp: number) =>
    `recall ${pct(p - leaked, p)} (${p - leaked}/${p}), false positives ${pct(fp, n)} (${fp}/${n})`;
  console.log(
    `PII corpus: ${figures(positives, positives - caught, negatives, changed)}` +
      ` [text: ${figures(pii.length, leakedText.length, clean.length, changedText.length)};` +
      ` events: ${figures(piiEvents.length, leakedEvents.length, cleanEvents.length, changedEvents.length)}]`,
  );

  // Every miss fails; the changed clean samples are listed once they pass the 1% budget.
  const fpRate = changed / negatives;
  const failures = [
    ...leakedText.map((s) => `leaked ${s.kind}: ${show(s.text)} → ${show(s.out)}`),
    ...leakedEvents.map((s) => `leaked ${s.kind} (${s.field}): ${show(s.value)} → ${s.out}`),
    ...(fpRate > 0.01
      ? [
          ...changedText.map((s) => `changed: ${show(s.text)} → ${show(s.out)}`),
          ...changedEvents.map((s) => `changed (${s.field}): ${show(s.value)} → ${s.out}`),
        ]
      : []),
  ];
  expect(failures).toEqual([]);
  expect(caught).toBe(positives);
  expect(fpRate).toBeLessThanOrEqual(0.01);
});

test('the corpus is big and varied enough to mean something', ({ expect }) => {
  expect(pii.length).toBeGreaterThanOrEqual(340);
  expect(clean.length).toBeGreaterThanOrEqual(800);
  expect(piiEvents.length).toBeGreaterThanOrEqual(60);
  expect(cleanEvents.length).toBeGreaterThanOrEqual(60);
  const kinds = new Set([...pii, ...piiEvents].map((s) => s.kind));
  for (const kind of [
    'email',
    'email-intl',
    'ipv4',
    'ipv6',
    'creditcard',
    'creditcard-number',
    'iban',
    'ssn',
    'private-key',
    'bearer',
    'basic',
    'urlauth',
    'userpath',
    'mac',
    'mac-cisco',
    'imei',
    'jwt',
    'github',
    'openai',
    'anthropic',
    'google',
    'google-oauth',
    'aws',
    'stripe',
    'slack',
    'twilio',
    'sendgrid',
    'npm',
    'query',
    'assignment',
    'phone',
    'pair',
    'passphrase',
    'otp',
    'pin',
    'address',
    'category',
  ]) {
    expect(kinds, kind).toContain(kind);
  }
  // Issue 11: hard negatives for every class the scrubber wrongly changed or could.
  const classes = new Set([...clean, ...cleanEvents].map((s) => s.class));
  for (const c of [
    'key-word',
    'version',
    'loopback',
    'dom-cookie',
    'phone-lookalike',
    'mac-lookalike',
    'email-lookalike',
    'bearer-prose',
    'number',
    'pair',
    'category',
    'address-lookalike',
  ]) {
    expect(classes, c).toContain(c);
  }
});

test('scrubbing the whole corpus twice changes nothing the first pass did not', ({ expect }) => {
  const unstable = [...pii, ...clean]
    .map((s) => scrubText(s.text))
    .filter((once) => scrubText(once) !== once);
  const unstableEvents = [...piiEvents, ...cleanEvents]
    .map((s) => scrubEvent(s.event))
    .filter((once) => JSON.stringify(scrubEvent(once)) !== JSON.stringify(once));
  expect(unstable).toEqual([]);
  expect(unstableEvents).toEqual([]);
});

test('the SDK core rules never change what all rules keep, and ingest finishes their work', ({
  expect,
}) => {
  // The SDK runs the core rules on the device and ingest runs all of them on what arrives, so
  // the stored result must be what all rules make of the raw event (which token names a value
  // may differ: the core filters as `key: [Filtered]` a Bearer token all rules call `[token]`),
  // and the core must not spoil a value all rules would keep.
  const same = (a: string, b: string) =>
    a.replace(/\[[\w-]+\]/g, '[*]') === b.replace(/\[[\w-]+\]/g, '[*]');
  const texts = [...pii, ...clean].map((s) => s.text);
  expect(texts.filter((t) => !same(scrubText(scrubTextCore(t)), scrubText(t)))).toEqual([]);
  expect(texts.filter((t) => scrubText(t) === t && scrubTextCore(t) !== t)).toEqual([]);
  const events = [...piiEvents, ...cleanEvents].map((s) => s.event);
  const json = (e: IngestEvent) => JSON.stringify(e);
  expect(
    events.filter((e) => !same(json(scrubEvent(scrubEventCore(e))), json(scrubEvent(e)))),
  ).toEqual([]);
  expect(
    events.filter((e) => json(scrubEvent(e)) === json(e) && json(scrubEventCore(e)) !== json(e)),
  ).toEqual([]);
});
