import { NestFactory } from '@nestjs/core';
import { IntrospectionModule, IntrospectionService } from '@app/introspection';
import { TestAuthorizationServer } from '../test/support/authorization-server';
(async () => {
  const as = await TestAuthorizationServer.start();
  const token = await as.mintToken();
  const ctx = await NestFactory.createApplicationContext(IntrospectionModule.forRoot({ endpoint: as.introspectionEndpoint, clientId: 'demo-api', clientSecret: 'demo-api-secret', ttl: '10m' }), { logger: false });
  const svc = ctx.get(IntrospectionService);
  await svc.introspect(token);
  for (let round = 0; round < 3; round++) {
    const n = 50000; const s = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await svc.introspect(token);
    console.log('hit', (Number(process.hrtime.bigint() - s) / 1000 / n).toFixed(2), 'us/call');
  }
  await ctx.close(); await as.stop();
})();
