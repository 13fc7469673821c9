import type { DcpErrorCodes } from '../../protocol/lsp';

/** One of the protocol's `dcp/…` error codes. */
export type DcpErrorCode = (typeof DcpErrorCodes)[keyof typeof DcpErrorCodes];

/**
 * A request the run manager refuses (no such run, a run in the wrong state). It carries the protocol's error code;
 * the request handlers turn it into the JSON-RPC error response, so the manager needs nothing of LSP.
 */
export class RunRequestError extends Error {
  constructor(readonly code: DcpErrorCode, message: string) {
    super(message);
    this.name = 'RunRequestError';
  }
}
