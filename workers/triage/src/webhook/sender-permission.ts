import { z } from 'zod';
import { TriageError } from '../errors.ts';
import { type GitHubClient, parseGitHub } from '../github/github-client.ts';
import { repoPath } from '../github/github-request.ts';

/**
 * Whether the person behind a `/homeostat` command may give it (issue 11, item 3; ai-autofix.md
 * §8 T10). `author_association` cannot tell: MEMBER is any member of the owning organisation and
 * COLLABORATOR includes read-only collaborators. GitHub's "Get repository permissions for a user"
 * (`GET /repos/{owner}/{repo}/collaborators/{username}/permission`) can: its `permission` is the
 * base role (maintain reads as write, triage as read, a custom role as the role it extends), and
 * only write or admin may command.
 *
 * GitHub unreachable or refusing is a thrown `TriageError`, never "allowed" and never a final
 * "refused": the delivery is marked failed and GitHub's redelivery asks again.
 */

export type PermissionVerdict =
  | { allowed: true; permission: 'admin' | 'write'; role: string }
  /** `unverifiable`: no GitHub credentials (dry-run) to ask with. */
  | {
      allowed: false;
      permission: string;
      role: string | null;
      reason: 'insufficient' | 'unverifiable';
    };

export interface SenderPermissions {
  check(repo: string, login: string): Promise<PermissionVerdict>;
}

const PermissionSchema = z.object({
  permission: z.string().max(100),
  role_name: z.string().max(100).optional(),
});

/** Long enough to spare GitHub a burst of commands, short enough that a revoked role soon counts. */
export const PERMISSION_CACHE_MS = 60_000;
const CACHE_MAX = 500;

export function githubSenderPermissions(
  client: GitHubClient,
  now: () => number,
  cacheMs = PERMISSION_CACHE_MS,
): SenderPermissions {
  const cache = new Map<string, { at: number; verdict: PermissionVerdict }>();
  return {
    async check(repo, login) {
      const key = `${repo.toLowerCase()}\n${login.toLowerCase()}`;
      const hit = cache.get(key);
      if (hit !== undefined && now() - hit.at < cacheMs) return hit.verdict;
      let verdict: PermissionVerdict;
      try {
        const res = await client.send({
          method: 'GET',
          path: `${repoPath(repo)}/collaborators/${encodeURIComponent(login)}/permission`,
          idempotent: true,
        });
        const body = parseGitHub(PermissionSchema, res, 'collaborator permission');
        const role = body.role_name ?? body.permission;
        verdict =
          body.permission === 'admin' || body.permission === 'write'
            ? { allowed: true, permission: body.permission, role }
            : { allowed: false, permission: body.permission, role, reason: 'insufficient' };
      } catch (err) {
        // 404: no such user (deleted since commenting): nobody with a role.
        if (!(err instanceof TriageError && err.upstreamStatus === 404)) throw err;
        verdict = { allowed: false, permission: 'none', role: null, reason: 'insufficient' };
      }
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, { at: now(), verdict });
      return verdict;
    },
  };
}

/** Dry-run: without credentials nobody's role can be read, so no command is obeyed. */
export const unverifiablePermissions: SenderPermissions = {
  async check() {
    return { allowed: false, permission: 'unknown', role: null, reason: 'unverifiable' };
  },
};
