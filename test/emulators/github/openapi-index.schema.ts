/**
 * The compact index of GitHub's OpenAPI description that the Node side builds
 * (openapi-index.ts) and the workerd side validates against (openapi-validator.ts). Plain data:
 * it crosses from the vitest config into workerd through `provide`/`inject`.
 */
export interface ParameterIndex {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: unknown;
}

export interface OperationIndex {
  operationId: string;
  parameters: ParameterIndex[];
  requestBody?: { required: boolean; schema: unknown };
  /** By status code (or `default`); `schema` absent when the response has no JSON body. */
  responses: Record<string, { schema?: unknown }>;
}

export interface OpenApiIndex {
  /** Version of `@octokit/openapi` the index was built from. */
  version: string;
  /** Every path template of the description with its methods. */
  paths: Record<string, string[]>;
  /** `METHOD /template` → schemas, for the operations the emulator serves. */
  operations: Record<string, OperationIndex>;
  /** `components.schemas` reached from those operations, for `#/definitions/<name>` refs. */
  definitions: Record<string, unknown>;
}

/** A real webhook delivery body from `@octokit/webhooks-examples`, by event name. */
export interface WebhookExample {
  event: string;
  payload: unknown;
}

// What the triage vitest config hands the workerd tests (`provide` → `inject`).
declare module 'vitest' {
  export interface ProvidedContext {
    githubOpenApi: OpenApiIndex;
    webhookExamples: WebhookExample[];
  }
}
