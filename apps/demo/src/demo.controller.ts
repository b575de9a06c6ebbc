import { Body, Controller, Get, Post } from '@nestjs/common';
import { IntrospectedToken, RequireActiveToken } from '@app/introspection';
import type { IntrospectionResult } from '@app/introspection';

/**
 * What `GET /me` tells the caller about its own token: the standard members
 * the guard checked. Left out on purpose: `jwt` (the authorization server's
 * signed RFC 9701 answer, addressed to this API, not to the caller), `claims`
 * (the raw answer, which may hold members meant for the API only).
 * `accessTokenClaims`, with local JWT validation, is kept: those are the
 * claims of the JWT the caller sent, nothing it does not hold already.
 */
export interface TokenInfo {
  active: boolean;
  scopes: readonly string[];
  aud: readonly string[];
  clientId?: string;
  username?: string;
  sub?: string;
  iss?: string;
  tokenType?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  accessTokenClaims?: Readonly<Record<string, unknown>>;
}

interface Payment {
  id: number;
  amount: number;
  createdBy?: string;
}

/** The demo's routes: one public, three protected by token introspection. */
@Controller()
export class DemoController {
  private readonly payments: Payment[] = [{ id: 1, amount: 42 }];

  @Get('public')
  public(): { message: string } {
    return { message: 'Anyone may read this.' };
  }

  @Get('me')
  @RequireActiveToken()
  me(@IntrospectedToken() token: IntrospectionResult): TokenInfo {
    const { active, scopes, aud, clientId, username, sub, iss, tokenType, exp, iat, nbf, accessTokenClaims } =
      token;
    return { active, scopes, aud, clientId, username, sub, iss, tokenType, exp, iat, nbf, accessTokenClaims };
  }

  @Get('payments')
  @RequireActiveToken({ scopes: ['read:payments'] })
  list(): Payment[] {
    return this.payments;
  }

  @Post('payments')
  @RequireActiveToken({ scopes: ['write:payments'] })
  create(@Body() body: { amount?: unknown }, @IntrospectedToken('clientId') clientId?: string): Payment {
    const payment = {
      id: this.payments.length + 1,
      amount: typeof body?.amount === 'number' ? body.amount : 0,
      createdBy: clientId,
    };
    this.payments.push(payment);
    return payment;
  }
}
