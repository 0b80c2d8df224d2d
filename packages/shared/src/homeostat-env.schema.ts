import { z } from 'zod';
import { SharedError } from './errors.ts';

/**
 * `HOMEOSTAT_ENV` from the seeds: pattern extraction and learning only happen in production,
 * so an unknown value must fail rather than silently behave like one of the three.
 */
export const HomeostatEnvSchema = z.enum(['dev', 'test', 'production']);
export type HomeostatEnv = z.infer<typeof HomeostatEnvSchema>;

export function parseHomeostatEnv(value: unknown): HomeostatEnv {
  const result = HomeostatEnvSchema.safeParse(value);
  if (!result.success) {
    throw new SharedError('env_invalid', 'HOMEOSTAT_ENV must be dev, test or production', [
      'HOMEOSTAT_ENV',
    ]);
  }
  return result.data;
}
