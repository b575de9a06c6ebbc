import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { createAxiosTransport } from './axios.transport';
import type { FormPostTransport } from './form-post.transport';
import { UndiciTransport } from './undici.transport';

/**
 * The transport `transport.client` names: undici (the default) or axios,
 * whose optional peers are loaded only then.
 * @internal
 */
export function createFormPostTransport(options: ResolvedIntrospectionOptions): Promise<FormPostTransport> {
  return options.transportClient === 'axios'
    ? createAxiosTransport(options.tls)
    : Promise.resolve(new UndiciTransport(options.tls));
}
