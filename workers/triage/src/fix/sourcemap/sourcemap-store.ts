import {
  type ReleaseRow,
  ReleaseRowSchema,
  type SourceMapRow,
  SourceMapRowSchema,
} from './sourcemap.schema.ts';

/**
 * The release index (D1 `fix_releases`, `fix_source_maps`) and the map bytes (R2 `SOURCE_MAPS`)
 * (issue 9 item 2; issue 10 item 6 reads the release's commit). Every write is idempotent: the
 * release CLI is re-run by CI, and the same upload must leave the same rows.
 */

export interface Release {
  extensionId: string;
  version: string;
  commitSha: string | null;
  buildDir: string;
  uploadedAt: number;
}

export interface StoredSourceMap {
  extensionId: string;
  version: string;
  file: string;
  r2Key: string;
  sha256: string;
  size: number;
  uploadedAt: number;
}

/** created: new; unchanged: the same content was already there; replaced/updated: it changed. */
export type WriteOutcome = 'created' | 'unchanged' | 'updated';

function releaseFromRow(row: ReleaseRow): Release {
  return {
    extensionId: row.extension_id,
    version: row.version,
    commitSha: row.commit_sha,
    buildDir: row.build_dir,
    uploadedAt: row.uploaded_at,
  };
}

function mapFromRow(row: SourceMapRow): StoredSourceMap {
  return {
    extensionId: row.extension_id,
    version: row.version,
    file: row.file,
    r2Key: row.r2_key,
    sha256: row.sha256,
    size: row.size,
    uploadedAt: row.uploaded_at,
  };
}

export async function getRelease(
  db: D1Database,
  extensionId: string,
  version: string,
): Promise<Release | null> {
  const row = await db
    .prepare('SELECT * FROM fix_releases WHERE extension_id = ?1 AND version = ?2')
    .bind(extensionId, version)
    .first();
  return row === null ? null : releaseFromRow(ReleaseRowSchema.parse(row));
}

/**
 * Registers (or re-registers) a release. A rebuilt version may come from another commit or
 * directory: the newest registration wins, and an identical one changes nothing, not even the
 * time.
 */
export async function registerRelease(
  db: D1Database,
  input: { extensionId: string; version: string; commitSha: string | null; buildDir: string },
  now: number,
): Promise<{ release: Release; outcome: WriteOutcome }> {
  const existing = await getRelease(db, input.extensionId, input.version);
  if (existing?.commitSha === input.commitSha && existing.buildDir === input.buildDir) {
    return { release: existing, outcome: 'unchanged' };
  }
  const row = await db
    .prepare(
      `INSERT INTO fix_releases (extension_id, version, commit_sha, build_dir, uploaded_at)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (extension_id, version) DO UPDATE SET
         commit_sha = excluded.commit_sha, build_dir = excluded.build_dir,
         uploaded_at = excluded.uploaded_at
       RETURNING *`,
    )
    .bind(input.extensionId, input.version, input.commitSha, input.buildDir, now)
    .first();
  return {
    release: releaseFromRow(ReleaseRowSchema.parse(row)),
    outcome: existing === null ? 'created' : 'updated',
  };
}

/** Content-addressed: the same bytes of a release always have the same key. */
export function sourceMapKey(extensionId: string, version: string, sha256: string): string {
  return `maps/${extensionId}/${version}/${sha256}.map`;
}

async function getSourceMapRow(
  db: D1Database,
  extensionId: string,
  version: string,
  file: string,
): Promise<SourceMapRow | null> {
  const row = await db
    .prepare('SELECT * FROM fix_source_maps WHERE extension_id = ?1 AND version = ?2 AND file = ?3')
    .bind(extensionId, version, file)
    .first();
  return row === null ? null : SourceMapRowSchema.parse(row);
}

/**
 * Stores one bundle's map: the bytes in R2 first, then the D1 row that points at them, so a row
 * never names an object that was not written. Re-uploading the same content leaves the row as it
 * was (and rewrites the object only if it went missing); new content for the same file replaces
 * the row and deletes the old object once no row names it.
 */
export async function storeSourceMap(
  bucket: R2Bucket,
  db: D1Database,
  input: { extensionId: string; version: string; file: string; bytes: Uint8Array; sha256: string },
  now: number,
): Promise<{ sourceMap: StoredSourceMap; outcome: WriteOutcome }> {
  const { extensionId, version, file, sha256 } = input;
  const key = sourceMapKey(extensionId, version, sha256);
  const existing = await getSourceMapRow(db, extensionId, version, file);
  if ((await bucket.head(key)) === null) {
    await bucket.put(key, input.bytes, {
      // R2 checks the digest of what it received and refuses the write on a mismatch.
      sha256,
      httpMetadata: { contentType: 'application/json' },
    });
  }
  if (existing?.sha256 === sha256) {
    return { sourceMap: mapFromRow(existing), outcome: 'unchanged' };
  }
  const row = await db
    .prepare(
      `INSERT INTO fix_source_maps (extension_id, version, file, r2_key, sha256, size, uploaded_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (extension_id, version, file) DO UPDATE SET
         r2_key = excluded.r2_key, sha256 = excluded.sha256, size = excluded.size,
         uploaded_at = excluded.uploaded_at
       RETURNING *`,
    )
    .bind(extensionId, version, file, key, sha256, input.bytes.byteLength, now)
    .first();
  const stored = mapFromRow(SourceMapRowSchema.parse(row));
  if (existing !== null && existing.r2_key !== key) {
    const still = await db
      .prepare('SELECT 1 FROM fix_source_maps WHERE r2_key = ?1 LIMIT 1')
      .bind(existing.r2_key)
      .first();
    if (still === null) await bucket.delete(existing.r2_key);
  }
  return { sourceMap: stored, outcome: existing === null ? 'created' : 'updated' };
}

/** What the frame mapper needs to find and place one bundle's map. */
export interface SourceMapLocation {
  r2Key: string;
  sha256: string;
  size: number;
  buildDir: string;
}

export async function findSourceMap(
  db: D1Database,
  extensionId: string,
  version: string,
  file: string,
): Promise<SourceMapLocation | null> {
  const row = await db
    .prepare(
      `SELECT m.r2_key, m.sha256, m.size, r.build_dir FROM fix_source_maps m
       JOIN fix_releases r ON r.extension_id = m.extension_id AND r.version = m.version
       WHERE m.extension_id = ?1 AND m.version = ?2 AND m.file = ?3`,
    )
    .bind(extensionId, version, file)
    .first();
  if (row === null) return null;
  const parsed = SourceMapRowSchema.pick({ r2_key: true, sha256: true, size: true })
    .extend({ build_dir: ReleaseRowSchema.shape.build_dir })
    .parse(row);
  return {
    r2Key: parsed.r2_key,
    sha256: parsed.sha256,
    size: parsed.size,
    buildDir: parsed.build_dir,
  };
}
