import { applyDecorators, UseGuards } from '@nestjs/common';
import { ActiveTokenGuard } from '../guards/active-token.guard';
import type { TokenRequirements } from '../interfaces/token-requirements.interface';
import { TokenRequirementsMetadata } from './token-requirements.metadata';
import { validateTokenRequirements } from './validate-token-requirements';

/**
 * Protects a controller or route: the request must carry an active bearer
 * token that meets `requirements`. On a controller and one of its methods,
 * the method's settings override the controller's, option by option.
 * Invalid requirements throw a TypeError when the class is defined.
 *
 * @example
 * @RequireActiveToken({ scopes: ['write:payments'] })
 * @Post('payments')
 * create(@IntrospectedToken() token: IntrospectionResult) {}
 */
export function RequireActiveToken(requirements: TokenRequirements = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(
    TokenRequirementsMetadata(validateTokenRequirements(requirements)),
    UseGuards(ActiveTokenGuard),
  );
}
