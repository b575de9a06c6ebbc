import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { INTROSPECTION_CLIENT_AUTH_STRATEGIES } from '../introspection.constants';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import type { ClientAuthStrategy } from './client-auth-strategy.interface';

/**
 * The registered client authentication strategies, keyed by method name, and
 * the one selected by `endpointAuthMethod`. Built at boot: a duplicate name
 * or an unknown configured method stops the application from starting.
 */
@Injectable()
export class ClientAuthStrategyRegistry implements OnModuleInit {
  private readonly strategies = new Map<string, ClientAuthStrategy>();
  private readonly selected: ClientAuthStrategy;

  constructor(
    @Inject(INTROSPECTION_CLIENT_AUTH_STRATEGIES) strategies: ClientAuthStrategy[],
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {
    for (const strategy of strategies) {
      if (this.strategies.has(strategy.method)) {
        throw new IntrospectionConfigurationError(
          'clientAuthStrategies',
          `two strategies are registered for the method "${strategy.method}" (${this.strategies.get(strategy.method)?.constructor.name} and ${strategy.constructor.name}); each method name may be registered once. Registered: ${strategies.map((s) => `${s.method} (${s.constructor.name})`).join(', ')}.`,
        );
      }
      this.strategies.set(strategy.method, strategy);
    }
    const strategy = this.strategies.get(options.endpointAuthMethod);
    if (!strategy) {
      throw new IntrospectionConfigurationError(
        'endpointAuthMethod',
        `"${options.endpointAuthMethod}" is not a registered method; registered: ${this.methods().join(', ')}.`,
      );
    }
    this.selected = strategy;
  }

  /** Lets the selected strategy check and prepare its settings before the app serves requests. */
  async onModuleInit(): Promise<void> {
    await this.selected.init?.(this.options);
  }

  /** Names of every registered method. */
  methods(): string[] {
    return [...this.strategies.keys()];
  }

  /** The strategy registered for `method`, if any. */
  get(method: string): ClientAuthStrategy | undefined {
    return this.strategies.get(method);
  }

  /** The strategy selected by the `endpointAuthMethod` option. */
  get active(): ClientAuthStrategy {
    return this.selected;
  }
}
