/**
 * Scraping Prometheus metrics as a test would: GET over node:http, and one sample's value out of
 * the text exposition.
 */
import http from 'node:http';
import { METRICS_PATH } from '../../src/endpoints/metrics/metrics-http.js';

/** GET http://127.0.0.1:port/path with node:http: the status, content type and body. */
export function httpGet(
  port: number,
  path = METRICS_PATH,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers['content-type']),
          body,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** The value of the sample `name{labels}` (labels as Prometheus prints them), or undefined. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
