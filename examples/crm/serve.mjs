// Serves the sample CRM on an origin of its own, pointing at a Parley server:
//   node examples/crm/serve.mjs [--addr 127.0.0.2:8081] [--parley http://127.0.0.1:8080]
// `cargo xtask run` starts it beside the demo server; the e2e suite imports `serveCrm`.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const FILES = { '/': ['index.html', 'text/html; charset=utf-8'], '/crm.js': ['crm.js', 'text/javascript; charset=utf-8'] };

/** Starts the CRM on `host:port` for the Parley server at `parley`; resolves with its URL. */
export async function serveCrm({ host = '127.0.0.2', port = 8081, parley = 'http://127.0.0.1:8080' } = {}) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://crm').pathname;
    const file = FILES[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const body = readFileSync(join(HERE, file[0]), 'utf8').replaceAll('{{PARLEY}}', parley);
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  return { url: `http://${host}:${server.address().port}`, close: () => server.close() };
}

if (process.argv[1] === import.meta.filename) {
  const arg = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : fallback;
  };
  const [host, port] = arg('--addr', '127.0.0.2:8081').split(':');
  const crm = await serveCrm({ host, port: Number(port), parley: arg('--parley', 'http://127.0.0.1:8080') });
  console.log(`sample CRM on ${crm.url}/`);
}
