import { formatPatch, structuredPatch } from 'diff';
import type { FileChange } from '../fix.types.ts';

/**
 * Majority vote over the model's answers (Agentless, ai-autofix.md §4 steps 11 and 15): answers
 * that make the same change — ignoring whitespace, indentation and blank lines, which do not
 * change what the code does — count as one, the change most answers agree on goes first, and a
 * tie goes to the smaller diff (then the earlier answer). An answer whose change is empty once
 * normalised only moved whitespace; Agentless drops those, and so does the caller.
 */

export interface DiffStats {
  added: number;
  removed: number;
}

export interface Normalised {
  /** A whitespace-insensitive unified diff of every file, by path: equal keys, same change. */
  key: string;
  /** The real diff's size, for the tie-break and the summary. */
  stats: DiffStats;
  perFile: { path: string; created: boolean; stats: DiffStats }[];
}

function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '')
    .join('\n');
}

function statsOf(before: string, after: string): DiffStats {
  const patch = structuredPatch('a', 'b', before, after, '', '', { context: 0 });
  let added = 0;
  let removed = 0;
  for (const hunk of patch.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  return { added, removed };
}

export function normaliseChanges(
  changes: readonly FileChange[],
  existing: ReadonlySet<string>,
): Normalised {
  const sorted = [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: string[] = [];
  const perFile: Normalised['perFile'] = [];
  const total: DiffStats = { added: 0, removed: 0 };
  for (const change of sorted) {
    const before = normaliseText(change.before);
    const after = normaliseText(change.after);
    const created = !existing.has(change.path);
    const patch = structuredPatch(change.path, change.path, before, after, '', '', {
      context: 0,
      ignoreWhitespace: true,
    });
    if (patch.hunks.length > 0) parts.push(formatPatch(patch));
    const stats = statsOf(change.before, change.after);
    perFile.push({ path: change.path, created, stats });
    total.added += stats.added;
    total.removed += stats.removed;
  }
  // No hunk anywhere: the answer only moved whitespace (or created a blank file).
  return { key: parts.join(''), stats: total, perFile };
}

export interface Ballot<T> {
  item: T;
  normalised: Normalised;
}

export interface VoteResult<T> {
  /** The earliest answer of the group stands for it. */
  winner: T;
  members: T[];
  votes: number;
  normalised: Normalised;
}

export function voteOnDiffs<T>(ballots: readonly Ballot<T>[]): VoteResult<T>[] {
  const groups = new Map<string, { first: number; ballots: Ballot<T>[] }>();
  ballots.forEach((b, i) => {
    if (b.normalised.key === '') return;
    const group = groups.get(b.normalised.key);
    if (group === undefined) groups.set(b.normalised.key, { first: i, ballots: [b] });
    else group.ballots.push(b);
  });
  const size = (n: Normalised) => n.stats.added + n.stats.removed;
  return [...groups.values()]
    .sort((a, b) => {
      const [wa, wb] = [a.ballots[0], b.ballots[0]];
      if (wa === undefined || wb === undefined) return 0;
      return (
        b.ballots.length - a.ballots.length ||
        size(wa.normalised) - size(wb.normalised) ||
        a.first - b.first
      );
    })
    .flatMap((g) => {
      const [first] = g.ballots;
      return first === undefined
        ? []
        : [
            {
              winner: first.item,
              members: g.ballots.map((b) => b.item),
              votes: g.ballots.length,
              normalised: first.normalised,
            },
          ];
    });
}

/** One line written by Homeostat from the diff — never the model's prose. */
export function summariseChange(n: Normalised): string {
  const lines = n.stats.added + n.stats.removed;
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const [only] = n.perFile;
  if (n.perFile.length === 1 && only !== undefined) {
    return only.created
      ? `Adds ${only.path} (${plural(only.stats.added, 'line')})`
      : `Changes ${plural(lines, 'line')} in ${only.path} (+${only.stats.added} -${only.stats.removed})`;
  }
  const files = n.perFile
    .map((f) => `${f.path}${f.created ? ' (new)' : ''} (+${f.stats.added} -${f.stats.removed})`)
    .join(', ');
  return `Changes ${plural(lines, 'line')} in ${plural(n.perFile.length, 'file')}: ${files}`;
}
