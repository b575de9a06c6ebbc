import type { ModulesContainer } from '@nestjs/core';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_RESOLVED_OPTIONS } from '../introspection.constants';
import { IntrospectionService } from '../introspection.service';
import { registrationNameOf } from '../introspection.tokens';

/** One registration of the introspection module: its service and options. */
export interface IntrospectionRegistration {
  readonly introspection: IntrospectionService;
  readonly options: ResolvedIntrospectionOptions;
}

/**
 * Every registration of the application (default and named): its service,
 * options and name (`undefined` for the default one).
 */
export function* registrationsOf(
  modules: ModulesContainer,
): Generator<IntrospectionRegistration & { readonly name?: string }> {
  for (const module of modules.values()) {
    const options = module.providers.get(INTROSPECTION_RESOLVED_OPTIONS)?.instance as
      ResolvedIntrospectionOptions | undefined;
    const introspection = module.providers.get(IntrospectionService)?.instance as
      IntrospectionService | undefined;
    if (options && introspection) {
      const name = [...module.providers.keys()].map(registrationNameOf).find((found) => found !== undefined);
      yield { introspection, options, name };
    }
  }
}

/**
 * Every registration of the application (default and named) that declares an
 * `issuer`, by issuer. Two registrations with the same issuer are a
 * configuration error: routing between them would be arbitrary.
 */
export function registrationsByIssuer(modules: ModulesContainer): Map<string, IntrospectionRegistration> {
  const byIssuer = new Map<string, IntrospectionRegistration>();
  for (const { introspection, options } of registrationsOf(modules)) {
    if (!options.issuer) {
      continue;
    }
    const known = byIssuer.get(options.issuer);
    if (known && known.introspection !== introspection) {
      throw new IntrospectionConfigurationError(
        'issuer',
        `two registrations declare the issuer "${options.issuer}"; issuer routing needs one per issuer.`,
      );
    }
    byIssuer.set(options.issuer, { introspection, options });
  }
  return byIssuer;
}

/**
 * The `iss` claim of a JWT access token, read without verifying the
 * signature: it only chooses which authorization server to ask, and that
 * server's introspection answer decides. `undefined` for anything that is not
 * a JWT with a string `iss` (an opaque token, for instance).
 */
export function unverifiedJwtIssuer(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
