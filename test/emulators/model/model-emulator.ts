import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ErrorObject } from 'openai/resources/shared';
import { z } from 'zod';

/**
 * An OpenAI-compatible chat completions endpoint for tests (issue 9, item 7): a
 * `(Request) => Promise<Response>` handler for `POST {baseUrl}/chat/completions` whose answers
 * are scripted per test as a queue of steps. It is held honest against the `openai` package
 * itself: every response body is typed with the SDK's own `ChatCompletion` / `ErrorObject`
 * (tsc checks them), and every request body is validated by a zod schema whose inferred type
 * must be assignable to the SDK's `ChatCompletionCreateParamsNonStreaming` (checked below) —
 * unknown or malformed fields get a 400 in OpenAI's error shape, as the real API answers them.
 *
 * Every request is recorded (headers that matter, the parsed body, the status given), so a test
 * can assert what the prompt held and which provider saw it.
 */

const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });
const ContentSchema = z.union([z.string(), z.array(TextPartSchema).min(1)]);

const MessageSchema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('system'),
    content: ContentSchema,
    name: z.string().optional(),
  }),
  z.strictObject({
    role: z.literal('developer'),
    content: ContentSchema,
    name: z.string().optional(),
  }),
  z.strictObject({ role: z.literal('user'), content: ContentSchema, name: z.string().optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: ContentSchema.nullable().optional(),
    name: z.string().optional(),
  }),
]);

