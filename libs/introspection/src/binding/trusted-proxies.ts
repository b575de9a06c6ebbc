import { BlockList, isIP } from 'node:net';

/** What `'loopback'` stands for in `trustProxy`. */
export const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'];

/**
 * The `trustProxy` entries as a matcher. Entries are checked by
 * {@link trustProxyEntryProblem} at boot; an IPv4 peer seen as an
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) matches its IPv4 entry.
 * @internal
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) {
        this.list.addAddress(address, family);
      } else {
        this.list.addSubnet(address, Number(bits), family);
      }
    }
    this.empty = entries.length === 0;
  }

  /** Whether the peer `address` (as the socket reports it) is a trusted proxy. */
  contains(address: string | undefined): boolean {
    if (this.empty || !address) {
      return false;
    }
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/**
 * Why a `trustProxy` entry is unusable, or `undefined` when it is an IP
 * address or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
 * @internal
 */
export function trustProxyEntryProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) {
    return `"${entry}" is neither an IP address, a CIDR range nor "loopback".`;
  }
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 6 ? 128 : 32))) {
    return `"${entry}" has an invalid prefix length.`;
  }
  return undefined;
}
