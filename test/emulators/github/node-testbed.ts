import { createGitHubTestbed } from './github-testbed.ts';
import type { OpenApiIndex } from './openapi-index.schema.ts';
import { buildGitHubOpenApiIndex } from './openapi-index.ts';
import type { EmulatorEvent } from './webhook-payloads.ts';

/**
 * The Node-side tests' GitHub: the emulator behind OpenAPI validation (as in workerd), a `call`
 * helper that speaks JSON with the token, and every event it emitted, in order.
 */

export const TOKEN = 't0ken';
export const API = 'https://api.github.com';

let index: Promise<OpenApiIndex> | undefined;

export async function nodeTestbed(options: { now?: () => number } = {}) {
  index ??= buildGitHubOpenApiIndex();
  const bed = createGitHubTestbed(await index, { token: TOKEN, baseUrl: API, ...options });
  const events: EmulatorEvent[] = [];
  bed.emulator.onEvent((e) => events.push(e));
  // biome-ignore lint/suspicious/noExplicitAny: test helper returning GitHub's JSON for assertions
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await bed.fetch(
      new Request(`${API}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text === '' ? null : JSON.parse(text);
  };
  return { ...bed, events, call };
}

/** A commit of `files` on top of `parent` made through the git data API, as the fixer makes it. */
export async function commitThroughApi(
  call: Awaited<ReturnType<typeof nodeTestbed>>['call'],
  slug: string,
  parent: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  const base = await call('GET', `/repos/${slug}/git/commits/${parent}`);
  const tree = await call('POST', `/repos/${slug}/git/trees`, {
    base_tree: base.tree.sha,
    tree: Object.entries(files).map(([path, content]) => ({
      path,
      mode: '100644',
      type: 'blob',
      content,
    })),
  });
  const commit = await call('POST', `/repos/${slug}/git/commits`, {
    message,
    tree: tree.sha,
    parents: [parent],
  });
  return commit.sha;
}
