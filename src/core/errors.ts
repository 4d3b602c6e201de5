/**
 * Errors that cross a module boundary carry a stable code (STYLE.md E13). The CLI maps the code to an exit
 * status and prints the message as one line; nothing on the packet path throws these for bad packets.
 */
export const NTA_ERROR_CODES = [
  'NTA_ERR_USAGE',
  'NTA_ERR_CONFIG',
  'NTA_ERR_IO',
  'NTA_ERR_CAPTURE_FORMAT',
  'NTA_ERR_CAPTURE_CORRUPT',
  'NTA_ERR_CAPTURE_TRUNCATED',
  'NTA_ERR_STORE',
  'NTA_ERR_STORE_SCHEMA',
] as const;
export type NtaErrorCode = (typeof NTA_ERROR_CODES)[number];

export class NtaError extends Error {
  override readonly name = 'NtaError';
  readonly code: NtaErrorCode;
  constructor(code: NtaErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Exit statuses: 2 for bad usage or configuration (as getopt-style tools do), 1 for everything else that failed. */
export function exitCodeFor(err: NtaError): number {
  return err.code === 'NTA_ERR_USAGE' || err.code === 'NTA_ERR_CONFIG' ? 2 : 1;
}
