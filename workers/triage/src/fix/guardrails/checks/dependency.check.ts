import type { FileReview } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { isRemoteSpecifier } from '../script-scan.ts';

/**
 * No new dependency (research ai-autofix.md §8 T4; Copilot Autofix warns of "fabricated
 * dependencies"): every bare package a changed file imports must already be imported by a file of
 * the context. A test may also use Node's own test runner and assert module; other Node built-ins
 * (`child_process`, `fs`, `net`…) count as new, since tests run on CI next to its secrets.
 */

const ALWAYS_ALLOWED = new Set(['node:test', 'node:assert', 'assert']);

/** The package a specifier names, or null for relative paths, aliases and URLs. */
export function packageName(specifier: string): string | null {
  const s = specifier.trim().replace(/[?#].*$/, '');
  if (s === '' || /^[./~#]/.test(s) || s.startsWith('@/') || isRemoteSpecifier(specifier)) {
    return null;
  }
  if (s.startsWith('node:')) return `node:${s.slice(5).split('/')[0] ?? ''}`;
  const parts = s.split('/');
  return s.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

const SPECIFIER_TEXT = /\b(?:from|import|require)\s*\(?\s*['"`]([^'"`\s]{1,200})['"`]/g;

/** Packages imported anywhere in these texts; read loosely, since it only ever widens what is allowed. */
export function importedPackages(texts: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(SPECIFIER_TEXT)) {
      const name = packageName(m[1] ?? '');
      if (name !== null) out.add(name);
    }
  }
  return out;
}

export function checkDependencies(r: FileReview, known: ReadonlySet<string>): GuardrailRejection[] {
  if (r.scanAfter === null) return [];
  const out: GuardrailRejection[] = [];
  const reported = new Set<string>();
  for (const s of r.scanAfter.specifiers) {
    const name = packageName(s.value);
    if (name === null || known.has(name) || ALWAYS_ALLOWED.has(name) || reported.has(name)) {
      continue;
    }
    reported.add(name);
    out.push({
      reason: 'new_dependency',
      path: r.path,
      line: s.line,
      detail: name.startsWith('node:')
        ? 'imports a Node built-in the repository does not use'
        : 'imports a package the repository does not use',
    });
  }
  return out;
}
