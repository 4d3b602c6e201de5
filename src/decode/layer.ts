import type { DecodeFeedback } from './anomalies.js';
import type { LayerType } from './enums.js';
import type { Status } from './packet.js';

/**
 * One protocol layer (STYLE.md E1, gopacket's DecodingLayer): a reusable object that overwrites its fields
 * on every decode call. It reads only bytes in [off, end), never throws and never allocates.
 *
 * `decode` returns
 * - `Status.Ok` when the layer's own fields are valid. The layer may still have reported an anomaly (for
 *   example a TCP header whose options were cut off: the ports and flags are valid, the payload is not);
 *   then `nextLayerType()` is None and decoding stops after this layer.
 * - `Status.Truncated` / `Status.Malformed` when the layer's fields are not usable; the layer has reported
 *   the anomaly and the decoder stops without it.
 *
 * After Ok, the payload for the next layer is [payloadOff, payloadEnd).
 */
export interface DecodingLayer {
  readonly type: LayerType;
  payloadOff: number;
  payloadEnd: number;
  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status;
  nextLayerType(): LayerType;
}
