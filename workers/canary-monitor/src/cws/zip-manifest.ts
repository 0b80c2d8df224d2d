import { isVersion } from '@homeostat/shared';
import { z } from 'zod';
import { CanaryError } from '../canary-error.ts';

/**
 * Reads `manifest.json` from an extension package (a zip) with web APIs only, so the release CLI
 * (Node) and the store emulator (workerd) share it: the version to register is the version the
 * store will read. Supports stored and deflated entries, found through the central directory
 * (local headers may defer their sizes to a data descriptor).
 */
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const ManifestSchema = z.object({
  manifest_version: z.int().optional(),
  name: z.string().optional(),
  version: z.string().refine(isVersion, 'not a Chrome extension version'),
});
export type PackageManifest = z.infer<typeof ManifestSchema>;

async function inflateRaw(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function readZipEntry(
  zip: Uint8Array<ArrayBuffer>,
  name: string,
): Promise<Uint8Array | null> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  // The end record is 22 bytes plus a comment of at most 65 535 bytes.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CanaryError('package_invalid', 'not a zip file');
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const decoder = new TextDecoder();
  for (let e = 0; e < entries; e++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== CENTRAL) {
      throw new CanaryError('package_invalid', 'corrupt zip central directory');
    }
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    const entryName = decoder.decode(zip.subarray(p + 46, p + 46 + nameLength));
    if (entryName === name) {
      if (view.getUint32(localOffset, true) !== LOCAL)
        throw new CanaryError('package_invalid', 'corrupt zip entry');
      const start =
        localOffset +
        30 +
        view.getUint16(localOffset + 26, true) +
        view.getUint16(localOffset + 28, true);
      const data = zip.slice(start, start + compressedSize);
      if (method === 0) return data;
      if (method === 8) return inflateRaw(data);
      throw new CanaryError('package_invalid', 'unsupported zip compression method');
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  return null;
}

/**
 * The package's manifest; throws `CanaryError` `package_invalid` when it is missing or has no
 * valid version.
 */
export async function readPackageManifest(zip: Uint8Array<ArrayBuffer>): Promise<PackageManifest> {
  const bytes = await readZipEntry(zip, 'manifest.json');
  if (bytes === null)
    throw new CanaryError('package_invalid', 'the package has no manifest.json at its root');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CanaryError('package_invalid', 'manifest.json is not valid JSON');
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new CanaryError('package_invalid', 'manifest.json has no valid version');
  return parsed.data;
}
