/** Where `nta serve` listens unless told otherwise: loopback only, so no token is needed. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';
