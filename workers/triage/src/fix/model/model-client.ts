import type { HomeostatConfig } from '@homeostat/shared';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { FetchLike } from '../../github/github-client.ts';
import { ChatAnswerSchema, UsageOnlySchema } from './model-answer.schema.ts';

/**
 * One HTTP call to an OpenAI-compatible provider through the `openai` package, classified for
 * the retry loop in `model-fixer.ts`. The SDK's own retries are off (`maxRetries: 0`): it would
 * retry 429/5xx/connection errors with its own timer and `Math.random` (client.ts
 * `retryRequest`, 0.5 s·2ⁿ up to 8 s, Retry-After honoured up to 60 s), but every retry is a call
 * that must pass the budget check first and be recorded with its cost, and tests must control
 * the waits — so the fixer retries, and the SDK only times out (`timeout`, which aborts the
 * request's signal: a hang ends there).
 */

export type ModelProvider = HomeostatConfig['models']['providers'][number];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type CallResult =
  | {
      status: 'ok';
      httpStatus: number;
      /** One entry per returned choice; null where the choice has no text. */
      contents: (string | null)[];
      usage: Usage | null;
    }
  | {
      status: 'error' | 'timeout' | 'rate_limited';
      httpStatus: number | null;
      /** Worth another try at the same provider (429, 5xx, a connection failure). */
      retryable: boolean;
      /** The server's Retry-After (or retry-after-ms), when it sent one. */
      retryAfterMs: number | null;
      usage: Usage | null;
    };

export interface ChatRequest {
  system: string;
  user: string;
  n: number;
}

function usageOf(body: unknown): Usage | null {
  const parsed = UsageOnlySchema.safeParse(body);
  return parsed.success
    ? {
        inputTokens: parsed.data.usage.prompt_tokens,
        outputTokens: parsed.data.usage.completion_tokens,
      }
    : null;
}

export function parseRetryAfter(headers: Headers | undefined, now: number): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms != null && /^\d+(?:\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers?.get('retry-after')?.trim();
  if (value == null || value === '') return null;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function createProviderClient(
  provider: ModelProvider,
  apiKey: string,
  fetchImpl: FetchLike | undefined,
): OpenAI {
  return new OpenAI({
    baseURL: provider.baseUrl,
    apiKey,
    timeout: provider.timeoutMs,
    maxRetries: 0,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
}

export async function callProvider(
  client: OpenAI,
  provider: ModelProvider,
  request: ChatRequest,
  now: () => number,
): Promise<CallResult> {
  try {
    const { data, response } = await client.chat.completions
      .create({
        model: provider.model,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        n: request.n,
        max_completion_tokens: provider.maxOutputTokens,
      })
      .withResponse();
    const parsed = ChatAnswerSchema.safeParse(data);
    if (!parsed.success) {
      return {
        status: 'error',
        httpStatus: response.status,
        retryable: false,
        retryAfterMs: null,
        usage: usageOf(data),
      };
    }
    const choices = [...parsed.data.choices].sort((a, b) => a.index - b.index);
    return {
      status: 'ok',
      httpStatus: response.status,
      contents: choices.map((c) => c.message.content ?? null),
      usage: usageOf(parsed.data),
    };
  } catch (error) {
    if (error instanceof APIConnectionTimeoutError) {
      // A hung provider stays hung: retrying would spend another full timeout on it.
      return {
        status: 'timeout',
        httpStatus: null,
        retryable: false,
        retryAfterMs: null,
        usage: null,
      };
    }
    if (error instanceof APIConnectionError) {
      return {
        status: 'error',
        httpStatus: null,
        retryable: true,
        retryAfterMs: null,
        usage: null,
      };
    }
    if (error instanceof APIError) {
      const status = error.status ?? null;
      const usage = usageOf(error.error);
      if (status === 429) {
        return {
          status: 'rate_limited',
          httpStatus: 429,
          retryable: true,
          retryAfterMs: parseRetryAfter(error.headers, now()),
          usage,
        };
      }
      const retryable = status === null || status >= 500 || status === 408 || status === 409;
      return {
        status: 'error',
        httpStatus: status,
        retryable,
        retryAfterMs: retryable ? parseRetryAfter(error.headers, now()) : null,
        usage,
      };
    }
    // A 2xx whose body is not JSON (the SDK's parse fails): a broken endpoint, not a busy one.
    return { status: 'error', httpStatus: null, retryable: false, retryAfterMs: null, usage: null };
  }
}
