import { Inject, Type } from '@nestjs/common';
import { IntrospectionEvents } from './events/introspection-events';
import { IntrospectionHealth } from './health/introspection-health';
import { INTROSPECTION_RESOLVED_OPTIONS } from './introspection.constants';
import { IntrospectionService } from './introspection.service';

/**
 * Injection token of the {@link IntrospectionService} of a registration:
 * the class itself for the default one, a name-derived token for
 * `IntrospectionModule.forRoot({ name })`.
 *
 * @example moduleRef.get(getIntrospectionServiceToken('partners'), { strict: false })
 */
export function getIntrospectionServiceToken(name?: string): string | Type<IntrospectionService> {
  return name === undefined ? IntrospectionService : `${SERVICE_TOKEN_PREFIX}${name}`;
}

/**
 * Injection token of the validated options of a registration:
 * `INTROSPECTION_RESOLVED_OPTIONS` for the default one, a name-derived token
 * for `IntrospectionModule.forRoot({ name })`.
 */
export function getIntrospectionOptionsToken(name?: string): string | symbol {
  return name === undefined ? INTROSPECTION_RESOLVED_OPTIONS : `IntrospectionOptions:${name}`;
}

/**
 * Injection token of the {@link IntrospectionEvents} of a registration: the
 * class itself for the default one, a name-derived token for
 * `IntrospectionModule.forRoot({ name })`. Each registration has its own
 * events, circuit breakers and health.
 *
 * @example constructor(@Inject(getIntrospectionEventsToken('partners')) events: IntrospectionEvents) {}
 */
export function getIntrospectionEventsToken(name?: string): string | Type<IntrospectionEvents> {
  return name === undefined ? IntrospectionEvents : `IntrospectionEvents:${name}`;
}

/**
 * Injection token of the {@link IntrospectionHealth} of a registration: the
 * class itself for the default one, a name-derived token for
 * `IntrospectionModule.forRoot({ name })`.
 */
export function getIntrospectionHealthToken(name?: string): string | Type<IntrospectionHealth> {
  return name === undefined ? IntrospectionHealth : `IntrospectionHealth:${name}`;
}

const SERVICE_TOKEN_PREFIX = 'IntrospectionService:';

/**
 * The registration name a provider token stands for, when it is the service
 * token of a named registration.
 * @internal
 */
export function registrationNameOf(token: unknown): string | undefined {
  return typeof token === 'string' && token.startsWith(SERVICE_TOKEN_PREFIX)
    ? token.slice(SERVICE_TOKEN_PREFIX.length)
    : undefined;
}

/**
 * Injects the {@link IntrospectionService} of a registration (the default
 * one without a name).
 *
 * @example constructor(@InjectIntrospectionService('partners') partners: IntrospectionService) {}
 */
export const InjectIntrospectionService = (name?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getIntrospectionServiceToken(name));
