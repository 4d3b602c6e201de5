/** The `captures` table: one row per source read or interface captured, finalized when it ends. */
export const CAPTURE_STATUS = ['running', 'complete', 'truncated', 'error', 'interrupted'] as const;
export type CaptureStatus = (typeof CAPTURE_STATUS)[number];

export interface CaptureStart {
  source: string;
  format: string;
  startedAt: string;
  /**
   * Absolute path of the file that holds this capture's frames under their frame numbers: the file read, or
   * the single `-w` file of a live capture; null for standard input and for live captures not saved.
   */
  file?: string | null | undefined;
}

export interface CaptureEnd {
  endedAt: string;
  status: CaptureStatus;
  error: string | null;
  firstPacket: string | null;
  lastPacket: string | null;
  packets: number;
  bytes: number;
  ipPackets: number;
  malformed: number;
  truncated: number;
  unknownLinkType: number;
  dropped: number;
  ifDropped: number;
  linkTypes: string;
}
