import { z } from 'zod';
import { FRAME_SHAPES } from './frame-shape.ts';
import { TRANSFORM_IDS } from './transforms/transform.types.ts';

/**
 * The `fix_patterns` table (D1-schema.sql; issue 9 item 4): rows read back through zod, since a
 * row is only as trustworthy as whatever wrote it.
 */

export const PATTERN_STATES = ['active', 'retired', 'quarantined'] as const;
export type PatternState = (typeof PATTERN_STATES)[number];

export const PatternRowSchema = z.object({
  id: z.string().min(1).max(200),
  scope: z.string().min(1).max(200),
  error_type: z.string().min(1).max(200),
  message_template: z.string().min(1).max(2048),
  frame_shape: z.union([z.enum(FRAME_SHAPES), z.literal('*')]),
  transform: z.enum(TRANSFORM_IDS),
  params: z.string().max(64 * 1024),
  confidence: z.number().min(0).max(1),
  uses: z.int().min(0),
  successes: z.int().min(0),
  failures: z.int().min(0),
  state: z.enum(PATTERN_STATES),
  provenance: z.enum(['builtin', 'learned']),
  source_pr_url: z.string().nullable(),
  source_repo: z.string().nullable(),
  learned_env: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type PatternRow = z.infer<typeof PatternRowSchema>;

/** The scope of a repository's learned patterns. */
export function repoScope(repo: string): string {
  return repo.toLowerCase();
}

/** Parsed JSON params, or undefined when the stored text is not JSON (the transform refuses). */
export function patternParams(row: PatternRow): unknown {
  try {
    return JSON.parse(row.params);
  } catch {
    return undefined;
  }
}

const COLUMNS = `id, scope, error_type, message_template, frame_shape, transform, params, confidence,
  uses, successes, failures, state, provenance, source_pr_url, source_repo, learned_env,
  created_at, updated_at`;

/**
 * Active patterns a repository may use: its own learned ones, then the built-ins. Rows that do not
 * validate (a transform id this version does not know, say) are skipped, not fatal.
 */
export async function activePatterns(db: D1Database, repo: string): Promise<PatternRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM fix_patterns
       WHERE state = 'active' AND (scope = ?1 OR scope = '*')
       LIMIT 1000`,
    )
    .bind(repoScope(repo))
    .all();
  const rows: PatternRow[] = [];
  for (const r of results) {
    const parsed = PatternRowSchema.safeParse(r);
    if (parsed.success) rows.push(parsed.data);
  }
  return rows;
}

export async function getPattern(db: D1Database, id: string): Promise<PatternRow | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM fix_patterns WHERE id = ?1`)
    .bind(id)
    .first();
  if (row === null) return null;
  return PatternRowSchema.parse(row);
}

/** Quarantine (or restore) a pattern by hand or by policy: a quarantined pattern never applies. */
export async function setPatternState(
  db: D1Database,
  id: string,
  state: PatternState,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare('UPDATE fix_patterns SET state = ?2, updated_at = ?3 WHERE id = ?1')
    .bind(id, state, now)
    .run();
  return result.meta.changes > 0;
}
