import { recordSecret } from './log-capture';
export { httpRequest as send, type HttpAnswer } from '../../libs/introspection/test-support/http-request';

/** `Authorization: Bearer <token>` headers; the token is recorded for the log-hygiene check. */
export const bearer = (token: string): Record<string, string> => {
  recordSecret(token);
  return { authorization: `Bearer ${token}` };
};
