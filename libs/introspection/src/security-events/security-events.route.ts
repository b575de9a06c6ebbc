import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Readable } from 'node:stream';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  IntrospectionConfigurationError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import { formatWwwAuthenticate } from '../errors/www-authenticate';
import { IntrospectionEvents } from '../events/introspection-events';
import { countAuthorizationHeaders, extractBearerToken } from '../guards/extract-bearer-token';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ResolvedSecurityEventsOptions } from '../interfaces/security-events-options.interface';
import { INTROSPECTION_CLOCK, INTROSPECTION_SECURITY_EVENT_ACTIONS } from '../introspection.constants';
import { IntrospectionService } from '../introspection.service';
import { servesAlready } from '../resource-metadata/protected-resource-metadata.route';
import type { SecurityEventActions } from './security-event-actions.interface';
import { SecurityEventError } from './security-event.errors';
import { planSecurityEvents } from './security-event-handlers';
import { SecurityEventTokenVerifier } from './security-event-token.verifier';

/** The media type of a pushed SET (RFC 8935 §2). */
export const SECURITY_EVENT_MEDIA_TYPE = 'application/secevent+jwt';
/** Largest SET body read, in bytes: a SET is a few hundred bytes; ten events fit many times over. */
export const MAX_SECURITY_EVENT_BYTES = 64 * 1024;

type HttpAdapter = HttpAdapterHost['httpAdapter'];

/** The parts of a request this route reads, Express's and Fastify's alike. */
interface RequestLike {
  headers?: Record<string, string | string[] | undefined>;
  /** Fastify: the text our content-type parser read. Express: unset (no parser of its own for this type). */
  body?: unknown;
  /** Express: Node's raw header list. */
  rawHeaders?: string[];
  /** Fastify: the Node request. */
  raw?: { rawHeaders?: string[] };
}

/** The parts of Fastify's instance this route uses. */
interface FastifyParsers {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string'; bodyLimit: number },
    parser: (request: unknown, body: string, done: (error: Error | null, body?: string) => void) => void,
  ): void;
}

/**
 * The push endpoint of RFC 8935 for this registration's `securityEvents`:
 * `POST <path>` with `Content-Type: application/secevent+jwt`, the SET
 * verified ({@link SecurityEventTokenVerifier}), its events applied through
 * {@link SecurityEventActions}, answered 202 with no body; 400
 * `{"err", "description"}` (RFC 8935 §2.3) for a SET refused, 413 for a body
 * over 64 KiB, 503 with no detail when the keys cannot be fetched or an
 * event cannot be applied (the transmitter retries, and the retry is
 * accepted). Mounted on the HTTP adapter itself like the resource metadata
 * route (the global prefix does not apply); nothing without an HTTP
 * adapter or without `securityEvents`. The SET itself is never logged.
 * @internal
 */
