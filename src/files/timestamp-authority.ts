import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseTimestampToken, SHA256_OID, TimestampError, verifyTimestampToken } from './timestamp-token.js';

export { readTimestampToken, TimestampError, verifyTimestampToken } from './timestamp-token.js';
export type { TimestampErrorCode } from './timestamp-token.js';

export interface TimestampToken {
  /** DER of the TimeStampToken (CMS ContentInfo) exactly as the TSA sent it: what is stored. */
  token: Uint8Array;
  genTime: Date;
  /** The TSA's serial number of the token, lower-case hex. */
  serialNumber: string;
  /** The TSA policy OID the token was issued under. */
  policy: string;
}

export interface TimestampClientOptions {
  /** The TSA's RFC 3161 HTTP endpoint. */
  url: string;
  /** Whole exchange (connect, send, read the reply); 10 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * PEM CA certificate(s) of the TSA. When given, each token is also checked (signature, chain
   * at genTime, timeStamping usage) before it is returned, so a token that would not verify
   * later is never stored.
   */
  trustedCaPem?: string;
}

export interface TimestampClient {
  /** Time-stamps a SHA-256 (32 bytes), e.g. of a file's ciphertext. Throws TimestampError. */
  stamp(sha256: Uint8Array): Promise<TimestampToken>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// RFC 3161 §3.4 names application/timestamp-reply; some TSAs still send the name of its drafts.
const REPLY_TYPES = new Set(['application/timestamp-reply', 'application/timestamp-response']);

function buildRequest(sha256: Uint8Array, nonce: bigint): Uint8Array {
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: sha256 }),
    }),
    nonce: asn1js.Integer.fromBigInt(nonce),
    certReq: true,
  });
  return new Uint8Array(request.toSchema().toBER());
}

/** HTTP statuses a later attempt may well get past: the job retries these like a network error. */
function isTransient(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Returns the TimeStampToken's DER as received; re-encoding it could change bytes the signature covers. */
function tokenFromReply(reply: Uint8Array): Uint8Array {
  const decoded = asn1js.fromBER(reply);
  if (decoded.offset === -1 || !(decoded.result instanceof asn1js.Sequence)) {
    throw new TimestampError('tsa_bad_reply', 'the TSA reply is not a DER TimeStampResp');
  }
  let response: pkijs.TimeStampResp;
  try {
    response = new pkijs.TimeStampResp({ schema: decoded.result });
  } catch (cause) {
    throw new TimestampError('tsa_bad_reply', 'the TSA reply is not a TimeStampResp', { cause });
  }
  const status = response.status.status;
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    throw new TimestampError('tsa_refused', `the TSA refused the request (PKIStatus ${status})`);
  }
  const tokenBlock = decoded.result.valueBlock.value[1];
  if (!response.timeStampToken || !tokenBlock) {
    throw new TimestampError('tsa_bad_reply', 'the TSA granted the request without a token');
  }
  return new Uint8Array(tokenBlock.valueBeforeDecodeView);
}

export function createTimestampClient(options: TimestampClientOptions): TimestampClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    async stamp(sha256) {
      if (sha256.length !== 32) throw new TypeError('a SHA-256 is 32 bytes');
      // A fresh 64-bit nonce ties the reply to this request, so an old or someone else's reply
      // replayed by the network is refused.
      const nonce = randomBytes(8).readBigUInt64BE();
      const body = buildRequest(sha256, nonce);

      let reply: Uint8Array;
      let status: number;
      let contentType: string;
      try {
        const res = await doFetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = res.status;
        contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        reply = new Uint8Array(await res.arrayBuffer());
      } catch (cause) {
        throw new TimestampError('tsa_unreachable', 'the TSA could not be reached in time', { cause });
      }
      if (status !== 200) {
        throw new TimestampError(
          isTransient(status) ? 'tsa_unreachable' : 'tsa_refused',
          `the TSA answered HTTP ${status}`,
        );
      }
      if (!REPLY_TYPES.has(contentType)) {
        throw new TimestampError('tsa_bad_reply', 'the TSA reply is not application/timestamp-reply');
      }

      const token = tokenFromReply(reply);
      const { info } = parseTimestampToken(token);
      if (info.imprintAlgorithm !== SHA256_OID || !Buffer.from(info.imprint).equals(Buffer.from(sha256))) {
        throw new TimestampError('tsa_mismatch', 'the token does not cover the hash sent');
      }
      if (info.nonce !== nonce) {
        throw new TimestampError('tsa_mismatch', 'the token does not answer this request (nonce)');
      }
      if (options.trustedCaPem !== undefined && !(await verifyTimestampToken(token, sha256, options.trustedCaPem))) {
        throw new TimestampError('tsa_bad_reply', 'the token does not verify against the trusted TSA CA');
      }
      return { token, genTime: info.genTime, serialNumber: info.serialNumber, policy: info.policy };
    },
  };
}
