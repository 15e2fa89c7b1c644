// A test operator process that dies on a poison input, as a real one that segfaults would:
//   node --import tsx crashing-operator.test-helper.ts <name> <port>
// serves `fragile` on 127.0.0.1:<port> (0 = any) and prints `{"listening":"127.0.0.1:<port>"}`.
import { z } from 'zod';
import { defineOperator, serveOperators } from '../operator-sdk/index.ts';

const [name = 'x', port = '0'] = process.argv.slice(2);
const fragile = defineOperator({
  name: 'fragile', version: '1', inputs: { text: z.string() }, outputs: { ok: z.string() },
  async handler({ text }) {
    if (text === 'poison') process.exit(70);
    return { ok: `${name}:${text}` };
  },
});
const server = await serveOperators([fragile], { port: Number(port) });
process.stdout.write(`${JSON.stringify({ listening: server.address })}\n`);
