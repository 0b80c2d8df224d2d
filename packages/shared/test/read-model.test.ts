import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, test } from 'vitest';
import {
  type D1Cell,
  fingerprintsTable,
  READ_MODEL_TABLES,
  type RowStatement,
  releaseHealthTable,
  samplesTable,
  upsertRow,
} from '../src/index.ts';

/**
 * The read model's zod schemas (packages/shared/src/read-model) against D1-schema.sql itself, in
 * SQLite: the same columns in the same order, the same key, nullability and defaults; and rows
 * written with `upsertRow` read back through the schemas (issue 14 item 4).
 */
const schemaSql = readFileSync(path.join(import.meta.dirname, '../../../D1-schema.sql'), 'utf8');

function freshDb(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec(schemaSql);
  return db;
}

function run(db: DatabaseSync, s: RowStatement): void {
  db.prepare(s.sql).run(...(s.params as (string | number | null)[]));
}

interface ColumnInfo {
  name: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

describe('read model matches D1-schema.sql', () => {
  const db = freshDb();
  for (const table of READ_MODEL_TABLES) {
    test(table.name, () => {
      const info = db.prepare(`PRAGMA table_info(${table.name})`).all() as unknown as ColumnInfo[];
      const shape = table.row.shape as Record<
        string,
        { safeParse(v: unknown): { success: boolean } }
      >;
      expect(Object.keys(shape)).toEqual(info.map((c) => c.name));
      expect(table.key).toEqual(
        info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
      );
      const nullable = info.filter((c) => c.notnull === 0 && c.pk === 0).map((c) => c.name);
      expect(Object.keys(shape).filter((c) => shape[c]?.safeParse(null).success)).toEqual(nullable);
      // A writer may omit only columns SQLite fills in (a DEFAULT, or NULL), and must be able to
      // omit those with a DEFAULT: counts that another writer adds to (release_health).
      const withDefault = info.filter((c) => c.dflt_value !== null).map((c) => c.name);
      const fillable = [...withDefault, ...nullable];
      expect(table.defaults.filter((c) => !fillable.includes(c))).toEqual([]);
      expect(withDefault.filter((c) => !(table.defaults as readonly string[]).includes(c))).toEqual(
        [],
      );
    });
  }
});

describe('upsertRow', () => {
  const fp = {
    extension_id: 'hbmcgnlkdaoflhnpdbdamjhfjinoangf',
    fingerprint: 'fp1:0123456789abcdef0123456789abcdef',
    error_type: 'TypeError',
    title: 'TypeError: x is undefined',
    culprit: null,
    events: 3,
    installs: 2,
    first_seen: 1_000,
    last_seen: 2_000,
    first_version: '1.0.0',
    last_version: '1.2.0',
    state: 'open' as const,
    fixed_in_version: null,
    flushed_at: 2_000,
  };

  test('writes a row the schema reads back, defaults filled in; set replaces', () => {
    const db = freshDb();
    run(db, upsertRow(fingerprintsTable, fp, 'ignore'));
    const replace = { events: 'set', last_seen: 'set', state: 'set' } as const;
    run(
      db,
      upsertRow(fingerprintsTable, { ...fp, events: 9, state: 'fixed', title: 'x' }, replace),
    );
    const row = fingerprintsTable.row.parse(db.prepare('SELECT * FROM fingerprints').get());
    expect(row).toEqual({
      ...fp,
      events: 9,
      state: 'fixed',
      installs_approximate: 0,
      daily_events: null,
    });
  });

  test('add increments only the columns it names', () => {
    const db = freshDb();
    const key = { extension_id: fp.extension_id, version: '1.2.0', window_start: 300_000 };
    const add = upsertRow(
      releaseHealthTable,
      { ...key, error_events: 4, error_sessions: 1 },
      {
        error_events: 'add',
        error_sessions: 'add',
      },
    );
    expect(add.params).toEqual([fp.extension_id, '1.2.0', 300_000, 1, 4] satisfies D1Cell[]);
    run(db, add);
    run(db, add);
    run(db, upsertRow(releaseHealthTable, { ...key, sessions: 7 }, { sessions: 'add' }));
    const row = releaseHealthTable.row.parse(db.prepare('SELECT * FROM release_health').get());
    expect(row).toMatchObject({ sessions: 7, error_events: 8, error_sessions: 2, installs: 0 });
  });

  test('ignore keeps the stored row', () => {
    const db = freshDb();
    const sample = {
      extension_id: fp.extension_id,
      event_id: 'e1',
      fingerprint: fp.fingerprint,
      version: '1.2.0',
      surface: 'popup',
      occurred_at: 1,
      received_at: 2,
      event: '{}',
    };
    run(db, upsertRow(samplesTable, sample, 'ignore'));
    run(db, upsertRow(samplesTable, { ...sample, event: '{"changed":1}' }, 'ignore'));
    expect(samplesTable.row.parse(db.prepare('SELECT * FROM samples').get()).event).toBe('{}');
  });
});
