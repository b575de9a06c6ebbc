import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_RESOLVED_OPTIONS } from '../introspection.constants';
import { registrationNameOf } from '../introspection.tokens';

/**
 * Says once at boot, per registration, that it has no `audience`: a token the
 * same authorization server issued for another API is then accepted too,
 * legitimate for a server that serves one API, a hole otherwise. Provided by
 * the default registration (not by the testing kit, whose tokens are declared).
 * @internal
 */
@Injectable()
export class MissingAudienceCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Introspection');

  constructor(private readonly modules: ModulesContainer) {}

  onApplicationBootstrap(): void {
    for (const module of this.modules.values()) {
      const options = module.providers.get(INTROSPECTION_RESOLVED_OPTIONS)?.instance as
        ResolvedIntrospectionOptions | undefined;
      if (options?.audience?.length === 0) {
        const name = [...module.providers.keys()]
          .map(registrationNameOf)
          .find((found) => found !== undefined);
        this.logger.warn(
          `The ${name ? `"${name}" registration` : 'introspection module'} has no audience: tokens its authorization server issued for other APIs are accepted too, unless a route sets its own. Set audience (INTROSPECTION_AUDIENCE) to this API's identifier.`,
        );
      }
    }
  }
}
