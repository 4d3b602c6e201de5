/**
 * plaintext_credentials: a password sent in clear in a TCP payload: FTP and POP3 `USER`/`PASS`, IMAP
 * `LOGIN`, telnet (keystrokes after the server's password prompt), HTTP Basic authorization and HTTP form
 * posts with a password field. Only the user name goes into the evidence, never the password. Looks at
 * one segment at a time (no reassembly), which is how these commands travel in practice.
 */
import { Buffer } from 'node:buffer';
import { addrText } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import type { PacketEvent } from '../events.js';

const IPPROTO_TCP = 6;
/** Bytes of a payload inspected at most. */
const MAX_SCAN = 4096;
const HTTP_METHODS = ['GET ', 'POST', 'PUT ', 'HEAD', 'PATC', 'DELE', 'OPTI'];
const FORM_PASSWORD = /(?:^|[&?])(?:pass|passwd|password|pwd|passw|user_?pass(?:word)?)=([^&\s]*)/i;
const FORM_USER = /(?:^|[&?])(?:user|username|login|email|usr|uname)=([^&\s]*)/i;

const textOf = (ev: PacketEvent): string =>
  Buffer.from(
    ev.data.buffer,
    ev.data.byteOffset + ev.payloadOff,
    Math.min(ev.payloadEnd - ev.payloadOff, MAX_SCAN),
  ).toString('latin1');

/** A form field's value as typed (URL-decoded when it decodes), kept short. */
function formValue(v: string | undefined): string | null {
  if (v === undefined) return null;
  let text = v.replace(/\+/g, ' ');
  try {
    text = decodeURIComponent(text);
  } catch {
    // not valid percent-encoding: keep it as sent
  }
  return text.slice(0, 64);
}

function startsWithMethod(ev: PacketEvent): boolean {
  const b = ev.data;
  const p = ev.payloadOff;
  if (ev.payloadEnd - p < 4) return false;
  const c = b[p]!;
  if (c !== 0x47 && c !== 0x50 && c !== 0x48 && c !== 0x44 && c !== 0x4f) return false; // G P H D O
  const head = String.fromCharCode(c, b[p + 1]!, b[p + 2]!, b[p + 3]!);
  return HTTP_METHODS.includes(head);
}

export const plaintextCredentials = defineDetector({
  id: 'plaintext_credentials',
  description:
    'User name and password visible in clear text (FTP, POP3, IMAP, telnet, HTTP Basic, HTTP form)',
  subscribes: ['packet'],
  defaults: { telnet_prompt_s: 60 },
  docs: { telnet_prompt_s: 'seconds after a telnet password prompt in which client keystrokes count' },
  create(cfg, ctx) {
    /** connection → user name given (FTP/POP3 USER) */
    const users = new Map<string, string>();
    /** telnet connection (client side) → time of the server's password prompt */
    const prompts = new Map<string, number>();
    /** HTTP form posts whose body is in the next segment */
    const pendingForms = new Set<string>();
    const conn = (ev: PacketEvent): string => `${ev.src}:${ev.srcPort}>${ev.dst}:${ev.dstPort}`;
    const raise = (ev: PacketEvent, variant: string, user: string | null): void => {
      const client = addrText(ev.src);
      const server = addrText(ev.dst);
      ctx.emit({
        type: 'plaintext_credentials',
        variant,
        severity: 'medium',
        src: client,
        dst: server,
        dstPort: ev.dstPort,
        first: ev.ts,
        ts: ev.ts,
        message: `${variant} credentials${user === null ? '' : ` for user '${user}'`} sent in clear from ${client} to ${server}:${ev.dstPort}`,
        evidence: { user, frame: ev.frame, protocol: variant },
        mitre: 'T1552.001',
        identifier: `${client}>${server}:${ev.dstPort}/${variant}`,
      });
    };
    const http = (ev: PacketEvent, text: string): void => {
      const auth = /\r\nauthorization:\s*basic\s+([A-Za-z0-9+/=]+)/i.exec(text);
      if (auth !== null) {
        const decoded = Buffer.from(auth[1]!, 'base64').toString('latin1');
        const colon = decoded.indexOf(':');
        raise(ev, 'http_basic', colon >= 0 ? decoded.slice(0, colon) : null);
      }
      if (!text.startsWith('POST')) return;
      const bodyAt = text.indexOf('\r\n\r\n');
      const body = bodyAt < 0 ? '' : text.slice(bodyAt + 4);
      if (FORM_PASSWORD.test(body)) raise(ev, 'http_form', formValue(FORM_USER.exec(body)?.[1]));
      else if (body === '' && /\r\ncontent-type:\s*application\/x-www-form-urlencoded/i.test(text))
        pendingForms.add(conn(ev));
    };
    return {
      packet(ev) {
        if (ev.proto !== IPPROTO_TCP || ev.payloadEnd <= ev.payloadOff || ev.fragment) return;
        const port = ev.dstPort;
        if (port === 21 || port === 110) {
          const text = textOf(ev);
          const cmd = text.slice(0, 5).toUpperCase();
          if (cmd === 'USER ') boundedSet(users, conn(ev), text.slice(5).trim().slice(0, 64), 4096);
          else if (cmd === 'PASS ') raise(ev, port === 21 ? 'ftp' : 'pop3', users.get(conn(ev)) ?? null);
          return;
        }
        if (port === 143) {
          const m = /^\S+\s+LOGIN\s+("?)([^\s"]+)\1\s+\S/i.exec(textOf(ev));
          if (m !== null) raise(ev, 'imap', m[2]!);
          return;
        }
        if (ev.srcPort === 23) {
          if (/password:?\s*$/i.test(textOf(ev)))
            boundedSet(prompts, `${ev.dst}:${ev.dstPort}>${ev.src}:23`, ev.ts, 4096);
          return;
        }
        if (port === 23) {
          const key = conn(ev);
          const at = prompts.get(key);
          if (at !== undefined && ev.ts - at <= cfg.telnet_prompt_s) {
            prompts.delete(key);
            raise(ev, 'telnet', null);
          }
          return;
        }
        if (pendingForms.size > 0) {
          const key = conn(ev);
          if (pendingForms.delete(key) && FORM_PASSWORD.test(textOf(ev))) {
            raise(ev, 'http_form', formValue(FORM_USER.exec(textOf(ev))?.[1]));
            return;
          }
        }
        if (startsWithMethod(ev)) http(ev, textOf(ev));
      },
      sweep() {
        if (pendingForms.size > 1024) pendingForms.clear();
      },
    };
  },
});
