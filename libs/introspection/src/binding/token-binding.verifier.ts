import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  DpopRequiredException,
  InvalidDpopProofException,
  InvalidTokenException,
} from '../errors/bearer-token.exceptions';
import type { Clock } from '../interfaces/clock.interface';
import type { DpopMode } from '../interfaces/dpop-options.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { loadJose } from '../keys/jose';
import { certificateThumbprint, clientCertificate, type PeerCertificateSocket } from './client-certificate';
import { DpopNonces } from './dpop-nonces';
import { verifyDpopProof } from './dpop-proof.verifier';
import { DpopReplayCache } from './dpop-replay-cache';
import { requestUri } from './htu';
import { TrustedProxies } from './trusted-proxies';

/** The error_description for a `cnf` whose confirmation method this API does not verify (RFC 7800 §3.1). */
export const SENDER_CONSTRAINED =
  'The access token is sender-constrained (cnf) and this API cannot verify the binding.';
/** Confirmation methods verified here: DPoP (RFC 9449 §6.1) and certificate thumbprint (RFC 8705 §3.1). */
const VERIFIED_METHODS = new Set(['jkt', 'x5t#S256']);

/** The authorization scheme the token came with. */
export type TokenScheme = 'bearer' | 'dpop';

/**
 * What the binding of a token is checked against: the HTTP request.
 * @internal
 */
export interface BindingRequest {
  readonly scheme: TokenScheme;
  readonly token: string;
  /** `GET`, `POST`, …; the handshake's method on WebSocket gateways. */
  readonly method?: string;
  /** The request target as received, path and query. */
  readonly target?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** How many `DPoP` headers the request carried (from the raw headers). */
  readonly dpopCount: number;
  readonly socket?: PeerCertificateSocket;
}

/**
 * Checks that a sender-constrained token (introspected `cnf`, RFC 7800)
 * comes with its proof of possession, on every request, cache hit or not:
 * the DPoP proof for `cnf.jkt` (RFC 9449), the TLS client certificate for
 * `cnf["x5t#S256"]` (RFC 8705). A `cnf` with any other confirmation method
 * is refused. Also applies the DPoP mode (`dpop.mode`, or the route's).
 * One per registration: its replay record and nonces are the registration's.
 * @internal
 */
@Injectable()
export class TokenBindingVerifier implements OnModuleInit, OnModuleDestroy {
  private readonly proxies: TrustedProxies;
  private readonly replays: DpopReplayCache;
  private readonly nonces?: DpopNonces;

