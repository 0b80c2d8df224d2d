/**
 * The network a client reports from, coarsened to what one subscriber or one small site usually
 * holds: the /24 of an IPv4 address, the /48 of an IPv6 address (a site's usual allocation, RFC
 * 6177). A "new" problem must be seen from more than one network (issue 11, item 2): install ids
 * are chosen by the client, network prefixes are not (Cloudflare sets `CF-Connecting-IP`).
 *
 * The prefix only travels to the Fingerprint object, which keeps a salted hash of it and nothing
 * else (fingerprint-counts.ts); the address itself is never stored or logged.
 */

/** Every client without a usable address shares this one network. */
export const UNKNOWN_NETWORK = 'unknown';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Prefix(address: string): string | null {
  const m = IPV4.exec(address);
  if (m === null) return null;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return `v4:${octets.slice(0, 3).join('.')}`;
}

/** The first three 16-bit groups of an IPv6 address, or null when it does not parse. */
function ipv6Prefix(address: string): string | null {
  let text = address.toLowerCase();
  // An IPv4 tail (`::ffff:192.0.2.1`) ends the address; a mapped IPv4 address is that address.
  const tail = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (tail?.[1] !== undefined) {
    if (/^::ffff:/.test(text)) return ipv4Prefix(tail[1]);
    text = `${text.slice(0, tail.index)}:0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  const rest = halves.length === 2 && halves[1] !== '' ? (halves[1] ?? '').split(':') : [];
  const groups =
    halves.length === 2
      ? [...head, ...Array.from({ length: 8 - head.length - rest.length }, () => '0'), ...rest]
      : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `v6:${groups
    .slice(0, 3)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}`;
}

/** The network prefix of `CF-Connecting-IP`, or UNKNOWN_NETWORK. */
export function networkPrefix(address: string | null): string {
  if (address === null) return UNKNOWN_NETWORK;
  const trimmed = address.trim();
  // Longest IPv6 text with an IPv4 tail is 45 characters; anything longer is not an address.
  if (trimmed.length === 0 || trimmed.length > 45) return UNKNOWN_NETWORK;
  return (trimmed.includes(':') ? ipv6Prefix(trimmed) : ipv4Prefix(trimmed)) ?? UNKNOWN_NETWORK;
}
