import { z } from 'zod';

/**
 * Where Homeostat sends credentials (GitHub and model API keys, OAuth client secrets and refresh
 * tokens, store access tokens, the Slack webhook's secret path): only over TLS. Plain `http:` is
 * allowed for loopback hosts alone, where the emulators and local stacks listen and nothing
 * crosses a network (issue 11, item 4).
 */

/** `localhost`, 127.0.0.0/8 (the URL parser normalises `127.1` to `127.0.0.1`) and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}

/** True for an absolute `https:` URL, or an `http:` one whose host is loopback. */
export function isSecureEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

export const SECURE_ENDPOINT_MESSAGE =
  'must be an https: URL (http: only for localhost, 127.0.0.0/8 or [::1])';

/** An endpoint URL in the config; the error names the field by path, never the value. */
export const EndpointUrlSchema = z
  .string()
  .max(2_048)
  .refine(isSecureEndpoint, { error: SECURE_ENDPOINT_MESSAGE });
