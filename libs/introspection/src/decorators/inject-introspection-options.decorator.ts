import { Inject } from '@nestjs/common';
import { INTROSPECTION_RESOLVED_OPTIONS } from '../introspection.constants';

/**
 * Injects the validated module options ({@link ResolvedIntrospectionOptions}).
 *
 * @example constructor(@InjectIntrospectionOptions() options: ResolvedIntrospectionOptions) {}
 */
export const InjectIntrospectionOptions = (): ParameterDecorator & PropertyDecorator =>
  Inject(INTROSPECTION_RESOLVED_OPTIONS);
