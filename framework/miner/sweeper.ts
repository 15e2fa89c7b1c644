// Stranded tokens. A token is opened in the ledger before its trigger is produced, so a trigger
// can fail to reach the bus (the producer died between the two, a produce failed for good, a
// broker lost an acknowledged write). A redelivery of the node before it repairs most of these;
// what is left — an item's entry trigger, or a successor whose predecessor's trigger was
// committed — is found here: every `intervalMs` the ledger names the items quiet for
// `idleMs` with open tokens nobody holds, and their triggers are produced again from the entry
// trigger the ledger kept. A copy of a trigger that was only slow is harmless (a claim of a done
// token does nothing), and the ledger hands each quiet item to one sweeper per `idleMs`.
// A token whose node still has triggers waiting (consumer lag) may be one of them: it is held
// while that backlog lasts, for at most `holdMs`, so a deep backlog is not produced a second
// time (traffic that would feed the overload behind it); past `holdMs` it goes anyway.
import type { TriggerBus } from '../bus/trigger-bus.ts';
import type { DagPlan } from '../dag/index.ts';
import type { ItemLedger } from '../item-ledger/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { decodeTrigger } from '../wire/index.ts';
import { produceAll } from './ingress.ts';
import { nodeLag } from './node-lag.ts';
import { tokenTrigger, type Outgoing } from './triggers.ts';

export interface SweeperOptions {
  plans: readonly DagPlan[];
  ledger: ItemLedger;
  bus: TriggerBus;
  /** How long an item may stay quiet before its unheld tokens count as stranded. */
  idleMs: number;
  /** How often to look (default idleMs / 4, between 1 s and 1 min). */
  intervalMs?: number;
  /** Most items per DAG and sweep (default 1,000). */
  limit?: number;
  /** Longest a token is held while its node has a backlog (default 5 × idleMs). */
  holdMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface Sweeper {
  /** One sweep now: the number of triggers produced again. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function startSweeper(o: SweeperOptions): Sweeper {
  const intervalMs = o.intervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(o.idleMs / 4)));
  const limit = o.limit ?? 1_000;
  const holdMs = o.holdMs ?? 5 * o.idleMs;
  const now = o.now ?? Date.now;
  // Tokens held for their node's backlog: since when.
  const held = new Map<string, number>();
  const sweep = async (): Promise<number> => {
    let produced = 0;
    const at = now();
    for (const [key, since] of held) if (at - since > holdMs + 2 * o.idleMs) held.delete(key); // ended meanwhile
    for (const plan of o.plans) {
      const out: Outgoing[] = [];
      const lags = new Map<string, Promise<number>>();
      // A lag that cannot be read holds nothing: the sweep goes on as without the check.
      const backlog = (nodeId: string): Promise<number> => {
        const node = plan.nodes.find((n) => n.id === nodeId);
        if (!node) return Promise.resolve(0);
        let lag = lags.get(nodeId);
        if (!lag) lags.set(nodeId, (lag = nodeLag(o.bus, node).catch(() => 0)));
        return lag;
      };
      for (const item of await o.ledger.stalled(plan.name, { idleMs: o.idleMs, limit })) {
        if (!item.trigger || item.tokens.length === 0) continue; // opened without a trigger to rebuild from (tests, tools)
        const base = decodeTrigger(item.trigger);
        for (const token of item.tokens) {
          const key = `${plan.name}\u0000${item.ref.messageId}\u0000${token}`;
          if ((await backlog(token.slice(0, token.indexOf('<')))) > 0) {
            const since = held.get(key) ?? at;
            held.set(key, since);
            if (at - since < holdMs) continue;
          }
          held.delete(key);
          try {
            out.push(tokenTrigger(plan, base, token));
            telemetry.opStatus(plan.name, token.slice(0, token.indexOf('<')), 'STRANDED');
          } catch (err) {
            o.onError?.(err); // a token of a node this DAG version no longer has
          }
        }
      }
      await produceAll(o.bus, out);
      produced += out.length;
    }
    return produced;
  };
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= sweep().catch((err: unknown) => o.onError?.(err)).finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
