import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { INTROSPECTION_REQUEST_PROPERTY } from '../introspection.constants';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/**
 * Route parameter decorator: the {@link IntrospectionResult} of the request's
 * accepted token, or one of its members. Needs `@RequireActiveToken()` on the
 * route or its controller.
 *
 * @example
 * me(@IntrospectedToken() token: IntrospectionResult, @IntrospectedToken('sub') sub: string) {}
 */
export const IntrospectedToken = createParamDecorator(
  (member: keyof IntrospectionResult | undefined, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const result = request[INTROSPECTION_REQUEST_PROPERTY] as IntrospectionResult | undefined;
    return member ? result?.[member] : result;
  },
);
