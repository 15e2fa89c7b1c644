// The channel between miners and operators, built in one place for both ends: TLS (with client
// certificates for mTLS) and a bearer token in `authorization: Bearer …` metadata. The operator
// server, the miner's client and the conformance kit all build theirs here, from PEM files, and
// refuse a bad file at start with an error naming it rather than at the first connection.
import { createHash, createPrivateKey, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, Metadata, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { QuarryError } from '../errors/index.ts';

/** A client's side (miner, conformance kit): PEM file paths and the token it sends. */
export interface ClientChannelSecurity {
  /** TLS with the system's root certificates (implied by `tlsCa` and `tlsCert`). */
  tls?: boolean;
  /** CA that signed the operators' certificates. */
  tlsCa?: string;
  /** This client's certificate and key, for operators that require one (mTLS). */
  tlsCert?: string;
  tlsKey?: string;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
}

/** An operator server's side: its certificate, the CA of client certificates, the token it requires. */
export interface ServerChannelSecurity {
  tlsCert?: string;
  tlsKey?: string;
  /** Require client certificates signed by this CA (mTLS). */
  tlsClientCa?: string;
  /** Require `authorization: Bearer <token>` on every call. */
  token?: string;
}

/** The gRPC details of an UNAUTHENTICATED answer, the same in every SDK. */
export const BEARER_REFUSED = 'missing or wrong bearer token (metadata `authorization: Bearer …`)';

export const usesTls = (o: ClientChannelSecurity): boolean => Boolean(o.tls || o.tlsCa || o.tlsCert);

const invalid = (message: string) => new QuarryError('CONFIG_INVALID', message);

function read(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalid(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function certificate(flag: string, file: string): { pem: Buffer; cert: X509Certificate } {
  const pem = read(flag, file);
  try {
    return { pem, cert: new X509Certificate(pem) };
  } catch {
    throw invalid(`${flag} ${file}: not a PEM certificate`);
  }
}

/** A certificate and its key, checked to belong together. */
function keyPair(certFlag: string, certFile: string, keyFlag: string, keyFile: string | undefined): { cert: Buffer; key: Buffer } {
  if (!keyFile) throw invalid(`${certFlag} needs ${keyFlag} (the certificate's private key)`);
  const { pem, cert } = certificate(certFlag, certFile);
  const key = read(keyFlag, keyFile);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch {
    throw invalid(`${keyFlag} ${keyFile}: not a PEM private key`);
  }
  if (!cert.checkPrivateKey(keyObject)) throw invalid(`${keyFlag} ${keyFile} is not the key of ${certFlag} ${certFile}`);
  return { cert: pem, key };
}

export function clientCredentials(o: ClientChannelSecurity): ChannelCredentials {
  if (!usesTls(o)) {
    if (o.tlsKey) throw invalid('--tls-key needs --tls-cert (the client certificate)');
    return credentials.createInsecure();
  }
  const ca = o.tlsCa ? certificate('--tls-ca', o.tlsCa).pem : null;
  const pair = o.tlsCert ? keyPair('--tls-cert', o.tlsCert, '--tls-key', o.tlsKey) : undefined;
  if (o.tlsKey && !pair) throw invalid('--tls-key needs --tls-cert (the client certificate)');
  return credentials.createSsl(ca, pair?.key ?? null, pair?.cert ?? null);
}

export function serverCredentials(o: ServerChannelSecurity): ServerCredentials {
  if (!o.tlsCert) {
    if (o.tlsKey) throw invalid('--tls-key needs --tls-cert (the server certificate)');
    if (o.tlsClientCa) throw invalid('client certificates (--tls-client-ca) need the server\'s own --tls-cert and --tls-key');
    return ServerCredentials.createInsecure();
  }
  const pair = keyPair('--tls-cert', o.tlsCert, '--tls-key', o.tlsKey);
  const clientCa = o.tlsClientCa ? certificate('--tls-client-ca', o.tlsClientCa).pem : null;
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: pair.cert, private_key: pair.key }], clientCa !== null);
}

/** Call metadata carrying the token (empty without one). */
export function bearerMetadata(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether a call carries the required token (compared in constant time). */
export function bearerMatches(metadata: Metadata, token: string): boolean {
  const got = metadata.get('authorization')[0];
  return typeof got === 'string' && timingSafeEqual(digest(got), digest(`Bearer ${token}`));
}
