import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../workers.ts';
import { readWranglerConfig } from './deploy-plan.ts';

/** Git-ignored: a deploy config is a by-product of one `npm run deploy`. */
export const DEPLOY_CONFIG_NAME = 'wrangler.deploy.toml';

/**
 * The committed configs carry a fixed local database id, which keeps `npm start`, the tests and
 * `wrangler --local` on one local database and the files valid for everyone. A deploy needs the
 * account's real id: it goes into a copy beside each config (same directory, so `main` and
 * `migrations_dir` resolve the same), which wrangler reads back to prove the copy says what the
 * original says with only the id changed.
 */
export async function writeDeployConfig(
  configPath: string,
  databaseId: string,
  root = REPO_ROOT,
): Promise<string> {
  const source = path.join(root, configPath);
  const text = await readFile(source, 'utf8');
  const idLine = /^database_id\s*=\s*"[^"\n]*"\s*$/gm;
  const matches = text.match(idLine) ?? [];
  if (matches.length !== 1) {
    throw new Error(`${configPath}: expected one database_id line, found ${matches.length}`);
  }
  const target = path.join(path.dirname(source), DEPLOY_CONFIG_NAME);
  await writeFile(target, text.replace(idLine, `database_id = "${databaseId}"`));
  const original = readWranglerConfig(source);
  const copy = readWranglerConfig(target);
  const withId = original.d1_databases.map((d) => ({ ...d, database_id: databaseId }));
  if (
    copy.name !== original.name ||
    JSON.stringify(copy.d1_databases) !== JSON.stringify(withId) ||
    JSON.stringify(copy.queues) !== JSON.stringify(original.queues) ||
    copy.main !== original.main
  ) {
    await rm(target, { force: true });
    throw new Error(`${configPath}: the deploy copy does not read back as the original`);
  }
  return path.relative(root, target);
}

export async function removeDeployConfig(configPath: string, root = REPO_ROOT): Promise<void> {
  await rm(path.join(root, path.dirname(configPath), DEPLOY_CONFIG_NAME), { force: true });
}
