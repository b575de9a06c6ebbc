import { ModulesContainer } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IntrospectionModule } from '../introspection.module';
import { registrationsByIssuer, unverifiedJwtIssuer } from './issuer-routing';

const jwt = (payload: unknown) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('unverifiedJwtIssuer', () => {
  it('reads the iss of a JWT', () => {
    expect(unverifiedJwtIssuer(jwt({ iss: 'https://as.example' }))).toBe('https://as.example');
  });

  it.each([
    ['an opaque token', 'b3BhcXVl'],
    ['a JWT without iss', jwt({ sub: 'x' })],
    ['a JWT with a non-string iss', jwt({ iss: 42 })],
    ['a JWT whose payload is null', jwt(null)],
    ['a payload that is not JSON', 'a.bm90IGpzb24.c'],
    ['four segments', 'a.b.c.d'],
  ])('is undefined for %s', (_case, token) => {
    expect(unverifiedJwtIssuer(token)).toBeUndefined();
  });
});

describe('registrationsByIssuer', () => {
  const registration = (issuer: string | undefined, name?: string) =>
    IntrospectionModule.forRoot({
      name,
      endpoint: 'https://as.invalid/',
      issuer,
      clientId: 'c',
      clientSecret: 's',
    });

  it('maps each declared issuer to its registration and skips those without one', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        registration('https://a.example'),
        registration('https://b.example', 'b'),
        registration(undefined, 'c'),
      ],
    }).compile();
    const byIssuer = registrationsByIssuer(moduleRef.get(ModulesContainer));
    expect([...byIssuer.keys()].sort()).toEqual(['https://a.example', 'https://b.example']);
    expect(byIssuer.get('https://b.example')?.options.issuer).toBe('https://b.example');
    await moduleRef.close();
  });

  it('refuses two registrations with the same issuer, naming the option', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [registration('https://a.example'), registration('https://a.example', 'again')],
    }).compile();
    expect(() => registrationsByIssuer(moduleRef.get(ModulesContainer))).toThrow(/issuer/);
    await moduleRef.close();
  });
});
