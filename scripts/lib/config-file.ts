import { readFile } from 'node:fs/promises';
import { type HomeostatConfig, parseHomeostatConfig, SharedError } from '@homeostat/shared';

/** Reads and validates a config file; every failure is a `SharedError` naming what is wrong. */
export async function loadConfigFile(file: string): Promise<HomeostatConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SharedError('config_invalid', `cannot read homeostat config ${file}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SharedError('config_invalid', `homeostat config ${file} is not valid JSON`);
  }
  return parseHomeostatConfig(raw);
}
