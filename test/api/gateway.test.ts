/**
 * The local gateway hands the handler the event API Gateway's HTTP API (payload 2.0) would, and writes
 * the handler's result back as API Gateway does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { startHttpGateway, type HttpGateway } from '../../infra/local/http-gateway.js';

let gateway: HttpGateway;
let seen: APIGatewayProxyEventV2[] = [];
let answer: APIGatewayProxyResultV2 = { statusCode: 200, body: '' };

beforeAll(async () => {
  gateway = await startHttpGateway({
    handler: async (event) => {
      seen.push(event);
      if (event.rawPath === '/throw') throw new Error('boom');
      return answer;
    },
    functionName: 'ApiHandler',
  });
});
afterAll(async () => {
  await gateway?.close();
});

describe('local gateway', () => {
  it('builds a payload 2.0 event: raw path and query, joined headers and query values, cookies, text body', async () => {
    seen = [];
    answer = {
      statusCode: 201,
      headers: { 'content-type': 'application/json', etag: '"4"' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: '{"ok":true}',
    };
    const res = await fetch(`${gateway.url}/api/x/%C3%A9?q=1&q=2&empty=&z=%20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'x-custom': 'one' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"4"');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(await res.json()).toEqual({ ok: true });
    const e = seen[0]!;
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/x/%C3%A9',
      rawQueryString: 'q=1&q=2&empty=&z=%20',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { q: '1,2', empty: '', z: ' ' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/api/x/%C3%A9', protocol: 'HTTP/1.1' }, stage: '$default', routeKey: '$default' },
    });
    expect(e.headers['x-custom']).toBe('one');
    expect(e.headers.cookie).toBeUndefined();
    expect(e.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('base64-encodes binary bodies and decodes base64 results', async () => {
    seen = [];
    answer = {
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: Buffer.from([1, 2, 3, 250]).toString('base64'),
      isBase64Encoded: true,
    };
    const res = await fetch(`${gateway.url}/bin`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 7]),
    });
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 250]));
    expect(seen[0]!.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen[0]!.body!, 'base64')).toEqual(Buffer.from([0, 255, 7]));
  });

  it('answers 502 when the function throws, 413 over 10 MB, and a result without statusCode as a JSON 200', async () => {
    expect((await fetch(`${gateway.url}/throw`)).status).toBe(502);
    expect((await fetch(`${gateway.url}/big`, { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024 + 1) })).status).toBe(413);
    answer = 'hello' as unknown as APIGatewayProxyResultV2;
    const res = await fetch(`${gateway.url}/plain`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('"hello"');
  });
});
