import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { tokenCarrierOf } from '../guards/execution-context';
import { INTROSPECTION_REQUEST_PROPERTY } from '../introspection.constants';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/**
 * Parameter decorator: the {@link IntrospectionResult} of the request's
 * accepted token, or one of its members. Needs `@RequireActiveToken()` on the
 * route or its controller; works on controllers, resolvers, gateways and
 * microservice handlers.
 *
 * @example
 * me(@IntrospectedToken() token: IntrospectionResult, @IntrospectedToken('sub') sub: string) {}
 */
export const IntrospectedToken = createParamDecorator(
  (member: keyof IntrospectionResult | undefined, context: ExecutionContext) => {
    const result = tokenCarrierOf(context)?.[INTROSPECTION_REQUEST_PROPERTY] as
      IntrospectionResult | undefined;
    return member ? result?.[member] : result;
  },
);
