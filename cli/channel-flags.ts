// The channel flags of every command that serves operators (`quarry operator`) or reaches them
// (`quarry miner`, `crawl --operators`, `run --operators`): TLS files and the bearer token. The
// token may come from QUARRY_OPERATOR_TOKEN instead, to keep it off the command line and out of
// `ps`; the Python and Go SDKs read the same variable.
import type { Command } from 'commander';
import type { ChannelSecurityOption } from '../framework/operator-client/index.ts';
import type { ClientChannelSecurity, ServerChannelSecurity } from '../framework/wire/index.ts';

export const TOKEN_ENV = 'QUARRY_OPERATOR_TOKEN';

export interface ChannelFlags {
  tls?: boolean;
  tlsCa?: string;
  tlsClientCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
}

const tokenOf = (o: ChannelFlags, env: NodeJS.ProcessEnv): string | undefined => o.token ?? (env[TOKEN_ENV] || undefined);

/** `--tls --tls-ca --tls-cert --tls-key --token` of a client of operators. */
export function addClientChannelFlags(cmd: Command): Command {
  return cmd
    .option('--tls', 'reach the operators over TLS, trusting the system\'s roots (implied by --tls-ca)')
    .option('--tls-ca <pem>', 'CA certificate that signed the operators\' certificates: reach them over TLS')
    .option('--tls-cert <pem>', 'this process\'s client certificate, for operators that require one (mTLS)')
    .option('--tls-key <pem>', 'the private key of --tls-cert')
    .option('--token <token>', `bearer token sent to the operators (env ${TOKEN_ENV})`);
}

export function clientSecurity(o: ChannelFlags, env: NodeJS.ProcessEnv = process.env): ClientChannelSecurity {
  const token = tokenOf(o, env);
  return { ...(o.tls ? { tls: true } : {}), ...(o.tlsCa ? { tlsCa: o.tlsCa } : {}), ...(o.tlsCert ? { tlsCert: o.tlsCert } : {}), ...(o.tlsKey ? { tlsKey: o.tlsKey } : {}), ...(token ? { token } : {}) };
}

/**
 * The security towards `--operators` endpoints; operator processes this command started itself
 * (`quarry run`, `crawl --isolate`) are reached in plaintext on loopback, with the token (they
 * inherit QUARRY_OPERATOR_TOKEN).
 */
export function remoteSecurity(security: ClientChannelSecurity, ownProcesses: readonly string[]): ChannelSecurityOption {
  if (ownProcesses.length === 0) return security;
  const own = new Set(ownProcesses);
  return (endpoint) => (own.has(endpoint) ? (security.token ? { token: security.token } : {}) : security);
}

/** `--tls-cert --tls-key --tls-ca (--tls-client-ca) --token` of an operator server. */
export function addServerChannelFlags(cmd: Command): Command {
  return cmd
    .option('--tls-cert <pem>', 'serve TLS only, with this certificate')
    .option('--tls-key <pem>', 'the private key of --tls-cert')
    .option('--tls-ca <pem>', 'require client certificates signed by this CA (mTLS)')
    .option('--tls-client-ca <pem>', 'the same as --tls-ca (the Python and Go SDKs\' name)')
    .option('--token <token>', `require this bearer token on every call (env ${TOKEN_ENV})`);
}

export function serverSecurity(o: ChannelFlags, env: NodeJS.ProcessEnv = process.env): ServerChannelSecurity {
  if (o.tlsCa && o.tlsClientCa && o.tlsCa !== o.tlsClientCa) throw new Error(`--tls-ca ${o.tlsCa} and --tls-client-ca ${o.tlsClientCa} differ: give one`);
  const clientCa = o.tlsClientCa ?? o.tlsCa;
  const token = tokenOf(o, env);
  return { ...(o.tlsCert ? { tlsCert: o.tlsCert } : {}), ...(o.tlsKey ? { tlsKey: o.tlsKey } : {}), ...(clientCa ? { tlsClientCa: clientCa } : {}), ...(token ? { token } : {}) };
}
