/**
 * RFC 7662 §2.2's example introspection answer, verbatim but for its dates,
 * moved to `nowSeconds` so that it is active. It has no `token_type`.
 */
export function rfc7662ExampleAnswer(nowSeconds: number): Record<string, unknown> {
  return {
    active: true,
    client_id: 'l238j323ds-23ij4',
    username: 'jdoe',
    scope: 'read write dolphin',
    sub: 'Z5O3upPC88QrAjx00dis',
    aud: 'https://protected.example.net/resource',
    iss: 'https://server.example.com/',
    exp: nowSeconds + 6000,
    iat: nowSeconds,
    extension_field: 'twenty-seven',
  };
}
