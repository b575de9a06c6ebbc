import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { AuthorizationServerMetadataService } from '../discovery/authorization-server-metadata.service';
import type { Clock } from '../interfaces/clock.interface';
import type {
  ResolvedIntrospectionOptions,
  ResolvedJwtAccessTokenOptions,
} from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import {
  isKeySetUnavailable,
  keySetUnavailable,
  RemoteKeySetsService,
} from '../keys/remote-key-sets.service';
import { loadJose } from '../keys/jose';
import { normalizeTyp } from '../result/jwt-introspection-response.verifier';

/** What local validation decided about a token. */
export type LocalTokenVerdict =
  /** Not a JWT, and opaque tokens are accepted: introspect it. */
  | { readonly kind: 'opaque' }
  /** A JWT that passed every local check: introspect it, its claims attached. */
  | { readonly kind: 'verified'; readonly claims: JWTPayload }
  /** Refused locally; the authorization server is not asked. */
  | { readonly kind: 'rejected' };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Couper's model: a JWT access token is verified locally (signature with the
 * issuer's keys, allowed algorithm, `typ`, `iss`, `aud`, `exp`, `nbf`)
 * before it is introspected, so forged, expired or foreign JWTs cost no
 * introspection request.
 * @internal
 */
@Injectable()
export class JwtAccessTokenVerifier implements OnModuleInit {
  private readonly jwt?: ResolvedJwtAccessTokenOptions;

  constructor(
    private readonly keySets: RemoteKeySetsService,
    private readonly metadata: AuthorizationServerMetadataService,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {
    this.jwt = options.jwt;
  }

  /** Loads jose at boot when local validation is configured, so that a runtime that cannot load it fails there. */
  async onModuleInit(): Promise<void> {
    if (this.enabled) {
      await loadJose('jwt');
    }
  }

  /** Whether local validation is configured (the `jwt` option). */
  get enabled(): boolean {
    return this.jwt !== undefined;
  }

  /**
   * Checks `token` locally.
   * @throws IntrospectionUnavailableError when the signing keys cannot be fetched
   */
  async check(token: string): Promise<LocalTokenVerdict> {
    const jwt = this.jwt!;
    if (!JWT_SHAPE.test(token)) {
      return this.options.acceptOpaqueTokens ? { kind: 'opaque' } : { kind: 'rejected' };
    }
    const { decodeProtectedHeader, errors, jwtVerify } = await loadJose('jwt');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { kind: 'rejected' };
    }
    const types = jwt.types.map(normalizeTyp);
    if (typeof header.typ !== 'string' || !types.includes(normalizeTyp(header.typ))) {
      return { kind: 'rejected' };
    }
    if (header.crit !== undefined || typeof header.alg !== 'string' || !jwt.algorithms.includes(header.alg)) {
      return { kind: 'rejected' };
    }
    const jwksUri = jwt.jwksUri ?? this.metadata.jwksUri();
    try {
      const { payload } = await jwtVerify(token, await this.keySets.get(jwksUri, 'jwt'), {
        algorithms: [...jwt.algorithms],
        issuer: this.options.issuer,
        audience: [...jwt.audience],
        requiredClaims: ['exp'],
        currentDate: new Date(this.clock.now()),
        clockTolerance: this.options.clockToleranceMs / 1000,
      });
      return { kind: 'verified', claims: payload };
    } catch (error) {
      if (isKeySetUnavailable(error, errors)) {
        throw keySetUnavailable(jwksUri);
      }
      return { kind: 'rejected' };
    }
  }
}
