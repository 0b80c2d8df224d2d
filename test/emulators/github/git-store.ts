/**
 * The git object database behind the GitHub emulator: blobs, trees and commits hashed exactly as
 * git hashes them (SHA-1 over `<type> <size>\0<payload>`), so SHAs the emulator returns behave
 * like GitHub's (the same content gives the same blob SHA, a tree changes when a file does).
 */

export interface TreeEntry {
  path: string;
  mode: string; // '100644' | '100755' | '040000' | '160000' | '120000'
  type: 'blob' | 'tree' | 'commit';
  sha: string;
}

export interface GitActor {
  name: string;
  email: string;
  date: string; // ISO 8601
}

export interface CommitObject {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitActor;
  committer: GitActor;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

async function gitHash(type: string, payload: Uint8Array): Promise<string> {
  const header = encoder.encode(`${type} ${payload.byteLength}\0`);
  return hex(await crypto.subtle.digest('SHA-1', concat([header, payload])));
}

function hexToBytes(sha: string): Uint8Array {
  const out = new Uint8Array(sha.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(sha.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function actorLine(role: string, a: GitActor): string {
  return `${role} ${a.name} <${a.email}> ${Math.floor(Date.parse(a.date) / 1000)} +0000`;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/\s/g, ''));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export class GitStore {
  readonly blobs = new Map<string, Uint8Array>();
  /** Direct entries of each tree (one directory level), as git stores them. */
  readonly trees = new Map<string, TreeEntry[]>();
  readonly commits = new Map<string, CommitObject>();
  /** `refs/heads/main` → commit SHA. */
  readonly refs = new Map<string, string>();

  async putBlob(content: Uint8Array): Promise<string> {
    const sha = await gitHash('blob', content);
    this.blobs.set(sha, content);
    return sha;
  }

  async putTree(entries: TreeEntry[]): Promise<string> {
    // git sorts entries by name, comparing a tree's name as if it ended in '/'.
    const key = (e: TreeEntry) => (e.type === 'tree' ? `${e.path}/` : e.path);
    const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const payload = concat(
      sorted.flatMap((e) => [
        encoder.encode(`${e.mode.replace(/^0+/, '')} ${e.path}\0`),
        hexToBytes(e.sha),
      ]),
    );
    const sha = await gitHash('tree', payload);
    this.trees.set(sha, sorted);
    return sha;
  }

  async putCommit(commit: Omit<CommitObject, 'sha'>): Promise<CommitObject> {
    const lines = [
      `tree ${commit.tree}`,
      ...commit.parents.map((p) => `parent ${p}`),
      actorLine('author', commit.author),
      actorLine('committer', commit.committer),
      '',
      commit.message,
    ];
    const sha = await gitHash('commit', encoder.encode(lines.join('\n')));
    const stored = { ...commit, sha };
    this.commits.set(sha, stored);
    return stored;
  }

  /** Every file under a tree, by full path. */
  flatten(treeSha: string, prefix = ''): Map<string, TreeEntry> {
    const out = new Map<string, TreeEntry>();
    for (const entry of this.trees.get(treeSha) ?? []) {
      const path = `${prefix}${entry.path}`;
      if (entry.type === 'tree') {
        for (const [p, e] of this.flatten(entry.sha, `${path}/`)) out.set(p, e);
      } else out.set(path, { ...entry, path });
    }
    return out;
  }

  /** Builds nested trees from full paths, storing each level; returns the root tree SHA. */
  async buildTree(files: Map<string, TreeEntry>): Promise<string> {
    const direct: TreeEntry[] = [];
    const subdirs = new Map<string, Map<string, TreeEntry>>();
    for (const [path, entry] of files) {
      const slash = path.indexOf('/');
      if (slash === -1) direct.push({ ...entry, path });
      else {
        const dir = path.slice(0, slash);
        const inner = subdirs.get(dir) ?? new Map<string, TreeEntry>();
        inner.set(path.slice(slash + 1), entry);
        subdirs.set(dir, inner);
      }
    }
    for (const [dir, inner] of subdirs) {
      direct.push({ path: dir, mode: '040000', type: 'tree', sha: await this.buildTree(inner) });
    }
    return this.putTree(direct);
  }

  /** Resolves a branch name, a full ref or a commit SHA to a commit. */
  resolve(ref: string): CommitObject | undefined {
    const sha =
      this.refs.get(ref) ??
      this.refs.get(`refs/heads/${ref}`) ??
      this.refs.get(`refs/tags/${ref}`) ??
      ref;
    return this.commits.get(sha);
  }

  /** Whether `ancestor` is reachable from `descendant` by parent links. */
  isAncestor(ancestor: string, descendant: string): boolean {
    const seen = new Set<string>();
    const stack = [descendant];
    while (stack.length > 0) {
      const sha = stack.pop();
      if (sha === undefined || seen.has(sha)) continue;
      if (sha === ancestor) return true;
      seen.add(sha);
      stack.push(...(this.commits.get(sha)?.parents ?? []));
    }
    return false;
  }
}
