// Readiness probe used by scripts/services.sh (not part of the framework).
//   npx tsx scripts/wait-ready.ts kafka|cassandra <deadlineSeconds> [pidToWatch|''] [host:port]
// Loops a real client call until it succeeds; exits 1 on deadline or when the watched
// process dies first, so services.sh can print the server's log tail. The address defaults to
// QUARRY_TEST_KAFKA_BROKERS / QUARRY_TEST_CASSANDRA, then to the default instance's port.
import { Kafka, logLevel } from 'kafkajs';
import cassandra from 'cassandra-driver';

const [what, deadlineArg = '120', pidArg, addressArg] = process.argv.slice(2);
const deadline = Date.now() + Number(deadlineArg) * 1000;
const pid = pidArg === undefined || pidArg === '' ? undefined : Number(pidArg);
const address = addressArg === '' ? undefined : addressArg;

const alive = (): boolean => {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function probeKafka(): Promise<void> {
  const brokers = (address ?? process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const kafka = new Kafka({
    clientId: 'quarry-wait-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no brokers yet');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function probeCassandra(): Promise<void> {
  const contact = address ?? process.env.QUARRY_TEST_CASSANDRA ?? '127.0.0.1:9042';
  const client = new cassandra.Client({
    contactPoints: [contact],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
  });
  try {
    await client.connect();
    await client.execute('SELECT release_version FROM system.local');
  } finally {
    await client.shutdown().catch(() => {});
  }
}

const probe = what === 'kafka' ? probeKafka : what === 'cassandra' ? probeCassandra : undefined;
if (probe === undefined) {
  console.error(`Expected \`kafka\` or \`cassandra\`, got \`${what}\``);
  process.exit(2);
}
let lastError = 'never tried';
while (Date.now() < deadline) {
  if (!alive()) {
    console.error(`${what}: process ${pid} exited before becoming ready`);
    process.exit(1);
  }
  try {
    await probe();
    process.exit(0);
  } catch (err) {
    lastError = err instanceof Error ? err.message : String(err);
  }
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`${what}: not ready after ${deadlineArg}s (last error: ${lastError})`);
process.exit(1);
