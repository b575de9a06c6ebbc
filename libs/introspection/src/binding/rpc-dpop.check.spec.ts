import { Controller, Get } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { rejectionOf } from '../../test-support/rejection-of';
import { RequireActiveToken } from '../decorators/require-active-token.decorator';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { IntrospectionModule } from '../introspection.module';

const options = { endpoint: 'https://as.example.com/introspect', clientId: 'api', clientSecret: 's' };

@Controller()
class RpcController {
  @MessagePattern('refund')
  @RequireActiveToken({ dpop: 'required' })
  refund(): string {
    return 'ok';
  }
}

@Controller()
@RequireActiveToken({ dpop: 'required' })
class RpcOnClassController {
  @EventPatternLike()
  paid(): void {}
}

@Controller('http')
@RequireActiveToken({ dpop: 'required' })
class HttpController {
  @Get()
  get(): string {
    return 'ok';
  }
}

/** `@MessagePattern` under another name, to show the class setting reaches every handler. */
function EventPatternLike(): MethodDecorator {
  return MessagePattern('paid');
}

const boot = async (controller: new () => unknown) => {
  const moduleRef = await Test.createTestingModule({
    imports: [IntrospectionModule.forRoot({ ...options, publicUrl: 'https://api.example.com' })],
    controllers: [controller],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } finally {
    await app.close();
  }
};

describe('RpcDpopCheck', () => {
  it.each([
    ['on the handler', RpcController, 'RpcController.refund'],
    ['on the class', RpcOnClassController, 'RpcOnClassController.paid'],
  ])('stops the boot when a microservice handler requires DPoP %s', async (_label, controller, named) => {
    const error = await rejectionOf(boot(controller));
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect(error.message).toContain(named);
  });

  it('lets HTTP routes require DPoP', async () => {
    await expect(boot(HttpController)).resolves.toBeUndefined();
  });
});
