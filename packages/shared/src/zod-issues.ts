import type { z } from 'zod';

/** `extensions[0].ingestKeys[1]` style path, the way a person finds the field in the file. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Lists issues as `path: message` lines. zod's own messages describe the expectation
 * ("expected string, received number") and never include the received value, which keeps
 * untrusted or secret input out of error text.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}
