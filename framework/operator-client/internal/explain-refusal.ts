// Why an operator's channel refused this client, in words. grpc-js reports most failed TLS
// handshakes as a bare UNAVAILABLE ("Failed to connect"), so on UNAVAILABLE the client makes one
// TLS handshake of its own with the same certificates and names the cause; UNAUTHENTICATED gets a
// hint about the token. Anything that is not about credentials is left as it was (undefined).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { status, type ServiceError } from '@grpc/grpc-js';
import { QuarryError } from '../../errors/index.ts';
import { usesTls, type ClientChannelSecurity } from '../../wire/index.ts';

/** `unknown`: no answer in time, or closed before any TLS was spoken. */
type Outcome = { kind: 'accepted' } | { kind: 'closed' } | { kind: 'unknown' } | { kind: 'error'; secured: boolean; code: string; reason: string };

/** One TLS handshake with `endpoint`, then the first bytes (or the error, or the close) after it. */
function handshake(host: string, port: number, o: ClientChannelSecurity, timeoutMs: number): Promise<Outcome> {
  const tls = usesTls(o);
  const file = (f?: string) => (f ? readFileSync(f) : undefined);
  return new Promise((resolve) => {
    let secured = false;
    const socket = connect({
      host, port, ALPNProtocols: ['h2'], rejectUnauthorized: tls,
      ...(isIP(host) ? {} : { servername: host }),
      ...(tls ? { ca: file(o.tlsCa), cert: file(o.tlsCert), key: file(o.tlsKey) } : {}),
    });
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ kind: 'unknown' }), timeoutMs);
    socket.once('secureConnect', () => (secured = true));
    socket.once('data', () => done({ kind: 'accepted' }));
    socket.once('error', (err: Error & { code?: string; reason?: string }) => done({ kind: 'error', secured, code: err.code ?? '', reason: err.reason ?? err.message }));
    socket.once('close', () => done({ kind: secured ? 'closed' : 'unknown' }));
  });
}

const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol/i;
const CERT_REQUIRED = /certificate required/i;
const CLIENT_CERT_REFUSED = /unknown ca|bad certificate|certificate unknown|unsupported certificate|access denied|decrypt error|certificate expired|certificate revoked/i;
const SERVER_CERT_UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_/;
const NETWORK = /^E[A-Z]+$/; // ECONNREFUSED, ETIMEDOUT …: not about credentials

/** The cause, for a client that speaks TLS. */
function tlsCause(out: Outcome, o: ClientChannelSecurity): string | undefined {
  const give = 'give --tls-cert and --tls-key';
  if (out.kind === 'accepted' || out.kind === 'unknown') return undefined;
  if (out.kind === 'closed') {
    return o.tlsCert
      ? 'it closed the connection after the TLS handshake: it does not accept this client certificate (--tls-cert; signed by a CA it does not trust?)'
      : `it closed the connection after the TLS handshake: it may require a client certificate (mTLS): ${give}`;
  }
  if (NOT_TLS.test(out.reason)) return 'it does not speak TLS (a plaintext operator?): connect without --tls-ca/--tls-cert/--tls-key, or serve it with a certificate';
  if (CERT_REQUIRED.test(out.reason)) return `it requires a client certificate (mTLS): ${give}`;
  if (CLIENT_CERT_REFUSED.test(out.reason)) return `it does not accept this client certificate (${out.reason}): is --tls-cert signed by the CA it trusts?`;
  if (out.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `its certificate is not for this address: ${out.reason}`;
  if (SERVER_CERT_UNTRUSTED.test(out.code)) return `its certificate is not trusted (${out.reason}): is --tls-ca the CA that signed it?`;
  if (out.code === 'ECONNRESET' && !out.secured) return 'it closed the connection during the TLS handshake: it may not speak TLS, or may refuse this client\'s certificate';
  if (NETWORK.test(out.code)) return undefined;
  return `the TLS handshake failed: ${out.reason}`;
}

/** The cause, for a plaintext client: only that the operator speaks TLS. */
function plaintextCause(out: Outcome): string | undefined {
  const servesTls = out.kind === 'accepted' || out.kind === 'closed' || (out.kind === 'error' && (out.secured || CERT_REQUIRED.test(out.reason) || /alert/i.test(out.reason)));
  return servesTls ? 'it serves TLS and this client connects in plaintext: give --tls-ca (and --tls-cert/--tls-key if it requires client certificates)' : undefined;
}

function hostPort(endpoint: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(endpoint);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/** An error naming the endpoint and the cause when `err` is about credentials; else undefined. */
export async function explainRefusal(endpoint: string, err: unknown, o: ClientChannelSecurity, timeoutMs = 3_000): Promise<QuarryError | undefined> {
  const e = err as Partial<ServiceError>;
  const refused = (cause: string) => new QuarryError('OPERATOR_AUTH_FAILED', `operator ${endpoint}: ${cause}`, { cause: err });
  if (e.code === status.UNAUTHENTICATED || e.code === status.PERMISSION_DENIED) {
    const hint = o.token ? 'the token this client sends (--token or QUARRY_OPERATOR_TOKEN) is not the one it requires' : 'it requires a bearer token: give --token (or QUARRY_OPERATOR_TOKEN)';
    return refused(`it refused the call (${e.details ?? e.message}): ${hint}`);
  }
  if (e.code !== status.UNAVAILABLE) return undefined;
  const at = hostPort(endpoint);
  if (!at) return undefined;
  const out = await handshake(at.host, at.port, o, timeoutMs);
  const cause = usesTls(o) ? tlsCause(out, o) : plaintextCause(out);
  return cause ? refused(cause) : undefined;
}
