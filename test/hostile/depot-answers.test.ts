/**
 * A publisher's answers from something claiming to be a depot (`zpkg serve`)
 * are network input like any other (issue 16 §4): an error body must have the
 * depot's shape before its code and message are believed, a listing must be a
 * list of strings, a lease a short token, and no answer is read past 1 MiB.
 * Anything else is E_REMOTE_UNREACHABLE naming the call, never a crash and
 * never a code the server made up. Against a real HTTP server on loopback.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZpkgError } from '../../src/core/errors.js';
import { DepotWriter } from '../../src/repo/depot-writer.js';

type Answer = { status: number; body: string | Buffer };
const answers = new Map<string, Answer>();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const a = answers.get(`${req.method} ${new URL(req.url!, 'http://x').pathname}`) ?? { status: 404, body: '' };
    req.resume();
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const writer = (): DepotWriter => new DepotWriter(url, 'token', { retries: 0 });

async function refusal(work: () => Promise<unknown>): Promise<ZpkgError> {
  const err = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ZpkgError);
  return err as ZpkgError;
}

describe("answers that are not a depot's", () => {
  it('an error body with a made-up code is not believed: E_REMOTE_UNREACHABLE with the body, cut short', async () => {
    answers.set('PUT /packs/aa/x.pack', { status: 400, body: JSON.stringify({ error: { code: 'not a code; rm -rf /', message: 'x'.repeat(10_000) } }) });
    const e = await refusal(() => writer().write('packs/aa/x.pack', Buffer.from('z')));
    expect(e.code).toBe('E_REMOTE_UNREACHABLE');
    expect(e.message).toMatch(/PUT packs\/aa\/x\.pack refused \(HTTP 400\)/);
    expect(e.message.length).toBeLessThan(600);
  });

  it('an error whose message is not a string is not believed either', async () => {
    answers.set('DELETE /packs/aa/y.pack', { status: 409, body: JSON.stringify({ error: { code: 'E_REPO_LOCKED', message: { a: 1 } } }) });
    const e = await refusal(() => writer().remove('packs/aa/y.pack'));
    expect(e.code).toBe('E_REMOTE_UNREACHABLE');
  });

  it("a depot's own error passes through with its code, message and hint", async () => {
    answers.set('PUT /packs/aa/z.pack', { status: 422, body: JSON.stringify({ error: { code: 'E_DIGEST_MISMATCH', message: 'the upload does not hash to its name', hint: 'upload it again' } }) });
    const e = await refusal(() => writer().write('packs/aa/z.pack', Buffer.from('z')));
    expect(e.code).toBe('E_DIGEST_MISMATCH');
    expect(e.message).toMatch(/refused \(HTTP 422\): the upload does not hash to its name$/);
    expect(e.hint).toBe('upload it again');
  });

  it('a listing that is not a list of strings is refused, naming the call', async () => {
    for (const body of ['{"paths":[1,2]}', '{"paths":"packs/"}', '[]', 'not json']) {
      answers.set('GET /_zpkg/list', { status: 200, body });
      const e = await refusal(() => writer().list('packs/'));
      expect(e.code).toBe('E_REMOTE_UNREACHABLE');
      expect(e.message).toMatch(/the answer to GET _zpkg\/list is not a depot's/);
    }
    answers.set('GET /_zpkg/list', { status: 200, body: '{"paths":["packs/aa/x.pack"]}' });
    expect(await writer().list('packs/')).toEqual(['packs/aa/x.pack']);
  });

  it('a lease that is not a short token is refused: nothing is sent under it', async () => {
    // An idle period too short to renew within (or not a number) would have the writer flood its depot.
    for (const body of ['{"lease":{"x":1}}', `{"lease":"${'l'.repeat(500)}"}`, '{"lease":"two\\nlines"}', '{}', '{"lease":"abc","idleMs":1}', '{"lease":"abc","idleMs":"60000"}']) {
      answers.set('POST /_zpkg/lock', { status: 200, body });
      const e = await refusal(() => writer().lock());
      expect(e.code).toBe('E_REMOTE_UNREACHABLE');
      expect(e.message).toMatch(/POST _zpkg\/lock/);
    }
  });

  // A depot from before lease renewal has no POST /_zpkg/lock/ID: its 404 leaves the lease as that depot keeps it.
  it('a depot that does not know lease renewal answers it 404: the writer goes on writing under its lease', async () => {
    answers.set('POST /_zpkg/lock', { status: 200, body: '{"lease":"abc","idleMs":300}' });
    answers.set('DELETE /packs/aa/x.pack', { status: 200, body: '{"removed":"packs/aa/x.pack"}' });
    const w = writer();
    const release = await w.lock();
    await new Promise((r) => setTimeout(r, 400)); // renewals every 100 ms, each answered 404
    await w.remove('packs/aa/x.pack');
    await release();
  });

  it('an answer larger than 1 MiB is not read to its end', async () => {
    answers.set('GET /_zpkg/list', { status: 200, body: Buffer.alloc(3 << 20, 0x20) });
    const e = await refusal(() => writer().list('packs/'));
    expect(e.code).toBe('E_REMOTE_UNREACHABLE');
    expect(e.message).toMatch(/larger than 1048576 bytes/);
  });
});
