import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** id-sha256: the only imprint algorithm egide asks for and accepts. */
export const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4';
const CONTENT_TYPE_ATTRIBUTE_OID = '1.2.840.113549.1.9.3';
const EXT_KEY_USAGE_OID = '2.5.29.37';
const TIME_STAMPING_PURPOSE_OID = '1.3.6.1.5.5.7.3.8';

/**
 * Stable codes a caller can act on: the job that stamps evidence retries on 'tsa_unreachable'
 * (network, timeout, 5xx, 429) and gives up with an alert on the others, which a retry would
 * not change.
 */
export type TimestampErrorCode = 'tsa_unreachable' | 'tsa_refused' | 'tsa_mismatch' | 'tsa_bad_reply';

export class TimestampError extends Error {
  override readonly name = 'TimestampError';
  readonly code: TimestampErrorCode;

  constructor(code: TimestampErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get retryable(): boolean {
    return this.code === 'tsa_unreachable';
  }
}

export interface TimestampTokenInfo {
  genTime: Date;
  /** The TSA's serial number of the token, lower-case hex. */
  serialNumber: string;
  /** The TSA policy OID the token was issued under. */
  policy: string;
  /** The hash the token covers (what the TSA signed), here the SHA-256 of a file's ciphertext. */
  imprint: Uint8Array;
  /** OID of the imprint's hash algorithm. */
  imprintAlgorithm: string;
  /** The nonce of the request the token answers, if the TSA echoed one. */
  nonce: bigint | null;
}

interface ParsedToken {
  signedData: pkijs.SignedData;
  tstInfo: pkijs.TSTInfo;
  info: TimestampTokenInfo;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function bad(message: string, cause?: unknown): TimestampError {
  return new TimestampError('tsa_bad_reply', message, cause === undefined ? undefined : { cause });
}

/** Parses a TimeStampToken (a CMS ContentInfo of SignedData over a TSTInfo), without checking any signature. */
export function parseTimestampToken(token: Uint8Array): ParsedToken {
  let signedData: pkijs.SignedData;
  let tstInfo: pkijs.TSTInfo;
  try {
    const contentInfo = pkijs.ContentInfo.fromBER(token);
    if (contentInfo.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw bad('the time-stamp token is not CMS SignedData');
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    const encap = signedData.encapContentInfo;
    if (encap.eContentType !== TST_INFO_OID || !encap.eContent) throw bad('the time-stamp token does not hold a TSTInfo');
    tstInfo = pkijs.TSTInfo.fromBER(encap.eContent.getValue());
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    throw bad('the time-stamp token is not valid DER', err);
  }
  return {
    signedData,
    tstInfo,
    info: {
      genTime: tstInfo.genTime,
      serialNumber: hex(tstInfo.serialNumber.valueBlock.valueHexView),
      policy: tstInfo.policy,
      imprint: new Uint8Array(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView),
      imprintAlgorithm: tstInfo.messageImprint.hashAlgorithm.algorithmId,
      nonce: tstInfo.nonce ? tstInfo.nonce.toBigInt() : null,
    },
  };
}

/** What a stored token says (time, serial, policy, the hash it covers), for display; checks no signature. */
export function readTimestampToken(token: Uint8Array): TimestampTokenInfo {
  return parseTimestampToken(token).info;
}

/**
 * When the certificate that signed a token stops being valid (its notAfter), from the
 * certificates the TSA put in the token (egide asks for them: certReq); null when the token
 * carries no certificate matching its signer. Tokens signed before stay verifiable (their chain is
 * checked at genTime); this date says when the TSA must have moved to a new certificate.
 */
export function signerCertificateNotAfter(token: Uint8Array): Date | null {
  const { signedData } = parseTimestampToken(token);
  const sid: unknown = signedData.signerInfos[0]?.sid;
  const certificates = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const signer =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? certificates.find((c) => c.serialNumber.isEqual(sid.serialNumber) && c.issuer.isEqual(sid.issuer))
      : certificates.length === 1
        ? certificates[0]
        : undefined;
  return signer ? signer.notAfter.value : null;
}

function certificatesFromPem(pem: string): pkijs.Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    const b64 = block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    return pkijs.Certificate.fromBER(Buffer.from(b64, 'base64'));
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** RFC 3161 §2.3: the TSA's certificate has exactly one extended key usage, timeStamping, marked critical. */
function isTimeStampingCertificate(cert: pkijs.Certificate): boolean {
  const eku = cert.extensions?.find((ext) => ext.extnID === EXT_KEY_USAGE_OID);
  const usage: unknown = eku?.parsedValue;
  return (
    eku?.critical === true &&
    usage instanceof pkijs.ExtKeyUsage &&
    usage.keyPurposes.length === 1 &&
    usage.keyPurposes[0] === TIME_STAMPING_PURPOSE_OID
  );
}

function signsTstInfoContentType(signedData: pkijs.SignedData): boolean {
  const attrs = signedData.signerInfos[0]?.signedAttrs?.attributes ?? [];
  const contentType = attrs.find((a) => a.type === CONTENT_TYPE_ATTRIBUTE_OID)?.values[0] as unknown;
  return contentType instanceof asn1js.ObjectIdentifier && contentType.getValue() === TST_INFO_OID;
}

/**
 * Checks the CMS signature of a parsed token, and if CA certificates are given, that the signer
 * chains to one of them at the token's genTime and is a time-stamping certificate.
 *
 * pkijs's SignedData.verify, on TSTInfo content, wants the original data to re-hash it; egide
 * only ever holds the hash (the ciphertext may be gone, or too large to read again). The
 * imprint is compared by the caller, so the signature is checked with the decoded content type
 * set to plain data (the parsed object is the caller's throw-away copy): the signature covers
 * the signed attributes (whose content-type attribute still says TSTInfo, checked here) and
 * their digest of the unchanged eContent.
 */
async function verifySignature(parsed: ParsedToken, trusted: pkijs.Certificate[]): Promise<boolean> {
  const { signedData } = parsed;
  if (!signsTstInfoContentType(signedData)) return false;
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) return false;
  signedData.encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: pkijs.ContentInfo.DATA, eContent });
  try {
    const result = await signedData.verify({
      signer: 0,
      checkChain: trusted.length > 0,
      trustedCerts: trusted,
      checkDate: parsed.tstInfo.genTime,
      extendedMode: true,
    });
    if (!result.signatureVerified || !result.signerCertificate) return false;
    return trusted.length === 0 || isTimeStampingCertificate(result.signerCertificate);
  } catch {
    // pkijs throws SignedDataVerifyError for every failed check (bad signature, broken chain).
    return false;
  }
}

