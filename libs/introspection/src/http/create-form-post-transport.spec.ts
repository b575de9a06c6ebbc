import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { AxiosTransport } from './axios.transport';
import { createFormPostTransport } from './create-form-post-transport';
import { UndiciTransport } from './undici.transport';

describe('createFormPostTransport', () => {
  it.each([
    ['undici', UndiciTransport],
    ['axios', AxiosTransport],
  ] as const)('builds the %s transport transport.client names', async (client, type) => {
    const transport = await createFormPostTransport({
      transportClient: client,
    } as ResolvedIntrospectionOptions);
    try {
      expect(transport).toBeInstanceOf(type);
    } finally {
      await transport.close();
    }
  });
});
