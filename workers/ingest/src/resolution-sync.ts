import { type ResolutionChangedResult, ResolutionChangedSchema } from '@homeostat/shared';

/**
 * Serves triage's push (`IngestRpc.resolutionChanged`, packages/shared/src/rpc/ingest-rpc.contract.ts):
 * the fingerprint's object reads its resolution from D1 now rather than on every alarm (issue 14,
 * item 3). The input is validated although only triage can call: an RPC caller is a trust
 * boundary like any other.
 */
export async function resolutionChanged(env: Env, raw: unknown): Promise<ResolutionChangedResult> {
  const parsed = ResolutionChangedSchema.safeParse(raw);
  if (!parsed.success) return { status: 'invalid_request' };
  const { extensionId, fingerprint } = parsed.data;
  await env.FINGERPRINTS.getByName(`${extensionId}:${fingerprint}`).syncResolution();
  return { status: 'ok' };
}