/**
 * True when the token covers this SHA-256 (same algorithm, same bytes) and its signature holds.
 * With `trustedCaPem` (one or more PEM certificates), the signer must also chain to one of them
 * at genTime and carry the critical timeStamping extended key usage; without it, only the
 * signature by the certificate embedded in the token is checked, which proves integrity but
 * not who signed.
 *
 * This is for egide's own screens and checks. What a court relies on is the standard tool,
 * independent of egide: `openssl ts -verify -digest <sha256 hex> -token_in -in token.der
 * -CAfile tsa-ca.pem -untrusted tsa.pem`, which also checks the ESS signing-certificate binding
 * that this function does not.
 */
export async function verifyTimestampToken(
  token: Uint8Array,
  sha256: Uint8Array,
  trustedCaPem?: string,
): Promise<boolean> {
  let parsed: ParsedToken;
  try {
    parsed = parseTimestampToken(token);
  } catch {
    return false;
  }
  if (parsed.info.imprintAlgorithm !== SHA256_OID || !sameBytes(parsed.info.imprint, sha256)) return false;
  const trusted = trustedCaPem ? certificatesFromPem(trustedCaPem) : [];
  if (trustedCaPem !== undefined && trusted.length === 0) return false;
  return verifySignature(parsed, trusted);
}
