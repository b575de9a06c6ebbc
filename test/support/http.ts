export { httpRequest as send, type HttpAnswer } from '../../libs/introspection/test-support/http-request';

/** `Authorization: Bearer <token>` headers. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
