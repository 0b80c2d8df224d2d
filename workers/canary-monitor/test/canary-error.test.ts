import { errorResponse } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { CanaryError, type CanaryErrorCode } from '../src/canary-error.ts';
import { readPackageManifest } from '../src/cws/zip-manifest.ts';
import { createSlackNotifier, createTriageNotifier } from '../src/notify/release-notifier.ts';
import { freshExtensionId, testConfig } from './support/canary-harness.ts';

/**
 * canary-monitor has one error type (issue 11, section 5: it had four — CanaryError,
 * NotifierError, ReleaseError, ZipManifestError): every failure of the Worker, the cron and the
 * release CLI is a CanaryError with a closed code, mapped to HTTP and retry in one place.
 */
const message = { extensionId: freshExtensionId(), version: '1.1.0', title: 't', body: 'b' };

describe('CanaryError', () => {
  test('the package reader, the notifiers and the store all fail with it', async ({ expect }) => {
    const zip = await readPackageManifest(new Uint8Array(64)).catch((e: unknown) => e);
    expect(zip).toBeInstanceOf(CanaryError);
    expect(zip).toMatchObject({ code: 'package_invalid', message: 'not a zip file' });

    const slack = createSlackNotifier('https://hooks.slack.test/x', async () => {
      return new Response('no_service', { status: 404 });
    });
    const delivery = await slack.post(message).catch((e: unknown) => e);
    expect(delivery).toBeInstanceOf(CanaryError);
    expect(delivery).toMatchObject({ code: 'notify_failed', retryable: true });

    const triage = createTriageNotifier(
      { postReleaseComment: async () => ({ status: 'posted' }) },
      testConfig(message.extensionId),
    );
    const receipt = await triage?.post(message).catch((e: unknown) => e);
    expect(receipt).toBeInstanceOf(CanaryError);
    expect(receipt).toMatchObject({ code: 'notify_failed' });
  });

  test('one table maps every code to a status and a retry decision', async ({ expect }) => {
    const codes: Record<CanaryErrorCode, [number, boolean]> = {
      invalid_request: [400, false],
      not_found: [404, false],
      conflict: [409, false],
      store_auth_expired: [502, false],
      store_forbidden: [502, false],
      store_busy: [502, true],
      store_not_eligible: [502, false],
      store_taken_down: [502, false],
      store_not_found: [502, false],
      store_rejected: [502, false],
      store_transient: [502, true],
      store_invalid_response: [502, false],
      store_credentials_invalid: [502, false],
      notify_failed: [502, true],
      package_invalid: [400, false],
      release_invalid: [400, false],
      release_blocked: [409, false],
      registration_failed: [502, false],
    };
    for (const [code, [status, retryable]] of Object.entries(codes)) {
      const err = new CanaryError(code as CanaryErrorCode, 'safe text', { internal: 'raw body' });
      expect([code, err.httpStatus, err.retryable]).toEqual([code, status, retryable]);
      const res = errorResponse(err);
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code, message: 'safe text' } });
      expect(text).not.toContain('raw body');
      expect(JSON.stringify(err)).not.toContain('raw body');
    }
  });
});
