import raw from '../../../../homeostat.config.json' with { type: 'json' };
import type { HomeostatConfig } from './homeostat-config.schema.ts';
import { parseHomeostatConfig } from './parse-config.ts';

let cached: HomeostatConfig | undefined;

/**
 * The repository's `homeostat.config.json`, bundled into each Worker at build time (a Worker has
 * no file system). Workers call this at module scope so an invalid file stops the Worker from
 * starting, with the bad field named, instead of failing on some later request.
 */
export function bundledConfig(): HomeostatConfig {
  cached ??= parseHomeostatConfig(raw);
  return cached;
}
