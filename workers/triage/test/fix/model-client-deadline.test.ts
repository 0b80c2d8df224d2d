import { ModelProviderSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import {
  createModelEmulator,
  modelFetch,
  step,
} from '../../../../test/emulators/model/model-emulator.ts';
import { callProvider, createProviderClient } from '../../src/fix/model/model-client.ts';

/**
 * The provider's `timeoutMs` bounds the whole call, body included (issue 11, item 4). The model
 * client gives it to the `openai` SDK as `timeout`, which since 7.x also races the body parse
 * (client.ts `parseResponseWithTimeout`); these pin that down, so an SDK change that stopped at
 * the headers would fail here rather than hang a fix attempt.
 */

const BASE = 'https://stall.model.test/v1';
const KEY = 'sk-stall-test-0000000000000000';

function setup() {
  const emulator = createModelEmulator({ baseUrl: BASE, apiKey: KEY });
  // Parsed like the config (1 s is the smallest timeout it accepts), then shortened for the test.
  const provider = {
    ...ModelProviderSchema.parse({
      name: 'stall',
      baseUrl: BASE,
      model: 'm-1',
      pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 1 },
    }),
    timeoutMs: 50,
  };
  const client = createProviderClient(provider, KEY, modelFetch(emulator));
  const call = () => callProvider(client, provider, { system: 's', user: 'u', n: 1 }, Date.now);
  return { emulator, call };
}

describe('model call deadline', () => {
  test('a provider that stalls after the headers ends as a timeout within timeoutMs', async ({
    expect,
  }) => {
    const { emulator, call } = setup();
    emulator.script(step.stallBody());
    const started = Date.now();
    const result = await call();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toEqual({
      status: 'timeout',
      httpStatus: null,
      retryable: false,
      retryAfterMs: null,
      usage: null,
    });
  });

  test('a provider that never sends headers ends as a timeout too', async ({ expect }) => {
    const { emulator, call } = setup();
    emulator.script(step.hang());
    expect((await call()).status).toBe('timeout');
  });

  test('a prompt answer within the deadline is unaffected', async ({ expect }) => {
    const { emulator, call } = setup();
    emulator.script(step.answer('ok'));
    expect(await call()).toMatchObject({ status: 'ok', contents: ['ok'] });
  });
});
