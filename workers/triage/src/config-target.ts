import type { ExtensionConfig, HomeostatConfig, RepositoryConfig } from '@homeostat/shared';
import { TriageError } from './errors.ts';

/**
 * The extension a queue message names and the repository it lives in (issue 5, item 6: several
 * extensions, several repositories). A name the config does not know is a final error: retrying
 * the message cannot make it known.
 */
export function resolveTarget(
  config: HomeostatConfig,
  extensionId: string,
): { extension: ExtensionConfig; repo: RepositoryConfig } {
  const extension = config.extensions.find((e) => e.id === extensionId);
  if (extension === undefined) {
    throw new TriageError('unknown_extension', 'the message names an unknown extension');
  }
  const repo = config.repositories.find(
    (r) => r.slug.toLowerCase() === extension.repo.toLowerCase(),
  );
  if (repo === undefined) {
    throw new TriageError('unknown_repository', 'the extension names an unknown repository');
  }
  return { extension, repo };
}
