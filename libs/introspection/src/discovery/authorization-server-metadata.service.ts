import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  IntrospectionConfigurationError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.interface';
import { fetchAuthorizationServerMetadata } from './fetch-authorization-server-metadata';

/** Shortest interval between two refreshes triggered by failed introspections. */
const MIN_REFRESH_AFTER_FAILURE_MS = 30_000;
/** Background retries after a failed discovery: 1 s, 2 s, 4 s… up to this. */
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * The authorization server's metadata (RFC 8414), discovered from `issuer`
 * when the configuration leaves the introspection endpoint or the JWK Set
 * URL out. Fetched at boot, then refreshed periodically and after failures,
 * never per request. Configured values always win over discovered ones.
 */
@Injectable()
export class AuthorizationServerMetadataService implements OnModuleDestroy {
  private readonly logger = new Logger('Introspection');
  private metadata?: AuthorizationServerMetadata;
  private refreshing?: Promise<void>;
  private lastAttemptAt = -Infinity;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private destroyed = false;

  constructor(
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Boot-time discovery. Fails the boot when the server is unreachable,
   * unless `discoveryRetry` is set; always when its document is wrong.
   */
  async start(): Promise<void> {
    if (!this.options.discovery) {
      return;
    }
    try {
      await this.refresh();
    } catch (error) {
      if (!this.options.discoveryRetry) {
        // The boot fails: no retry timer may outlive the application.
        this.onModuleDestroy();
      }
      if (error instanceof IntrospectionUnavailableError && this.options.discoveryRetry) {
        this.logger.warn(
          `${error.message} Retrying in the background (discoveryRetry); protected routes answer 503 until discovery succeeds.`,
        );
        return;
      }
      if (error instanceof IntrospectionUnavailableError) {
        throw new IntrospectionUnavailableError(
          `${error.message} The application cannot start without the authorization server's metadata; check issuer, or set discoveryRetry to start anyway and keep retrying.`,
        );
      }
      throw error;
    }
    const methods = this.metadata?.introspectionEndpointAuthMethods;
    if (methods && !methods.includes(this.options.endpointAuthMethod)) {
      this.logger.warn(
        `The authorization server does not advertise "${this.options.endpointAuthMethod}" (endpointAuthMethod) among its introspection_endpoint_auth_methods_supported: ${methods.join(', ')}.`,
      );
    }
  }

  /** The last metadata discovered, if any. */
  get current(): AuthorizationServerMetadata | undefined {
    return this.metadata;
  }

  /**
   * The introspection endpoint: the configured one, else the discovered one.
   * @throws IntrospectionUnavailableError while discovery has not succeeded
   */
  introspectionEndpoint(): string {
    const endpoint = this.options.endpoint ?? this.metadata?.introspectionEndpoint;
    if (!endpoint) {
      throw this.notYetDiscovered();
    }
    return endpoint;
  }

  /**
   * The JWK Set URL of the authorization server: the configured one, else the discovered one.
   * @throws IntrospectionUnavailableError while discovery has not succeeded
   */
  jwksUri(): string {
    const uri = this.options.jwksUri ?? this.metadata?.jwksUri;
    if (!uri) {
      throw this.notYetDiscovered();
    }
    return uri;
  }

  /**
   * Fetches the metadata again now. Concurrent calls share one fetch.
   * @throws what discovery failed with; the previous metadata is kept
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.discover().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Called when an introspection request found no answer: the endpoint may
   * have moved, so the metadata is fetched again, at most every 30 s.
   */
  onIntrospectionUnavailable(): void {
    if (!this.options.discovery || this.clock.now() - this.lastAttemptAt < MIN_REFRESH_AFTER_FAILURE_MS) {
      return;
    }
    this.refresh().catch(() => undefined);
  }

  /** Stops the background refresh and retry timers. */
  onModuleDestroy(): void {
    this.destroyed = true;
    clearTimeout(this.timer);
  }

  private async discover(): Promise<void> {
    this.lastAttemptAt = this.clock.now();
    const { issuer, timeoutMs, maxResponseBytes, allowInsecureHttp } = this.options;
    try {
      const metadata = await fetchAuthorizationServerMetadata(issuer!, {
        timeoutMs,
        maxResponseBytes,
        allowInsecureHttp,
      });
      this.check(metadata);
      this.metadata = metadata;
      this.failures = 0;
      this.schedule(this.options.discoveryRefreshIntervalMs);
    } catch (error) {
      this.failures++;
      this.schedule(Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** (this.failures - 1)));
      if (this.metadata || this.options.discoveryRetry) {
        // After boot nothing can be stopped any more: keep what we have and say why.
        this.logger.error(
          `Refreshing the authorization server metadata failed${this.metadata ? ' (the previous metadata is kept)' : ''}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      throw error;
    }
  }

  private check(metadata: AuthorizationServerMetadata): void {
    if (!this.options.endpoint && !metadata.introspectionEndpoint) {
      throw new IntrospectionConfigurationError(
        'issuer',
        `the authorization server at "${metadata.issuer}" advertises no introspection_endpoint; set endpoint.`,
      );
    }
    const needsJwks =
      this.options.responseFormat === 'jwt' || (this.options.jwt !== undefined && !this.options.jwt.jwksUri);
    if (needsJwks && !this.options.jwksUri && !metadata.jwksUri) {
      throw new IntrospectionConfigurationError(
        'jwksUri',
        `the authorization server at "${metadata.issuer}" advertises no jwks_uri, which verifying JWTs needs; set jwksUri.`,
      );
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.destroyed) {
      return;
    }
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), delayMs);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  private notYetDiscovered(): IntrospectionUnavailableError {
    return new IntrospectionUnavailableError(
      `The authorization server's metadata has not been discovered from "${this.options.issuer}" yet; retrying in the background.`,
    );
  }
}
