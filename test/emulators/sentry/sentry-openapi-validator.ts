import { z } from 'zod';
import subset from './sentry-openapi.subset.json' with { type: 'json' };

/**
 * Checks every exchange with the Sentry emulator against Sentry's published OpenAPI description
 * (the operations in `sentry-openapi.subset.json`, see `extract-openapi-subset.ts`): the request's
 * path and query parameters as the importer sends them, and the emulator's 200 answers as the
 * description says Sentry answers. Schemas become zod validators through `z.fromJSONSchema` in
 * the OpenAPI 3.0 dialect (`nullable`), as the GitHub emulator's validator does.
 */

export interface SentryViolation {
  operation: string;
  side: 'request' | 'response';
  problem: string;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

interface Operation {
  template: string;
  regex: RegExp;
  names: string[];
  parameters: Parameter[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/**
 * Sentry answers these on any endpoint although the description lists only 400–404: 429 when a
 * rate limit is exceeded (docs.sentry.io/api/ratelimits/), and any request may meet a 5xx.
 */
const UNDOCUMENTED_ANYWHERE = new Set([429, 500, 502, 503, 504]);

const operations: Operation[] = Object.entries(
  subset.paths as Record<
    string,
    { get: { parameters: Parameter[]; responses: Operation['responses'] } }
  >,
).map(([template, ops]) => {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const m = /^\{([^}]+)\}$/.exec(segment);
      if (m?.[1] === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return {
    template,
    regex: new RegExp(`^${pattern}$`),
    names,
    parameters: ops.get.parameters,
    responses: ops.get.responses,
  };
});

const compiled = new Map<unknown, z.ZodType>();
function validator(schema: unknown): z.ZodType {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0], {
      defaultTarget: 'openapi-3.0',
    });
    compiled.set(schema, v);
  }
  return v;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** A query or path value (always a string) against a parameter's scalar schema. */
function scalarProblem(schema: Record<string, unknown>, value: string): string | undefined {
  const alternatives = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (alternatives) {
    return alternatives.some((s) => scalarProblem(s, value) === undefined)
      ? undefined
      : 'matches no alternative';
  }
  const enumValues = schema.enum as unknown[] | undefined;
  if (enumValues && !enumValues.includes(value)) return `not one of ${enumValues.join(', ')}`;
  if (schema.type === 'integer' && !/^-?\d+$/.test(value)) return 'not an integer';
  if (schema.type === 'boolean' && !/^(true|false|0|1)$/.test(value)) return 'not a boolean';
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) return 'too short';
  return undefined;
}

export function checkSentryRequest(method: string, url: URL): SentryViolation[] {
  const op = operations.find((o) => o.regex.test(url.pathname));
  const operation = `${method} ${op?.template ?? url.pathname}`;
  if (method !== 'GET' || op === undefined) {
    return [{ operation, side: 'request', problem: 'not an operation the importer may call' }];
  }
  const problems: string[] = [];
  const match = op.regex.exec(url.pathname);
  op.names.forEach((name, i) => {
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
    const value = decodeURIComponent(match?.[i + 1] ?? '');
    const problem = param?.schema ? scalarProblem(param.schema, value) : undefined;
    if (problem) problems.push(`path ${name}: ${problem}`);
  });
  for (const name of new Set(url.searchParams.keys())) {
    const param = op.parameters.find((p) => p.in === 'query' && p.name === name);
    if (param === undefined) {
      problems.push(`query ${name}: not a parameter of this operation`);
      continue;
    }
    const values = url.searchParams.getAll(name);
    const schema = param.schema ?? {};
    if (schema.type !== 'array' && values.length > 1) problems.push(`query ${name}: repeated`);
    const item = (schema.type === 'array' ? schema.items : schema) as Record<string, unknown>;
    for (const value of values) {
      const problem = scalarProblem(item ?? {}, value);
      if (problem) problems.push(`query ${name}: ${problem}`);
    }
  }
  return problems.map((problem) => ({ operation, side: 'request' as const, problem }));
}

export function checkSentryResponse(
  method: string,
  url: URL,
  status: number,
  body: unknown,
): SentryViolation[] {
  const op = operations.find((o) => o.regex.test(url.pathname));
  const operation = `${method} ${op?.template ?? url.pathname}`;
  if (op === undefined) return [];
  const declared = op.responses[String(status)];
  if (declared === undefined) {
    return UNDOCUMENTED_ANYWHERE.has(status)
      ? []
      : [{ operation, side: 'response', problem: `status ${status} is not described` }];
  }
  const schema = declared.content?.['application/json']?.schema;
  if (schema === undefined) return [];
  const result = validator(schema).safeParse(body);
  return result.success ? [] : [{ operation, side: 'response', problem: describe(result.error) }];
}

/**
 * The emulator behind validation: every request and every JSON answer is checked, and each
 * violation recorded (tests assert there are none).
 */
export function validatingSentryFetch(inner: (request: Request) => Promise<Response>) {
  const violations: SentryViolation[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    violations.push(...checkSentryRequest(request.method, url));
    const response = await inner(request);
    if ((response.headers.get('content-type') ?? '').includes('application/json')) {
      const body = await response.clone().json();
      violations.push(...checkSentryResponse(request.method, url, response.status, body));
    }
    return response;
  };
  return { fetch, violations };
}
