import type * as Jose from 'jose';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';

let loading: Promise<typeof Jose> | undefined;
let loaded: typeof Jose | undefined;

/**
 * `jose`, loaded on first use. It is ESM-only, and Jest's CommonJS runtime
 * (ts-jest, as the Nest 11 template and Nest 12's CommonJS template generate
 * it) cannot load an ES module before Node 24.9: loaded here, it is only
 * needed by the features that sign or verify JWTs (`client_secret_jwt`,
 * `private_key_jwt`, JWT introspection responses, local JWT validation), so
 * an application without them never loads it.
 *
 * A real `import()`: Node loads the ES module from CommonJS on every
 * supported version, and Jest does with `--experimental-vm-modules`.
 * @throws IntrospectionConfigurationError naming the feature when jose cannot be loaded
 * @internal
 */
export async function loadJose(feature: string): Promise<typeof Jose> {
  if (loaded) {
    return loaded;
  }
  loading ??= import('jose');
  try {
    loaded = await loading;
    return loaded;
  } catch (error) {
    loading = undefined;
    throw new IntrospectionConfigurationError(
      feature,
      `needs the ESM-only package jose, which could not be loaded (${
        (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'error')
      }). Under Jest on Node below 24.9, run Jest with node --experimental-vm-modules.`,
    );
  }
}
