import { ExtensionIdSchema, ExtensionVersionSchema } from '@homeostat/shared';
import { z } from 'zod';
import { normalizeBuildDir, normalizePackagePath } from './source-path.ts';

/**
 * The shapes at the edges of the source-map store (issue 9, item 2): the admin API's parameters
 * and bodies, the source map format itself, and the D1 rows read back.
 */

/**
 * A map larger than this is refused on upload (413) and never parsed by the frame mapper. A
 * minified extension bundle's map with `sourcesContent` is typically well under 2 MB; the cap
 * bounds what one request buffers and what one parse costs in a 128 MB isolate.
 */
export const MAX_SOURCE_MAP_BYTES = 8 * 1024 * 1024;

export const ReleaseParamsSchema = z.object({
  extensionId: ExtensionIdSchema,
  version: ExtensionVersionSchema,
});

export const PackageFileSchema = z
  .string()
  .min(2)
  .max(1024)
  .transform((raw, ctx) => {
    const file = normalizePackagePath(raw);
    if (file === null) {
      ctx.addIssue({ code: 'custom', message: "must be a package path like '/popup.js'" });
      return z.NEVER;
    }
    return file;
  });

export const SourceMapQuerySchema = z.object({ file: PackageFileSchema });

const CommitShaSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?$/, 'must be a full git SHA')
  .transform((s) => s.toLowerCase());

const BuildDirSchema = z
  .string()
  .max(512)
  .transform((raw, ctx) => {
    const dir = normalizeBuildDir(raw);
    if (dir === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a path inside the repository' });
      return z.NEVER;
    }
    return dir;
  });

export const RegisterReleaseBodySchema = z.strictObject({
  commitSha: CommitShaSchema.nullish().transform((s) => s ?? null),
  /** Where the build output lies in the repository, e.g. 'examples/demo-extension/dist'. */
  buildDir: BuildDirSchema,
});
export type RegisterReleaseBody = z.infer<typeof RegisterReleaseBodySchema>;

/**
 * Source map revision 3 (ECMA-426), the parts the mapper reads. Not strict: tools add fields
 * (`x_google_ignoreList`, `debugId`). `mappings` must be Base64 VLQ: the decoder reads any other
 * character as zero rather than failing, so a corrupt map would otherwise map to wrong places.
 * Index maps (`sections`) are not accepted: extension bundlers write plain maps.
 */
export const SourceMapV3Schema = z.object({
  version: z.literal(3),
  file: z.string().max(4096).nullish(),
  sourceRoot: z.string().max(4096).nullish(),
  sources: z.array(z.string().max(4096).nullable()).max(100_000),
  sourcesContent: z.array(z.string().nullable()).max(100_000).nullish(),
  names: z.array(z.string().max(4096)).max(1_000_000).optional(),
  mappings: z.string().regex(/^[A-Za-z0-9+/,;]*$/, 'must be Base64 VLQ segments'),
});
export type SourceMapV3 = z.infer<typeof SourceMapV3Schema>;

export const ReleaseRowSchema = z.object({
  extension_id: z.string(),
  version: z.string(),
  commit_sha: z.string().nullable(),
  build_dir: z.string(),
  uploaded_at: z.number(),
});
export type ReleaseRow = z.infer<typeof ReleaseRowSchema>;

export const SourceMapRowSchema = z.object({
  extension_id: z.string(),
  version: z.string(),
  file: z.string(),
  r2_key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  uploaded_at: z.number(),
});
export type SourceMapRow = z.infer<typeof SourceMapRowSchema>;
