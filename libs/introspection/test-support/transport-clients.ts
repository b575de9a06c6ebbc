import type { IntrospectionTransportClient } from '../src/interfaces/transport-options.interface';

/**
 * Both HTTP clients of `transport.client`, for `describe.each`: every
 * transport guarantee is tested against each.
 */
export const TRANSPORT_CLIENTS: readonly IntrospectionTransportClient[] = ['undici', 'axios'];
