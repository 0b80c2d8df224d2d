import type { RepositoryConfig, Surface } from '@homeostat/shared';
import { z } from 'zod';
import type { RepoSnapshot } from '../fix.types.ts';
import { dirname, joinRelative } from '../source/repo-path.ts';
import { findSourceFile, isLibraryPath, packageToRepoPath } from './path-filters.ts';

/**
 * Which source files start which surface, from the extension's manifest.json in the snapshot:
 * `background.service_worker` (or MV2 `background.scripts`) is the background, the action's
 * `default_popup` page is the popup, `options_page`/`options_ui.page` the options page,
 * `side_panel.default_path` the side panel, `devtools_page` devtools, and every
 * `content_scripts[].js` a content script. Pages are HTML: their `<script src>` files are the
 * entries. Manifest paths are package paths, mapped through `sourceRoots` (and, for projects whose
 * manifest sits beside the sources, resolved next to the manifest), with `.js` → `.ts` swaps.
 * Frameless errors are ranked by it (frameless.ts).
 */

const Str = z.string().max(1024);
const Page = z.object({ default_popup: Str.optional() }).partial().optional().catch(undefined);

/** Loose on purpose: a field we do not understand must not hide the fields we do. */
const ManifestSchema = z.object({
  background: z
    .object({
      service_worker: Str.optional(),
      scripts: z.array(Str).max(50).optional(),
      page: Str.optional(),
    })
    .optional()
    .catch(undefined),
  action: Page,
  browser_action: Page,
  page_action: Page,
  options_page: Str.optional().catch(undefined),
  options_ui: z.object({ page: Str.optional() }).optional().catch(undefined),
  side_panel: z.object({ default_path: Str.optional() }).optional().catch(undefined),
  devtools_page: Str.optional().catch(undefined),
  content_scripts: z
    .array(z.object({ js: z.array(Str).max(50).optional() }).catch({}))
    .max(100)
    .optional()
    .catch(undefined),
});

export type SurfaceEntries = Map<Surface, string[]>;

const MAX_MANIFEST_BYTES = 64 * 1024;
const SCRIPT_SRC = /<script\b[^>]{0,500}?\bsrc\s*=\s*["']([^"'<>]{1,500})["']/gi;

/** The manifest that describes the packaged extension: the one `sourceRoots` maps `/` to first. */
function findManifest(snapshot: RepoSnapshot, repo: RepositoryConfig): string | null {
  const paths = snapshot.paths();
  const rooted = packageToRepoPath('/manifest.json', repo);
  if (rooted !== null && paths.includes(rooted)) return rooted;
  const candidates = paths
    .filter((p) => (p === 'manifest.json' || p.endsWith('/manifest.json')) && !isLibraryPath(p))
    .filter((p) => !/(?:^|\/)(?:dist|build|out|test|tests|fixtures?)\//.test(p))
    .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  return candidates[0] ?? null;
}

export async function surfaceEntries(
  snapshot: RepoSnapshot,
  repo: RepositoryConfig,
): Promise<SurfaceEntries> {
  const entries: SurfaceEntries = new Map();
  const manifestPath = findManifest(snapshot, repo);
  if (manifestPath === null) return entries;
  const read = await snapshot.read(manifestPath);
  if (!read.ok || read.file.content.length > MAX_MANIFEST_BYTES) return entries;
  let raw: unknown;
  try {
    raw = JSON.parse(read.file.content);
  } catch {
    return entries;
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) return entries;
  const m = parsed.data;
  const has = new Set(snapshot.paths());
  const manifestDir = dirname(manifestPath);

  const locate = (packagePath: string): string | null => {
    const clean = packagePath.replace(/[?#].*$/, '').replace(/^\.?\//, '');
    const viaRoots = packageToRepoPath(`/${clean}`, repo);
    const found = viaRoots === null ? null : findSourceFile(viaRoots, (p) => has.has(p));
    if (found !== null) return found;
    const beside = joinRelative(manifestDir, clean);
    return beside === null ? null : findSourceFile(beside, (p) => has.has(p));
  };
  const add = (surface: Surface, path: string | null) => {
    if (path === null) return;
    const list = entries.get(surface) ?? [];
    if (!list.includes(path)) list.push(path);
    entries.set(surface, list);
  };
  const addPage = async (surface: Surface, page: string | undefined) => {
    if (page === undefined) return;
    const html = locate(page);
    if (html === null) return;
    const doc = await snapshot.read(html);
    if (!doc.ok) return;
    for (const match of doc.file.content.slice(0, 256 * 1024).matchAll(SCRIPT_SRC)) {
      const src = match[1] ?? '';
      if (/^[a-z][\w+.-]*:/i.test(src) || src.startsWith('//')) continue; // remote: not ours
      // A page's scripts are relative to the page; a leading '/' is the package root.
      const pageDir = dirname(page.replace(/^\.?\//, ''));
      const packagePath = src.startsWith('/')
        ? src
        : `${pageDir === '' ? '' : `${pageDir}/`}${src}`;
      const viaPackage = locate(packagePath);
      const besidePage = joinRelative(dirname(html), src.replace(/^\//, ''));
      add(
        surface,
        viaPackage ?? (besidePage === null ? null : findSourceFile(besidePage, (p) => has.has(p))),
      );
    }
  };

  add(
    'background',
    m.background?.service_worker === undefined ? null : locate(m.background.service_worker),
  );
  for (const s of m.background?.scripts ?? []) add('background', locate(s));
  await addPage('background', m.background?.page);
  await addPage(
    'popup',
    m.action?.default_popup ?? m.browser_action?.default_popup ?? m.page_action?.default_popup,
  );
  await addPage('options', m.options_ui?.page ?? m.options_page);
  await addPage('sidepanel', m.side_panel?.default_path);
  await addPage('devtools', m.devtools_page);
  for (const cs of m.content_scripts ?? [])
    for (const js of cs.js ?? []) add('content', locate(js));
  return entries;
}

/**
 * Without a manifest entry, a file's name is the next best hint (`background.ts`,
 * `service-worker.js`, `popup/…`, `content-script.ts`).
 */
export function surfaceFromName(path: string): Surface | null {
  const p = path.toLowerCase();
  if (/(?:^|[/_.-])(?:background|service[-_]?worker|sw)(?:[/_.-]|$)/.test(p)) return 'background';
  if (/(?:^|[/_.-])content(?:[-_]?scripts?)?(?:[/_.-]|$)/.test(p)) return 'content';
  if (/(?:^|[/_.-])popup(?:[/_.-]|$)/.test(p)) return 'popup';
  if (/(?:^|[/_.-])options(?:[/_.-]|$)/.test(p)) return 'options';
  if (/(?:^|[/_.-])side[-_]?panel(?:[/_.-]|$)/.test(p)) return 'sidepanel';
  if (/(?:^|[/_.-])offscreen(?:[/_.-]|$)/.test(p)) return 'offscreen';
  if (/(?:^|[/_.-])devtools(?:[/_.-]|$)/.test(p)) return 'devtools';
  return null;
}
