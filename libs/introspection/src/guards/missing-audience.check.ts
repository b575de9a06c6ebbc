import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { registrationsOf } from './issuer-routing';

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
    for (const { options, name } of registrationsOf(this.modules)) {
      // With resource, routes require it as the audience (RFC 8707).
      if (options.audience.length === 0 && options.resource === undefined) {
        this.logger.warn(
          `The ${name ? `"${name}" registration` : 'introspection module'} has no audience: tokens its authorization server issued for other APIs are accepted too, unless a route sets its own. Set audience (INTROSPECTION_AUDIENCE) or resource (INTROSPECTION_RESOURCE) to this API's identifier.`,
        );
      }
    }
  }
}
