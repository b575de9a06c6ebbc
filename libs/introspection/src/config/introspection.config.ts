import { registerAs } from '@nestjs/config';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { parseIntrospectionEnv } from './introspection-env';

/**
 * `@nestjs/config` namespace holding the module options read from the
 * `INTROSPECTION_*` environment variables. Opt-in: the module itself never
 * reads the environment.
 *
 * @example
 * IntrospectionModule.forRootAsync(introspectionConfig.asProvider())
 */
export const introspectionConfig = registerAs('introspection', (): IntrospectionModuleOptions =>
  parseIntrospectionEnv(process.env),
);
