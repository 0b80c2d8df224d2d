/**
 * Reads what `node --test` printed (its TAP reporter, Node 22's default when stdout is not a
 * terminal) into the local CI's check run: the counts, and one entry per failing test with the
 * repository file and line where it failed (the innermost stack frame inside the checkout, else
 * the test's own location) and the error message. Suites that failed only because a subtest did
 * are left out, as their subtest is already listed.
 */

export interface TestFailure {
  name: string;
  /** Repository path, '/'-separated; null when no frame was inside the checkout. */
  path: string | null;
  line: number | null;
  message: string;
}

export interface TestCounts {
  tests: number;
  pass: number;
  fail: number;
}

export interface NodeTestReport {
  counts: TestCounts | null;
  failures: TestFailure[];
}

/** GitHub caps an annotation message at 64 KB; a few lines are what a reader needs. */
const MAX_MESSAGE_CHARS = 2000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function unquote(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) {
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) {
    try {
      return String(JSON.parse(text));
    } catch {
      return text.slice(1, -1);
    }
  }
  return text === '~' ? '' : text;
}

interface Block {
  fields: Map<string, string>;
  end: number;
}

/** The YAML diagnostic block after a TAP test line, read key by key at its indentation. */
function readBlock(lines: string[], start: number, indent: number): Block | null {
  const pad = ' '.repeat(indent + 2);
  if (lines[start]?.trimEnd() !== `${pad}---`) return null;
  const key = new RegExp(`^${pad}([A-Za-z_]+):(?: (.*))?$`);
  const fields = new Map<string, string>();
  let i = start + 1;
  while (i < lines.length && lines[i]?.trimEnd() !== `${pad}...`) {
    const m = key.exec(lines[i] ?? '');
    if (m?.[1] === undefined) {
      i++;
      continue;
    }
    const rest = (m[2] ?? '').trim();
    if (/^[|>][-+]?$/.test(rest)) {
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i] ?? '';
        if (l.startsWith(`${pad}  `)) body.push(l.slice(pad.length + 2));
        else if (l.trim() === '') body.push('');
        else break;
        i++;
      }
      fields.set(m[1], body.join('\n').trim());
      continue;
    }
    fields.set(m[1], unquote(rest));
    i++;
  }
  return { fields, end: i };
}

/** `file:///work/x/test/a.test.js:5:10` or `/work/x/test/a.test.js:5:10` inside a root. */
function locate(text: string, roots: readonly string[]): { path: string; line: number } | null {
  for (const root of roots) {
    const base = root.replace(/\/+$/, '');
    const re = new RegExp(`(?:file://)?${escapeRegExp(base)}/([^\\s:()'"]+):(\\d+)(?::\\d+)?`);
    const m = re.exec(text);
    if (m?.[1] !== undefined && m[2] !== undefined && !m[1].split('/').includes('node_modules')) {
      return { path: m[1], line: Number(m[2]) };
    }
  }
  return null;
}

/** Absolute checkout paths in a message become repository paths. */
export function withoutRoots(text: string, roots: readonly string[]): string {
  let out = text;
  for (const root of roots) {
    const base = root.replace(/\/+$/, '');
    out = out.replace(new RegExp(`(?:file://)?${escapeRegExp(base)}/`, 'g'), '');
  }
  return out;
}

/**
 * `roots` are the checkout's absolute path(s) (give its realpath too when /tmp is a link), so
 * frames and locations become repository paths.
 */
export function parseNodeTestOutput(output: string, roots: readonly string[]): NodeTestReport {
  const lines = output.split(/\r?\n/);
  const failures: TestFailure[] = [];
  // Comment lines since the last test: where a test file that crashed on load wrote its error.
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const test = /^(\s*)(not ok|ok) \d+(?: - (.*))?$/.exec(line);
    if (test === null) {
      const comment = /^\s*# (.*)$/.exec(line)?.[1];
      if (comment !== undefined && !comment.startsWith('Subtest:')) comments.push(comment);
      continue;
    }
    const indent = test[1]?.length ?? 0;
    const block = readBlock(lines, i + 1, indent);
    if (block !== null) i = block.end;
    const context = comments;
    comments = [];
    const name = (test[3] ?? '').replace(/ # (SKIP|TODO)\b.*$/i, '');
    if (test[2] !== 'not ok' || / # TODO\b/i.test(test[3] ?? '')) continue;
    const fields = block?.fields ?? new Map<string, string>();
    if (fields.get('failureType') === 'subtestsFailed') continue;
    let message = fields.get('error') ?? 'test failed';
    if (message === 'test failed') {
      // A file that failed to load: its own error was printed as TAP comments before it.
      const thrown = context.find((c) => /^\s*\w*Error\b.*:/.test(c));
      if (thrown !== undefined) message = thrown.trim();
    }
    const where =
      locate(fields.get('stack') ?? '', roots) ??
      locate(message, roots) ??
      locate(fields.get('location') ?? '', roots);
    failures.push({
      name,
      path: where?.path ?? null,
      line: where?.line ?? null,
      message: withoutRoots(message, roots).slice(0, MAX_MESSAGE_CHARS),
    });
  }
  const count = (key: string): number | null => {
    const m = new RegExp(`^(?:#|ℹ) ${key} (\\d+)\\s*$`, 'm').exec(output);
    return m?.[1] === undefined ? null : Number(m[1]);
  };
  const tests = count('tests');
  const pass = count('pass');
  const fail = count('fail');
  return {
    counts: tests === null || pass === null || fail === null ? null : { tests, pass, fail },
    failures,
  };
}