@Injectable()
export class SecurityEventsRoute implements OnModuleInit {
  private readonly logger = new Logger('Introspection');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    private readonly verifier: SecurityEventTokenVerifier,
    private readonly events: IntrospectionEvents,
    @Inject(INTROSPECTION_SECURITY_EVENT_ACTIONS) private readonly actions: SecurityEventActions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
    private readonly introspection: IntrospectionService,
  ) {}

  onModuleInit(): void {
    const config = this.options.securityEvents;
    const adapter = this.adapterHost.httpAdapter as HttpAdapter | undefined;
    if (!config || !adapter) {
      return;
    }
    const instance: unknown = adapter.getInstance();
    if (servesAlready(instance, config.path, 'POST')) {
      throw new IntrospectionConfigurationError(
        'securityEvents.path',
        `the application (or another registration) already has a POST route for ${config.path}; give this receiver another path.`,
      );
    }
    registerFastifyParser(instance);
    adapter.post(config.path, (request: RequestLike, response: unknown) => {
      void this.receive(adapter, config, request, response);
    });
    this.logger.log(`Receiving security events (RFC 8935) from ${config.issuer} at POST ${config.path}`);
  }

  private async receive(
    adapter: HttpAdapter,
    config: ResolvedSecurityEventsOptions,
    request: RequestLike,
    response: unknown,
  ): Promise<void> {
    let jti: string | undefined;
    try {
      if (config.requireToken) {
        await this.authenticateTransmitter(request);
      }
      const set = await this.verifier.verify(await readSet(request));
      jti = set.jti;
      const plan = planSecurityEvents(set, {
        // The tokens' issuer when the registration knows it, else the transmitter (usually the same server).
        subjectIssuer: this.options.issuer ?? config.issuer,
        now: this.clock.now(),
      });
      for (const { filter, options } of plan.revocations) {
        await this.actions.invalidateWhere(filter, options);
      }
      for (const ignored of plan.ignored) {
        this.events.emit('security_event.ignored', ignored);
      }
      this.events.emit('security_event.accepted', { events: Object.keys(set.events) });
      adapter.reply(response, undefined, 202);
    } catch (error) {
      this.refuse(adapter, response, error, jti);
    }
  }

  private refuse(adapter: HttpAdapter, response: unknown, error: unknown, jti: string | undefined): void {
    try {
      if (error instanceof SecurityEventError) {
        this.events.emit('security_event.refused', { reason: error.code });
        if (error.challenge !== undefined) {
          adapter.setHeader(response, 'WWW-Authenticate', error.challenge);
        }
        adapter.reply(response, { err: error.code, description: error.description }, error.status);
        return;
      }
      if (jti !== undefined) {
        // Verified but not applied: the transmitter's retry of this SET must not read as a replay.
        this.verifier.release(jti);
      }
      this.events.emit('security_event.refused', { reason: 'unavailable' });
      // The error's name only: a message could quote the event.
      this.logger.error(
        error instanceof IntrospectionUnavailableError
          ? `A security event could not be verified: ${error.message}`
          : `A security event could not be applied (${error instanceof Error ? error.name : typeof error}); answered 503 for the transmitter to retry.`,
      );
      adapter.reply(response, undefined, 503);
    } catch {
      // The connection is gone; nothing left to answer.
    }
  }

  /**
   * `securityEvents.requireToken`: the transmitter's bearer token must be
   * active for this registration (RFC 8935 §2.3 leaves the method to the
   * parties; RFC 6750 for the challenge).
   * @throws SecurityEventError `authentication_failed` (401) without an active token
   * @throws IntrospectionUnavailableError when the authorization server cannot answer (503)
   */
  private async authenticateTransmitter(request: RequestLike): Promise<void> {
    const realm = this.options.realm;
    let token: string;
    try {
      token = extractBearerToken(
        {
          authorization: request.headers?.authorization,
          count: countAuthorizationHeaders(request.rawHeaders ?? request.raw?.rawHeaders),
        },
        this.options.maxTokenLength,
      );
    } catch {
      throw new SecurityEventError(
        'authentication_failed',
        'The transmitter must authenticate with a bearer token.',
        401,
        formatWwwAuthenticate({ realm }),
      );
    }
    const result = await this.introspection.introspect(token);
    if (!result.active) {
      throw new SecurityEventError(
        'authentication_failed',
        "The transmitter's bearer token is not active.",
        401,
        formatWwwAuthenticate({
          realm,
          error: 'invalid_token',
          errorDescription: 'The token is not active.',
        }),
      );
    }
  }
}

/** Fastify refuses bodies of a type it has no parser for (415): it gets one for SETs, as text. */
function registerFastifyParser(instance: unknown): void {
  const fastify = instance as Partial<FastifyParsers>;
  if (
    typeof fastify.addContentTypeParser !== 'function' ||
    typeof fastify.hasContentTypeParser !== 'function'
  ) {
    return;
  }
  if (!fastify.hasContentTypeParser(SECURITY_EVENT_MEDIA_TYPE)) {
    fastify.addContentTypeParser(
      SECURITY_EVENT_MEDIA_TYPE,
      { parseAs: 'string', bodyLimit: MAX_SECURITY_EVENT_BYTES },
      (_request, body, done) => done(null, body),
    );
  }
}

/** The SET of the request: its media type checked, its body read up to the size cap. */
async function readSet(request: RequestLike): Promise<string> {
  const type = header(request, 'content-type')?.split(';')[0].trim().toLowerCase();
  if (type !== SECURITY_EVENT_MEDIA_TYPE) {
    throw new SecurityEventError(
      'invalid_request',
      `The request's Content-Type must be ${SECURITY_EVENT_MEDIA_TYPE} (RFC 8935 §2).`,
    );
  }
  const body = typeof request.body === 'string' ? request.body : await bodyOf(request);
  return body.trim();
}

function header(request: RequestLike, name: string): string | undefined {
  const value = request.headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Express: the body in the stream, or what a parser of the app's own (`express.raw()`, `express.text()`) read. */
function bodyOf(request: RequestLike): Promise<string> {
  if (Buffer.isBuffer(request.body)) {
    return Promise.resolve(request.body.toString('utf8'));
  }
  const stream = request as unknown as Readable;
  // Read already by a parser that kept nothing: no SET to find.
  return stream.readableEnded ? Promise.resolve('') : readBody(stream);
}

/** The body still in the stream (no parser of the app reads this media type), up to the size cap. */
function readBody(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () =>
      new SecurityEventError(
        'invalid_request',
        `The SET is larger than ${MAX_SECURITY_EVENT_BYTES} bytes.`,
        413,
      );
    if (Number(header(stream as RequestLike, 'content-length') ?? 0) > MAX_SECURITY_EVENT_BYTES) {
      stream.resume();
      reject(tooLarge());
      return;
    }
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SECURITY_EVENT_BYTES) {
        // The rest is drained, not kept, so that the 413 can be sent.
        stream.removeAllListeners('data');
        stream.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
