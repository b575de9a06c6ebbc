import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { AuthorizationServerMetadataService } from '../discovery/authorization-server-metadata.service';
import { IntrospectionResponseError } from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { loadJose } from '../keys/jose';
import {
  isKeySetUnavailable,
  keySetUnavailable,
  RemoteKeySetsService,
} from '../keys/remote-key-sets.service';
import {
  IntrospectionHttpResponse,
  parseIntrospectionClaims,
  parseIntrospectionResponse,
} from './introspection-response.parser';

/** Media type of a JWT introspection response (RFC 9701 §5). */
export const JWT_INTROSPECTION_MEDIA_TYPE = 'application/token-introspection+jwt';
const JWT_INTROSPECTION_TYP = 'token-introspection+jwt';
const DEFAULT_ALGORITHMS = ['RS256'];

/**
 * Verifies RFC 9701 JWT introspection responses before anything is read
 * from them: media type, `typ`, signature with the authorization server's
 * keys and an allow-listed algorithm, `iss`, `aud`, `iat`; then reads the
 * `token_introspection` claim with the usual strict RFC 7662 rules.
 * @internal
 */
@Injectable()
export class JwtIntrospectionResponseVerifier implements OnModuleInit {
  constructor(
    private readonly keySets: RemoteKeySetsService,
    private readonly metadata: AuthorizationServerMetadataService,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {}

  /** Loads jose at boot when JWT answers are asked for, so that a runtime that cannot load it fails there. */
  async onModuleInit(): Promise<void> {
    if (this.options.responseFormat === 'jwt') {
      await loadJose('responseFormat');
    }
  }

  /**
   * The result of a JWT introspection response, with the raw JWT as `jwt`.
   * @throws IntrospectionResponseError (502) when any check fails
   * @throws IntrospectionUnavailableError when there was no answer or no keys
   */
  async verify(response: IntrospectionHttpResponse): Promise<IntrospectionResult> {
    if (response.status !== 200) {
      // Error answers are plain JSON (RFC 9701 §5); read them as usual.
      return parseIntrospectionResponse(response);
    }
    const mediaType = response.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (mediaType !== JWT_INTROSPECTION_MEDIA_TYPE) {
      throw malformed(
        `a JWT was asked for but the answer is ${mediaType ? `"${mediaType}"` : 'untyped'}; a plain answer would be a downgrade (RFC 9701 §5)`,
      );
    }
    let jwt = response.body.trim();
    if (jwt.split('.').length === 5) {
      jwt = await this.decrypt(jwt);
    }
    if (jwt.split('.').length !== 3) {
      throw malformed('it is not a compact JWS');
    }
    const { header, claims } = await this.verifySignature(jwt);
    if (typeof claims.iat !== 'number') {
      throw malformed('"iat" is missing');
    }
    const toleranceS = this.options.clockToleranceMs / 1000;
    const nowS = this.clock.now() / 1000;
    if (claims.iat > nowS + toleranceS) {
      throw malformed('"iat" is in the future');
    }
    // A signed answer states the token's state at iat: an old one is a replay.
    if (claims.iat < nowS - this.options.responseMaxAgeMs / 1000 - toleranceS) {
      throw malformed(`"iat" is older than responseMaxAge (${this.options.responseMaxAgeMs} ms)`);
    }
    const validator = this.options.jwtResponseValidator;
    if (validator) {
      try {
        await validator({ header, claims, jwt });
      } catch {
        throw malformed('the jwtResponseValidator refused it');
      }
    }
    // RFC 9701 §5: the answer is the token_introspection claim; nothing else is read.
    return { ...parseIntrospectionClaims(claims.token_introspection), jwt };
  }

  /** The signed JWT inside an encrypted answer (RFC 9701 §5: sign, then encrypt). */
  private async decrypt(jwe: string): Promise<string> {
    const key = this.options.responseDecryptionKey;
    if (!key) {
      throw malformed('it is encrypted (JWE) but no responseDecryptionKey is configured');
    }
    const { compactDecrypt } = await loadJose('responseDecryptionKey');
    try {
      const { plaintext } = await compactDecrypt(jwe, key);
      return new TextDecoder().decode(plaintext);
    } catch (error) {
      throw malformed(`it cannot be decrypted (${(error as { code?: string }).code ?? 'unknown'})`);
    }
  }

  private async verifySignature(jwt: string): Promise<{ header: JWTHeaderParameters; claims: JWTPayload }> {
    const { decodeProtectedHeader, errors, jwtVerify } = await loadJose('responseFormat');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jwt);
    } catch {
      throw malformed('its header cannot be decoded');
    }
    // RFC 8725 §3.11: explicit typing, compared without "application/" and case.
    if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== JWT_INTROSPECTION_TYP) {
      throw malformed(`its "typ" is not "${JWT_INTROSPECTION_TYP}"`);
    }
    if (header.crit !== undefined) {
      throw malformed('it has a "crit" header, which is not supported');
    }
    const algorithms = this.algorithms();
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      throw malformed(`its algorithm is not one of ${algorithms.join(', ')}`);
    }
    const jwksUri = this.metadata.jwksUri();
    try {
      const { protectedHeader, payload } = await jwtVerify(
        jwt,
        await this.keySets.get(jwksUri, 'responseFormat'),
        {
          algorithms: [...algorithms],
          issuer: this.options.issuer,
          audience: this.options.clientId,
          requiredClaims: ['iat'],
          currentDate: new Date(this.clock.now()),
          clockTolerance: this.options.clockToleranceMs / 1000,
        },
      );
      return { header: protectedHeader, claims: payload };
    } catch (error) {
      if (isKeySetUnavailable(error, errors)) {
        throw keySetUnavailable(jwksUri);
      }
      throw malformed(`its verification failed (${(error as { code?: string }).code ?? 'unknown'})`);
    }
  }

  /** The allow-list: configured, else advertised (RFC 9701 §7), else RS256; never none nor HMAC. */
  private algorithms(): readonly string[] {
    if (this.options.responseSigningAlgorithms) {
      return this.options.responseSigningAlgorithms;
    }
    const advertised = (this.metadata.current?.introspectionSigningAlgorithms ?? []).filter(
      (alg) => alg !== 'none' && !/^HS\d+$/i.test(alg),
    );
    return advertised.length > 0 ? advertised : DEFAULT_ALGORITHMS;
  }
}

/** A `typ` value compared the RFC 8725 §3.11 way: lower case, without `application/`. */
export function normalizeTyp(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

function malformed(detail: string): IntrospectionResponseError {
  return new IntrospectionResponseError(
    'malformed_response',
    `The introspection endpoint's JWT answer is refused: ${detail}.`,
    200,
  );
}
