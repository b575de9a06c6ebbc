// Entry point of the demo's embedded development authorization server.
import { runAsChildProcess } from './authorization-server.mjs';

await runAsChildProcess({ port: Number(process.env.DEV_AUTH_SERVER_PORT ?? 0) });
