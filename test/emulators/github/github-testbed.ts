import { type EmulatorOptions, GitHubEmulator } from './github-emulator.ts';
import type { OpenApiIndex } from './openapi-index.schema.ts';
import {
  type FetchHandler,
  OpenApiValidator,
  type Violation,
  validatingFetch,
} from './openapi-validator.ts';

export interface GitHubTestbed {
  emulator: GitHubEmulator;
  /** The emulator behind OpenAPI validation: what the code under test gets as `fetch`. */
  fetch: FetchHandler;
  /** Every mismatch with GitHub's description seen so far; a test expects it to stay empty. */
  violations: Violation[];
  baseUrl: string;
}

// Compiled schemas are cached per validator: one validator per index keeps that cache warm
// across the tests of a file.
const validators = new WeakMap<OpenApiIndex, OpenApiValidator>();

export function createGitHubTestbed(
  index: OpenApiIndex,
  options: EmulatorOptions & { baseUrl?: string } = {},
): GitHubTestbed {
  const baseUrl = options.baseUrl ?? 'https://api.github.com';
  let validator = validators.get(index);
  if (validator === undefined) {
    validator = new OpenApiValidator(index);
    validators.set(index, validator);
  }
  const emulator = new GitHubEmulator({ ...options, baseUrl });
  const violations: Violation[] = [];
  return {
    emulator,
    fetch: validatingFetch(emulator.fetch, validator, baseUrl, violations),
    violations,
    baseUrl,
  };
}
