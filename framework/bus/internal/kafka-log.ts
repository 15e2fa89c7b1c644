// kafkajs logs every error response from the broker at ERROR, even the ones it retries by
// itself (group rebalancing, coordinator loading). Those are routine on a healthy cluster,
// so below `debug` they are dropped; failures that matter reach the caller as rejections.
import { logLevel, type logCreator } from 'kafkajs';

const ROUTINE = /^\[Connection\] Response /;

export const quietLogCreator: logCreator = (level) => ({ namespace, level: entryLevel, label, log }) => {
  if (entryLevel > level) return;
  const message = `${namespace ? `[${namespace}] ` : ''}${log.message}`;
  if (level < logLevel.DEBUG && ROUTINE.test(message)) return;
  const line = JSON.stringify({ ...log, level: label, message });
  if (entryLevel <= logLevel.ERROR) console.error(line);
  else if (entryLevel === logLevel.WARN) console.warn(line);
  else console.log(line);
};