/** The fields of `ChatCompletionCreateParams` Homeostat sends (or might), nothing else. */
export const ChatRequestSchema = z.strictObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  n: z.int().min(1).max(128).nullable().optional(),
  max_completion_tokens: z.int().min(1).nullable().optional(),
  max_tokens: z.int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.int().nullable().optional(),
  stream: z.literal(false).nullable().optional(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

// Compile-time: what the emulator accepts is a valid SDK request (tsc fails otherwise).
type Assert<T extends true> = T;
export type RequestSchemaFitsSdk = Assert<
  ChatRequest extends ChatCompletionCreateParamsNonStreaming ? true : false
>;

export type UsageScript = Pick<CompletionUsage, 'prompt_tokens' | 'completion_tokens'>;

export type ModelStep =
  | {
      kind: 'answer';
      /** One content per choice; the emulator never returns more choices than `n` asked. */
      contents: string[];
      /** Omitted: counted from the text (4 characters a token). null: no usage in the answer. */
      usage?: UsageScript | null;
      finishReason?: ChatCompletion.Choice['finish_reason'];
    }
  | {
      kind: 'status';
      status: number;
      /** Seconds (a number) or an HTTP date, sent as Retry-After. */
      retryAfter?: number | string;
      message?: string;
    }
  /** Never answers; ends only when the client aborts the request. */
  | { kind: 'hang' }
  /**
   * Answers 200 and the first bytes of a completion, then stalls: the body ends only when the
   * client aborts (a deadline that stops at the headers never fires; issue 11, item 4).
   */
  | { kind: 'stall_body' }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed_json' }
  /** The connection fails: the handler throws, as fetch does on a reset. */
  | { kind: 'network_error' };

export const step = {
  answer(content: string | string[], usage?: UsageScript | null): ModelStep {
    return {
      kind: 'answer',
      contents: Array.isArray(content) ? content : [content],
      ...(usage === undefined ? {} : { usage }),
    };
  },
  status(
    status: number,
    options: { retryAfter?: number | string; message?: string } = {},
  ): ModelStep {
    return { kind: 'status', status, ...options };
  },
  hang(): ModelStep {
    return { kind: 'hang' };
  },
  stallBody(): ModelStep {
    return { kind: 'stall_body' };
  },
  malformedJson(): ModelStep {
    return { kind: 'malformed_json' };
  },
  networkError(): ModelStep {
    return { kind: 'network_error' };
  },
};

export interface RecordedModelRequest {
  method: string;
  url: string;
  authorization: string | null;
  /** The parsed body when it was JSON (valid or not). */
  body: unknown;
  /** The validated request, when it was valid. */
  request: ChatRequest | null;
  /** What the emulator answered (0: no answer — hang or network error). */
  status: number;
  step: ModelStep['kind'] | 'rejected' | 'unscripted';
}

export interface ModelEmulatorOptions {
  /** e.g. https://api.deepseek.test/v1 — requests must go to `${baseUrl}/chat/completions`. */
  baseUrl: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  now?: () => number;
}

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { type: 'invalid_request_error', code: 'unknown_url' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
  500: { type: 'server_error', code: null },
  503: { type: 'server_error', code: 'service_unavailable' },
};

function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
  param: string | null = null,
): Response {
  const kind = ERROR_TYPES[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  const error: ErrorObject = { message, type: kind.type, param, code: kind.code };
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function contentText(content: ChatRequest['messages'][number]['content']): string {
  if (content == null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

export class ModelEmulator {
  readonly baseUrl: string;
  readonly requests: RecordedModelRequest[] = [];
  private readonly steps: ModelStep[] = [];
  private readonly apiKey: string | undefined;
  private readonly now: () => number;
  private seq = 0;

  constructor(options: ModelEmulatorOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.now = options.now ?? Date.now;
  }

  /** Appends steps to the queue; each request takes the next one. */
  script(...steps: ModelStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** Steps not yet used: a test usually expects none left. */
  get pending(): number {
    return this.steps.length;
  }

  /** The validated requests that reached the script (what a provider would have seen). */
  get received(): ChatRequest[] {
    return this.requests.flatMap((r) => (r.request === null ? [] : [r.request]));
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const record: RecordedModelRequest = {
      method: request.method,
      url: request.url,
      authorization: request.headers.get('authorization'),
      body: undefined,
      request: null,
      status: 0,
      step: 'rejected',
    };
    this.requests.push(record);
    const respond = (response: Response) => {
      record.status = response.status;
      return response;
    };
    if (`${url.origin}${url.pathname}` !== `${this.baseUrl}/chat/completions`) {
      return respond(errorResponse(404, `Unknown request URL: ${request.method} ${url.pathname}.`));
    }
    if (request.method !== 'POST') {
      return respond(errorResponse(405, 'Method not allowed.'));
    }
    if (this.apiKey !== undefined && record.authorization !== `Bearer ${this.apiKey}`) {
      return respond(errorResponse(401, 'Incorrect API key provided.'));
    }
    const text = await request.text();
    try {
      record.body = JSON.parse(text);
    } catch {
      return respond(errorResponse(400, 'We could not parse the JSON body of your request.'));
    }
    const parsed = ChatRequestSchema.safeParse(record.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue === undefined ? null : issue.path.join('.') || null;
      return respond(
        errorResponse(400, `Invalid request: ${issue?.message ?? 'invalid body'}`, {}, param),
      );
    }
    record.request = parsed.data;
    const next = this.steps.shift();
    if (next === undefined) {
      record.step = 'unscripted';
      return respond(errorResponse(503, 'Model emulator: no scripted step left for this request.'));
    }
    record.step = next.kind;
    switch (next.kind) {
      case 'answer':
        return respond(this.completion(parsed.data, next));
      case 'status': {
        const headers: Record<string, string> =
          next.retryAfter === undefined ? {} : { 'retry-after': String(next.retryAfter) };
        return respond(
          errorResponse(next.status, next.message ?? `Scripted status ${next.status}.`, headers),
        );
      }
      case 'malformed_json':
        return respond(
          new Response('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{', {
            status: 200,
            headers: { 'content-type': 'application/json' },
          }),
        );
      case 'network_error':
        throw new TypeError('Network connection lost.');
      case 'stall_body': {
        const signal = request.signal;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(
              new TextEncoder().encode('{"id":"chatcmpl-stalled","object":"chat.completion",'),
            );
            const fail = () => controller.error(signal.reason);
            if (signal.aborted) fail();
            else signal.addEventListener('abort', fail, { once: true });
          },
        });
        return respond(
          new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
        );
      }
      case 'hang':
        return await new Promise<Response>((_, reject) => {
          const signal = request.signal;
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
    }
  };

  private completion(body: ChatRequest, script: Extract<ModelStep, { kind: 'answer' }>): Response {
    this.seq++;
    const n = body.n ?? 1;
    const contents = script.contents.slice(0, n);
    const promptChars = body.messages.reduce((s, m) => s + contentText(m.content).length, 0);
    const usage: UsageScript | null =
      script.usage === undefined
        ? {
            prompt_tokens: Math.ceil(promptChars / 4),
            completion_tokens: contents.reduce((s, c) => s + Math.ceil(c.length / 4), 0),
          }
        : script.usage;
    const completion: ChatCompletion = {
      id: `chatcmpl-emu-${this.seq}`,
      object: 'chat.completion',
      created: Math.floor(this.now() / 1000),
      model: body.model,
      choices: contents.map((content, index) => ({
        index,
        message: { role: 'assistant', content, refusal: null },
        finish_reason: script.finishReason ?? 'stop',
        logprobs: null,
      })),
      ...(usage === null
        ? {}
        : {
            usage: {
              prompt_tokens: usage.prompt_tokens,
              completion_tokens: usage.completion_tokens,
              total_tokens: usage.prompt_tokens + usage.completion_tokens,
            },
          }),
    };
    return new Response(JSON.stringify(completion), {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': completion.id },
    });
  }
}

export function createModelEmulator(options: ModelEmulatorOptions): ModelEmulator {
  return new ModelEmulator(options);
}

/**
 * One `fetch` for several providers: each request goes to the emulator whose base URL it starts
 * with; anything else fails like an unreachable host (no test reaches the network).
 */
export function modelFetch(
  ...emulators: ModelEmulator[]
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const request = new Request(input, init);
    const target = emulators.find((e) => request.url.startsWith(`${e.baseUrl}/`));
    if (target === undefined) throw new TypeError(`No route to ${new URL(request.url).origin}.`);
    return target.fetch(request);
  };
}
