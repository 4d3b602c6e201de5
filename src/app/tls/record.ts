/** The only place a TLS log record is shaped (STYLE.md E8). */
import { createHash } from 'node:crypto';
import type { EndpointText } from '../../flow/record.js';
import type { FlowState } from '../../flow/table.js';
import type { TlsLog } from '../../schema/tls.js';
import { ja3, ja4, offeredVersion } from './fingerprint.js';
import { cipherName, curveName, versionName } from './names.js';
import { MAX_SESSION_ID, type ClientHello, type ServerHello } from './parser.js';
import type { CertificateInfo } from './x509.js';

/** Certificates of a chain fingerprinted (Zeek's cert_chain_fps); real chains have 2–4. */
export const MAX_CHAIN_CERTIFICATES = 10;

/** What one flow's handshake showed so far: copies taken from the reused hello objects. */
export class TlsHandshake {
  tsUs = -1;
  serverName: string | null = null;
  clientAlpn: string[] | null = null;
  clientVersion: string | null = null;
  ja4: string | null = null;
  ja3: string | null = null;
  version: string | null = null;
  /** The negotiated version number (0 before the ServerHello). */
  versionNumber = 0;
  cipher: string | null = null;
  cipherNumber = 0;
  nextProtocol: string | null = null;
  curve: string | null = null;
  resumed = false;
  established = false;
  certChainFps: string[] | null = null;
  subject: string | null = null;
  issuer: string | null = null;
  notValidBefore: number | null = null;
  notValidAfter: number | null = null;
  /** The client's session id, kept to see whether the server echoes it; null when it sent none. */
  #clientSessionId: Uint8Array | null = null;

  client(h: ClientHello, tsUs: number): void {
    if (this.tsUs < 0) this.tsUs = tsUs;
    this.serverName = h.sni;
    this.clientAlpn = h.alpn.length > 0 ? [...h.alpn] : null;
    this.clientVersion = versionName(offeredVersion(h));
    this.ja4 = ja4(h);
    this.ja3 = ja3(h);
    this.#clientSessionId = h.sessionIdLength > 0 ? h.sessionId.slice(0, h.sessionIdLength) : null;
  }

  server(h: ServerHello, tsUs: number): void {
    if (this.tsUs < 0) this.tsUs = tsUs;
    this.versionNumber = h.selectedVersion !== 0 ? h.selectedVersion : h.version;
    this.version = versionName(this.versionNumber);
    this.cipherNumber = h.cipher;
    this.cipher = cipherName(h.cipher);
    this.nextProtocol = h.alpn;
    if (h.keyShareGroup >= 0) this.curve = curveName(h.keyShareGroup);
    // Zeek's rule: below TLS 1.3 an echoed (non-empty) session id is a resumption; in TLS 1.3 the echo is
    // only middlebox compatibility (RFC 8446 §D.4) and an accepted pre_shared_key is the resumption.
    const tls13 = this.versionNumber === 0x0304 || this.versionNumber >>> 8 === 0x7f;
    if (h.pskAccepted) this.resumed = true;
    else if (!tls13 && this.#clientSessionId !== null) this.resumed = sameId(this.#clientSessionId, h);
  }

  /** The ServerKeyExchange's named curve (ECDHE suites below TLS 1.3). */
  serverCurve(group: number): void {
    this.curve = curveName(group);
  }

  /** The server's certificate chain (TLS ≤ 1.2): DER [offs[i], ends[i]) of each, the first one parsed. */
  certificates(
    b: Uint8Array,
    offs: readonly number[],
    ends: readonly number[],
    first: CertificateInfo | null,
  ): void {
    const fps: string[] = [];
    for (let i = 0; i < offs.length && i < MAX_CHAIN_CERTIFICATES; i++)
      fps.push(createHash('sha256').update(b.subarray(offs[i], ends[i])).digest('hex'));
    this.certChainFps = fps;
    if (first === null) return;
    this.subject = first.subject;
    this.issuer = first.issuer;
    this.notValidBefore = first.notBefore;
    this.notValidAfter = first.notAfter;
  }
}

function sameId(client: Uint8Array, h: ServerHello): boolean {
  if (client.length !== h.sessionIdLength || client.length > MAX_SESSION_ID) return false;
  for (let i = 0; i < client.length; i++) if (client[i] !== h.sessionId[i]) return false;
  return true;
}

export const toTlsLog = (flow: FlowState, text: EndpointText, hs: TlsHandshake): TlsLog => ({
  ts: hs.tsUs,
  uid: flow.uid,
  orig_h: text.orig(flow),
  orig_p: flow.origPort,
  resp_h: text.resp(flow),
  resp_p: flow.respPort,
  version: hs.version,
  cipher: hs.cipher,
  server_name: hs.serverName,
  next_protocol: hs.nextProtocol,
  client_alpn: hs.clientAlpn,
  client_version: hs.clientVersion,
  ja4: hs.ja4,
  ja3: hs.ja3,
  curve: hs.curve,
  resumed: hs.resumed,
  established: hs.established,
  cert_chain_fps: hs.certChainFps,
  subject: hs.subject,
  issuer: hs.issuer,
  not_valid_before: hs.notValidBefore,
  not_valid_after: hs.notValidAfter,
});
