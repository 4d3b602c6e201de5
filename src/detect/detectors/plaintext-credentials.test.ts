import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { plaintextCredentials } from './plaintext-credentials.js';

const PSH_ACK = 0x18;
const send = (
  h: DetectorHarness,
  ts: number,
  payload: string,
  dport: number,
  sport = 40000,
  src = '10.0.0.2',
  dst = '10.0.0.1',
): void => h.packet({ ts, src, dst, sport, dport, flags: PSH_ACK, payload });

test('FTP USER/PASS: an alert naming the user, never the password', () => {
  const h = new DetectorHarness(plaintextCredentials);
  send(h, 0, 'USER csanders\r\n', 21);
  assert.equal(h.alerts.length, 0);
  send(h, 1, 'PASS echo\r\n', 21);
  assert.deepEqual(h.types(), ['plaintext_credentials/ftp']);
  assert.equal((h.alerts[0]!.evidence as { user: string }).user, 'csanders');
  assert.ok(!JSON.stringify(h.alerts[0]).includes('echo'));
});

test('HTTP Basic authorization, HTTP form posts and IMAP LOGIN', () => {
  const h = new DetectorHarness(plaintextCredentials);
  send(h, 0, 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic  dGVzdDoxMjM0\r\n\r\n', 8000);
  send(
    h,
    1,
    'POST /login.php HTTP/1.1\r\nHost: x\r\n\r\nusername=admin&password=password&Login=Login',
    80,
    40001,
  );
  send(h, 2, 'a001 LOGIN alice secret\r\n', 143, 40002);
  assert.deepEqual(h.types(), [
    'plaintext_credentials/http_basic',
    'plaintext_credentials/http_form',
    'plaintext_credentials/imap',
  ]);
  assert.equal((h.alerts[0]!.evidence as { user: string }).user, 'test');
  assert.equal((h.alerts[1]!.evidence as { user: string }).user, 'admin');
});

test('a form post whose body follows in the next segment', () => {
  const h = new DetectorHarness(plaintextCredentials);
  send(h, 0, 'POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n', 80);
  send(h, 0.1, 'user=bob&pass=hunter2', 80);
  assert.deepEqual(h.types(), ['plaintext_credentials/http_form']);
});

test('telnet: keystrokes after the password prompt; none without a prompt', () => {
  const h = new DetectorHarness(plaintextCredentials);
  send(h, 0, 'ls\r\n', 23, 40000);
  assert.equal(h.alerts.length, 0);
  send(h, 1, 'Password:', 40000, 23, '10.0.0.1', '10.0.0.2');
  send(h, 2, 'u', 23, 40000);
  assert.deepEqual(h.types(), ['plaintext_credentials/telnet']);
  assert.equal(h.alerts[0]!.src, '10.0.0.2');
});

test('ordinary HTTP and FTP commands are not credentials', () => {
  const h = new DetectorHarness(plaintextCredentials);
  send(h, 0, 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n', 80);
  send(h, 1, 'POST /api HTTP/1.1\r\n\r\n{"a":1}', 80);
  send(h, 2, 'LIST\r\n', 21);
  assert.equal(h.alerts.length, 0);
});
