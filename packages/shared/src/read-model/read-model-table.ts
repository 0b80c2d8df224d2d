import type { z } from 'zod';

/**
 * One table of the D1 read model that ingest writes and triage and canary-monitor read (issue 14
 * item 4: the row schema has one owner). `row` is the zod schema of a whole row as D1 returns it
 * (every column, D1-schema.sql's names and types); readers parse rows, or `.pick()` the columns
 * they select, with it, and writers build their statements from it with `upsertRow`, so a column
 * renamed or retyped on one side fails to compile or parse on the other.
 * packages/shared/test/read-model.test.ts checks each table against D1-schema.sql.
 */

/** What D1 binds and returns for these tables: no blobs, booleans are 0/1 integers. */
export type D1Cell = string | number | null;
type RowShape = Record<string, z.ZodType<D1Cell>>;

export interface ReadModelTable<
  S extends RowShape = RowShape,
  K extends keyof S & string = keyof S & string,
  D extends keyof S & string = keyof S & string,
> {
  name: string;
  row: z.ZodObject<S>;
  /** The primary key, in D1-schema.sql's order (the ON CONFLICT target of an upsert). */
  key: readonly K[];
  /** Columns with a DEFAULT in D1-schema.sql: a writer may leave them out. */
  defaults: readonly D[];
}

type RowOfShape<S extends RowShape> = { [C in keyof S]: z.output<S[C]> };

/** A row as a writer inserts it: every column, those with a default optional. */
export type InsertRow<S extends RowShape, D extends keyof S> = Omit<RowOfShape<S>, D> &
  Partial<Pick<RowOfShape<S>, D>>;

const IDENTIFIER = /^[a-z_]+$/;

export function defineTable<
  S extends RowShape,
  K extends keyof S & string,
  D extends keyof S & string = never,
>(table: {
  name: string;
  row: z.ZodObject<S>;
  key: readonly K[];
  defaults?: readonly D[];
}): ReadModelTable<S, K, D> {
  // Names are spliced into SQL by upsertRow: only our own lowercase identifiers, never input.
  for (const name of [table.name, ...Object.keys(table.row.shape)]) {
    if (!IDENTIFIER.test(name)) throw new Error(`read model: bad identifier ${name}`);
  }
  return { ...table, defaults: table.defaults ?? [] };
}

/**
 * On a primary-key conflict: 'ignore' keeps the stored row (samples, transitions: immutable);
 * otherwise each listed column is either replaced ('set': the writer holds the absolute value) or
 * incremented ('add': the writer sends a delta, made exactly-once by the flush, d1-flush.ts);
 * unlisted columns keep their stored value.
 */
export type OnConflict<S extends RowShape> = 'ignore' | Partial<Record<keyof S, 'set' | 'add'>>;

export interface RowStatement {
  sql: string;
  params: D1Cell[];
}

/** `INSERT … ON CONFLICT …` for one row, with bound parameters only. */
export function upsertRow<
  S extends RowShape,
  K extends keyof S & string,
  D extends keyof S & string,
>(table: ReadModelTable<S, K, D>, row: InsertRow<S, D>, onConflict: OnConflict<S>): RowStatement {
  const values = row as Record<string, D1Cell | undefined>;
  const columns = Object.keys(table.row.shape).filter((c) => values[c] !== undefined);
  const params = columns.map((c) => values[c] ?? null);
  let conflict = 'ON CONFLICT DO NOTHING';
  if (onConflict !== 'ignore') {
    const updates = Object.entries(onConflict as Record<string, 'set' | 'add'>)
      .filter(([c]) => columns.includes(c))
      .map(([c, how]) => (how === 'add' ? `${c} = ${c} + excluded.${c}` : `${c} = excluded.${c}`));
    if (updates.length > 0)
      conflict = `ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
  }
  return {
    sql: `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${conflict}`,
    params,
  };
}
