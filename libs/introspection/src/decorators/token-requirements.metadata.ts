import { Reflector } from '@nestjs/core';
import type { TokenRequirements } from '../interfaces/token-requirements.interface';

/**
 * Metadata decorator holding a route's {@link TokenRequirements}; read by
 * {@link ActiveTokenGuard}. Applied by {@link RequireActiveToken}.
 * @internal
 */
export const TokenRequirementsMetadata = Reflector.createDecorator<TokenRequirements>();
