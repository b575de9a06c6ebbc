import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';

/** `@nestjs/microservices`' PATTERN_METADATA: set by `@MessagePattern` and `@EventPattern`. */
const PATTERN_METADATA = 'microservices:pattern';

/**
 * Stops the boot when a microservice handler (`@MessagePattern`,
 * `@EventPattern`) requires DPoP (`@RequireActiveToken({ dpop: 'required' })`
 * on it or its class): a message has no HTTP request for a proof to cover
 * (RFC 9449 §4.3), so every message would be refused. Provided by the
 * default registration.
 * @internal
 */
@Injectable()
export class RpcDpopCheck implements OnApplicationBootstrap {
  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    for (const module of this.modules.values()) {
      for (const { metatype } of module.controllers.values()) {
        if (typeof metatype !== 'function') {
          continue;
        }
        const prototype = metatype.prototype as Record<string, unknown>;
        const onClass = this.reflector.get(TokenRequirementsMetadata, metatype);
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const handler = name === 'constructor' ? undefined : prototype[name];
          if (typeof handler !== 'function' || Reflect.getMetadata(PATTERN_METADATA, handler) === undefined) {
            continue;
          }
          const onMethod = this.reflector.get(TokenRequirementsMetadata, handler as () => void);
          if ((onMethod?.dpop ?? onClass?.dpop) === 'required') {
            throw new IntrospectionConfigurationError(
              'dpop',
              `${metatype.name}.${name} is a microservice handler and requires DPoP; a message carries no HTTP request for a proof to cover. Remove dpop: 'required' there.`,
            );
          }
        }
      }
    }
  }
}
