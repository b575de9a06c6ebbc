import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
} from '@nestjs/common';
import { IntrospectedToken, IntrospectionService, RequireActiveToken } from '@app/introspection';
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
  approvedBy?: string;
}

/**
 * The demo's routes: one public, four protected by token introspection, one
 * of them with step-up authentication (RFC 9470).
 */
@Controller()
export class DemoController {
  private readonly payments: Payment[] = [{ id: 1, amount: 42 }];

  constructor(private readonly introspection: IntrospectionService) {}

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

  /**
   * Logout: the caller's token is forgotten by every instance sharing the
   * cache, at once (a Redis cache pushes the eviction to all of them), so
   * the next request with it is introspected again. The token stays valid at
   * the authorization server until it is revoked there too.
   */
  @Post('logout')
  @HttpCode(204)
  @RequireActiveToken()
  async logout(@Headers('authorization') authorization: string): Promise<void> {
    // The guard accepted the header: "<scheme> <token>", with one space.
    await this.introspection.invalidate(authorization.slice(authorization.indexOf(' ') + 1));
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

  /**
   * Step-up (RFC 9470): approving needs a user who signed in with a second
   * factor less than 5 minutes ago; otherwise 401
   * `insufficient_user_authentication` with `acr_values` and `max_age`.
   */
  @Post('payments/:id/approve')
  @HttpCode(200)
  @RequireActiveToken({ scopes: ['write:payments'], acrValues: ['urn:example:mfa'], maxAge: '5m' })
  approve(@Param('id', ParseIntPipe) id: number, @IntrospectedToken('clientId') clientId?: string): Payment {
    const payment = this.payments.find((candidate) => candidate.id === id);
    if (!payment) {
      throw new NotFoundException(`No payment ${id}.`);
    }
    payment.approvedBy = clientId;
    return payment;
  }
}
