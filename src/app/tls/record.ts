/** The only place a TLS log record is shaped (STYLE.md E8). */
import type { EndpointText } from '../../flow/record.js';
import type { FlowState } from '../../flow/table.js';
import type { TlsLog } from '../../schema/tls.js';
import { ja3, ja4, offeredVersion } from './fingerprint.js';
import { cipherName, versionName } from './names.js';
import type { ClientHello, ServerHello } from './parser.js';

/** What one flow's handshake showed so far: copies taken from the reused hello objects. */
export class TlsHandshake {
  tsUs = -1;
  serverName: string | null = null;
  clientAlpn: string[] | null = null;
  clientVersion: string | null = null;
  ja4: string | null = null;
  ja3: string | null = null;
  version: string | null = null;
  cipher: string | null = null;
  nextProtocol: string | null = null;

  client(h: ClientHello, tsUs: number): void {
    if (this.tsUs < 0) this.tsUs = tsUs;
    this.serverName = h.sni;
    this.clientAlpn = h.alpn.length > 0 ? [...h.alpn] : null;
    this.clientVersion = versionName(offeredVersion(h));
    this.ja4 = ja4(h);
    this.ja3 = ja3(h);
  }

  server(h: ServerHello, tsUs: number): void {
    if (this.tsUs < 0) this.tsUs = tsUs;
    this.version = versionName(h.selectedVersion !== 0 ? h.selectedVersion : h.version);
    this.cipher = cipherName(h.cipher);
    this.nextProtocol = h.alpn;
  }
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
});
