/**
 * The TOTP secret as a QR code for an authenticator app, drawn here (uqr's module matrix as one
 * SVG path): the secret never goes to a QR service or any other host.
 */
import { encode } from 'uqr';

export function otpauthUri(username: string, secret: string): string {
  return `otpauth://totp/egide:${encodeURIComponent(username)}?secret=${secret}&issuer=egide`;
}

export function TotpQr({ uri, label }: { uri: string; label: string }) {
  const qr = encode(uri, { ecc: 'M', border: 4 });
  let d = '';
  qr.data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${qr.size} ${qr.size}`} shape-rendering="crispEdges">
      <rect width={qr.size} height={qr.size} fill="white" />
      <path d={d} fill="black" />
    </svg>
  );
}

/** A base32 secret in groups of four, easier to type by hand. */
export function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}
