// Sequential requests over one keep-alive connection, in a process of its own
// so that it does not share an event loop with the server it measures.
// Usage: node latency-client.mjs <json: {url, count, method?, headers?, body?}>
// Prints {"p50Us":…, "p90Us":…, "statuses":{…}}.
import { Agent, request } from 'node:http';

const { url, count, method = 'GET', headers = {}, body } = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode, us: Number(process.hrtime.bigint() - start) / 1000 }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const samples = [];
const statuses = {};
for (let i = 0; i < count; i++) {
  const { status, us } = await once();
  statuses[status] = (statuses[status] ?? 0) + 1;
  // The first tenth warms up connections and JIT and is not counted.
  if (i >= count / 10) samples.push(us);
}
samples.sort((a, b) => a - b);
const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
process.stdout.write(JSON.stringify({ p50Us: at(0.5), p90Us: at(0.9), statuses }));
agent.destroy();
