import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { describe, test } from 'vitest';
import {
  createModelEmulator,
  modelFetch,
  step,
} from '../../../../test/emulators/model/model-emulator.ts';

// The model emulator held honest: the real `openai` client reads its answers, and it rejects
// what the real API rejects, in the real API's error shape (issue 9, item 7).

const BASE = 'https://llm.emulated.test/v1';
const KEY = 'sk-emulator-test-key';

function setup() {
  const emulator = createModelEmulator({
    baseUrl: BASE,
    apiKey: KEY,
    now: () => 1_800_000_000_000,
  });
  const client = new OpenAI({
    baseURL: BASE,
    apiKey: KEY,
    fetch: modelFetch(emulator),
    maxRetries: 0,
  });
  return { emulator, client };
}

const raw = (body: unknown, headers: Record<string, string> = {}) =>
  new Request(`${BASE}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('answers the SDK reads', () => {
  test('a scripted answer comes back through the openai client as a ChatCompletion', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.script(
      step.answer(['one', 'two', 'three'], { prompt_tokens: 10, completion_tokens: 6 }),
    );
    const completion = await client.chat.completions.create({
      model: 'm-1',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hello' },
      ],
      n: 2,
      max_completion_tokens: 100,
    });
    // Never more choices than asked.
    expect(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'one', 'stop'],
      [1, 'two', 'stop'],
    ]);
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'm-1',
      created: 1_800_000_000,
      usage: { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 },
    });
    expect(emulator.received).toEqual([
      {
        model: 'm-1',
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'hello' },
        ],
        n: 2,
        max_completion_tokens: 100,
      },
    ]);
    expect(emulator.requests[0]?.authorization).toBe(`Bearer ${KEY}`);
  });

  test('usage is counted from the text unless scripted; null leaves it out', async ({ expect }) => {
    const { emulator, client } = setup();
    emulator.script(step.answer('12345678'), step.answer('x', null));
    const params = { model: 'm', messages: [{ role: 'user' as const, content: 'abcd' }] };
    expect((await client.chat.completions.create(params)).usage).toEqual({
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 3,
    });
    expect((await client.chat.completions.create(params)).usage).toBeUndefined();
  });
});

describe('what the real API rejects', () => {
  test('an unknown or mistyped field → 400 in OpenAI error shape, naming the field', async ({
    expect,
  }) => {
    const { emulator } = setup();
    emulator.script(step.answer('never sent'));
    for (const [body, param] of [
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], temprature: 1 }, null],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 0 }, 'n'],
      [{ model: 'm', messages: [] }, 'messages'],
      [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }, 'stream'],
    ] as const) {
      const response = await emulator.fetch(raw(body));
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: Record<string, unknown> };
      expect(json.error).toMatchObject({ type: 'invalid_request_error', code: null });
      if (param !== null) expect(json.error.param).toBe(param);
    }
    const notJson = await emulator.fetch(raw('{"model":'));
    expect(notJson.status).toBe(400);
    expect(emulator.pending).toBe(1); // rejected requests never consume a step
  });

  test('the SDK maps the emulator errors to its own error classes', async ({ expect }) => {
    const { emulator, client } = setup();
    const wrongKey = new OpenAI({
      baseURL: BASE,
      apiKey: 'sk-wrong',
      fetch: modelFetch(emulator),
      maxRetries: 0,
    });
    const params = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }] };
    await expect(wrongKey.chat.completions.create(params)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const elsewhere = new OpenAI({
      baseURL: `${BASE}/v2`,
      apiKey: KEY,
      fetch: modelFetch(emulator),
      maxRetries: 0,
    });
    await expect(elsewhere.chat.completions.create(params)).rejects.toBeInstanceOf(NotFoundError);
    emulator.script(step.status(429, { retryAfter: 3 }));
    const limited = await client.chat.completions.create(params).catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((limited as { headers: Headers }).headers.get('retry-after')).toBe('3');
    const bad = await client.chat.completions
      .create({ ...params, n: 500 })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).toMatchObject({ param: 'n' });
  });

  test('an unscripted request gets 503 and is marked; another host is unreachable', async ({
    expect,
  }) => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      raw({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(response.status).toBe(503);
    expect(emulator.requests.at(-1)?.step).toBe('unscripted');
    await expect(
      modelFetch(emulator)('https://api.openai.com/v1/chat/completions'),
    ).rejects.toThrow(TypeError);
  });

  test('a hang answers only by failing when the request is aborted', async ({ expect }) => {
    const { emulator } = setup();
    emulator.script(step.hang());
    const controller = new AbortController();
    const request = new Request(raw({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), {
      signal: controller.signal,
    });
    const pending = emulator.fetch(request);
    let settled = false;
    void pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await Promise.resolve();
    expect(settled).toBe(false);
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
  });
});
