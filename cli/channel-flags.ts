// The channel flags of every command that serves operators (`quarry operator`) or reaches them
// (`quarry miner`, `crawl --operators`, `run --operators`): TLS files and the bearer token. The
// token may come from QUARRY_OPERATOR_TOKEN instead, to keep it off the command line and out of
// `ps`, and an operator server's files from QUARRY_TLS_CERT, QUARRY_TLS_KEY and
// QUARRY_TLS_CLIENT_CA: the Python and Go SDKs read the same variables.
import type { Command } from 'commander';
import type { ChannelSecurityOption } from '../framework/operator-client/index.ts';
import type { ClientChannelSecurity, ServerChannelSecurity } from '../framework/wire/index.ts';

export const TOKEN_ENV = 'QUARRY_OPERATOR_TOKEN';
/** An operator server's TLS files, as the Python and Go SDKs take them from the environment. */
export const SERVER_TLS_ENV = { tlsCert: 'QUARRY_TLS_CERT', tlsKey: 'QUARRY_TLS_KEY', tlsClientCa: 'QUARRY_TLS_CLIENT_CA' } as const;

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
 * inherit QUARRY_OPERATOR_TOKEN, and not the server TLS variables: see `ownOperatorEnv`).
 */
export function remoteSecurity(security: ClientChannelSecurity, ownProcesses: readonly string[]): ChannelSecurityOption {
  if (ownProcesses.length === 0) return security;
  const own = new Set(ownProcesses);
  return (endpoint) => (own.has(endpoint) ? (security.token ? { token: security.token } : {}) : security);
}

/** `--tls-cert --tls-key --tls-ca (--tls-client-ca) --token` of an operator server. */
export function addServerChannelFlags(cmd: Command): Command {
  return cmd
    .option('--tls-cert <pem>', `serve TLS only, with this certificate (env ${SERVER_TLS_ENV.tlsCert})`)
    .option('--tls-key <pem>', `the private key of --tls-cert (env ${SERVER_TLS_ENV.tlsKey})`)
    .option('--tls-ca <pem>', 'require client certificates signed by this CA (mTLS)')
    .option('--tls-client-ca <pem>', `the same as --tls-ca, the Python and Go SDKs' name (env ${SERVER_TLS_ENV.tlsClientCa})`)
    .option('--token <token>', `require this bearer token on every call (env ${TOKEN_ENV})`);
}

export function serverSecurity(o: ChannelFlags, env: NodeJS.ProcessEnv = process.env): ServerChannelSecurity {
  if (o.tlsCa && o.tlsClientCa && o.tlsCa !== o.tlsClientCa) throw new Error(`--tls-ca ${o.tlsCa} and --tls-client-ca ${o.tlsClientCa} differ: give one`);
  const fromEnv = (k: keyof typeof SERVER_TLS_ENV) => env[SERVER_TLS_ENV[k]] || undefined;
  const tlsCert = o.tlsCert ?? fromEnv('tlsCert');
  const tlsKey = o.tlsKey ?? fromEnv('tlsKey');
  const clientCa = o.tlsClientCa ?? o.tlsCa ?? fromEnv('tlsClientCa');
  const token = tokenOf(o, env);
  return { ...(tlsCert ? { tlsCert } : {}), ...(tlsKey ? { tlsKey } : {}), ...(clientCa ? { tlsClientCa: clientCa } : {}), ...(token ? { token } : {}) };
}

/** The environment of operator processes a command starts itself: plaintext on loopback, whatever TLS variables it was given. */
export function ownOperatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const own = { ...env };
  for (const name of Object.values(SERVER_TLS_ENV)) delete own[name];
  return own;
}
