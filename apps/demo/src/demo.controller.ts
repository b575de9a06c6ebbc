import { Body, Controller, Get, Post } from '@nestjs/common';
import { IntrospectedToken, RequireActiveToken } from '@app/introspection';
import type { IntrospectionResult } from '@app/introspection';

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
  me(@IntrospectedToken() token: IntrospectionResult): IntrospectionResult {
    return token;
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