  constructor(
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {
    this.proxies = new TrustedProxies(options.trustProxy);
    this.replays = new DpopReplayCache(clock, options.cacheUrl, options.cacheTimeoutMs);
    this.nonces = options.dpop.nonce
      ? new DpopNonces(options.cacheSecret, options.dpop.nonceLifetimeMs, clock)
      : undefined;
  }

  async onModuleInit(): Promise<void> {
    if (this.options.dpop.mode !== 'disabled') {
      // Loaded at boot, so the first proof does not wait for it (and a missing jose stops the boot).
      await loadJose('dpop');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.replays.close();
  }

  /** The JWS algorithms accepted for proofs, for the `algs` of challenges. */
  get algorithms(): readonly string[] {
    return this.options.dpop.algorithms;
  }

  /**
   * Verifies the binding of an introspected token to the request. Inactive
   * answers are left to the requirements check.
   * @param routeMode the route's `dpop` requirement, overriding `dpop.mode`
   * @throws InvalidTokenException, DpopRequiredException, InvalidDpopProofException, UseDpopNonceException
   */
  /**
   * Whether `verify` has anything to check: not for an inactive answer, nor
   * for a token bound to nothing, sent with the Bearer scheme, where DPoP is
   * not required. Lets the guard skip gathering the request's details on
   * the common path.
   */
  needsCheck(result: IntrospectionResult, scheme: BindingRequest['scheme'], routeMode?: DpopMode): boolean {
    return (
      result.active &&
      (scheme === 'dpop' ||
        (routeMode ?? this.options.dpop.mode) === 'required' ||
        result.cnf !== undefined ||
        result.claims.cnf !== undefined ||
        result.accessTokenClaims?.cnf !== undefined ||
        result.tokenType?.toLowerCase() === 'dpop')
    );
  }

  async verify(result: IntrospectionResult, request: BindingRequest, routeMode?: DpopMode): Promise<void> {
    if (!result.active) {
      return;
    }
    const mode = routeMode ?? this.options.dpop.mode;
    const confirmation = confirmationOf(result);
    const jkt = confirmation.get('jkt');
    if (jkt === undefined) {
      if (result.tokenType?.toLowerCase() === 'dpop') {
        throw new InvalidTokenException('The access token is of type DPoP but bound to no key (cnf.jkt).');
      }
      if (request.scheme === 'dpop') {
        throw new InvalidTokenException(
          'The access token is not DPoP-bound; send it with the Bearer scheme.',
        );
      }
      if (mode === 'required') {
        throw new DpopRequiredException('This resource requires a DPoP-bound access token and a DPoP proof.');
      }
    } else {
      if (mode === 'disabled') {
        throw new InvalidTokenException('The access token is DPoP-bound and this API does not accept DPoP.');
      }
      if (request.scheme !== 'dpop') {
        throw new DpopRequiredException(
          'The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof.',
        );
      }
      await this.verifyProof(request, jkt);
    }
    const x5t = confirmation.get('x5t#S256');
    if (x5t !== undefined) {
      this.verifyCertificate(request, x5t);
    }
  }

  /** The nonce to hand out with a challenge, when nonces are on. */
  currentNonce(): string | undefined {
    return this.nonces?.current();
  }

  private async verifyProof(request: BindingRequest, jkt: string): Promise<void> {
    if (request.method === undefined || request.target === undefined) {
      throw new InvalidDpopProofException('DPoP proofs cannot be checked in this context (no HTTP request).');
    }
    const htu = requestUri(
      {
        target: request.target,
        headers: request.headers,
        remoteAddress: request.socket?.remoteAddress,
        encrypted: request.socket?.encrypted === true,
      },
      this.options.publicUrl,
      this.proxies,
    );
    await verifyDpopProof(
      {
        proof: request.headers.dpop,
        count: request.dpopCount,
        method: request.method,
        htu,
        accessToken: request.token,
        nowMs: this.clock.now(),
        skewMs: this.options.clockToleranceMs,
      },
      { options: this.options.dpop, replays: this.replays, nonces: this.nonces },
      jkt,
    );
  }

  private verifyCertificate(request: BindingRequest, x5t: string): void {
    const der = clientCertificate(request, this.options.mtls, this.proxies);
    if (der === undefined) {
      throw new InvalidTokenException(
        'The access token is bound to a client certificate (cnf x5t#S256) and the request presented none.',
      );
    }
    if (certificateThumbprint(der) !== x5t) {
      throw new InvalidTokenException(
        'The access token is bound to another client certificate than the one presented (cnf x5t#S256).',
      );
    }
  }
}

/**
 * The confirmation of a token, by method: the `cnf` of the answer and of a
 * locally verified JWT access token together (RFC 7800 §3.1). A method this
 * API does not verify, an empty `cnf`, a value that is not a string or two
 * sources that disagree make the token unusable.
 * @throws InvalidTokenException
 */
function confirmationOf(result: IntrospectionResult): Map<string, string> {
  const sources = [result.cnf, result.claims.cnf, result.accessTokenClaims?.cnf].filter(
    (cnf) => cnf !== undefined,
  );
  const methods = new Map<string, string>();
  for (const cnf of sources) {
    const entries = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? Object.entries(cnf) : [];
    if (entries.length === 0) {
      throw new InvalidTokenException(SENDER_CONSTRAINED);
    }
    for (const [method, value] of entries) {
      const known = methods.get(method);
      if (
        !VERIFIED_METHODS.has(method) ||
        typeof value !== 'string' ||
        value === '' ||
        (known !== undefined && known !== value)
      ) {
        throw new InvalidTokenException(SENDER_CONSTRAINED);
      }
      methods.set(method, value);
    }
  }
  return methods;
}
