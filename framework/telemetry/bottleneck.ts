// Which node limits throughput now: a pure decision over per-node load figures, so the miner's
// metric, the dashboard and `quarry top` all name the same node for the same figures.

export interface NodeLoad {
  dag: string;
  node: string;
  /** Busy time ÷ capacity over the window (0 = idle, 1 = every slot busy); undefined when capacity is unknown. */
  utilisation: number | undefined;
  /** Triggers waiting for the node (consumer lag) now. */
  lag: number;
  /** Change of the lag per second over the window (> 0: the queue grows). */
  lagGrowthPerSec: number;
}

export interface Bottleneck extends NodeLoad {
  /** What a person reads next to the marker. */
  why: string;
}

/** Busy share from which a node counts as saturated even while its queue holds steady. */
export const SATURATED = 0.8;
/** Below this busy share a growing queue means nobody consumes it, not that the node is slow. */
const IDLE = 0.2;

const pct = (u: number) => `${Math.round(u * 100)}%`;

function score(l: NodeLoad): number {
  const u = Math.min(1, l.utilisation ?? 0);
  const growing = l.lag > 0 && l.lagGrowthPerSec > 0;
  // A queue that grows is the strongest sign: arrivals outrun the node. Saturation alone is next.
  // A growing queue at an idle node is an outage of its consumers, which limits everything too.
  if (growing) return 2 + u;
  return u >= SATURATED ? u : 0;
}

/**
 * The node that limits throughput now, or undefined when every node keeps up (throughput is then
 * set by what arrives). Ranking: a growing queue first (busier first, then faster growth, then
 * longer queue), then saturation (busier first).
 */
export function findBottleneck(loads: readonly NodeLoad[]): Bottleneck | undefined {
  const ranked = loads
    .map((l) => ({ l, s: score(l) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || b.l.lagGrowthPerSec - a.l.lagGrowthPerSec || b.l.lag - a.l.lag || `${a.l.dag}/${a.l.node}`.localeCompare(`${b.l.dag}/${b.l.node}`));
  const top = ranked[0]?.l;
  if (!top) return undefined;
  const u = top.utilisation;
  const growth = Math.abs(top.lagGrowthPerSec) >= 0.05 ? ` (${top.lagGrowthPerSec > 0 ? '+' : ''}${top.lagGrowthPerSec.toFixed(1)}/s)` : '';
  const queue = top.lag > 0 ? `, ${top.lag} waiting${growth}` : '';
  const why = top.lag > 0 && top.lagGrowthPerSec > 0 && (u ?? 0) < IDLE
    ? `queue grows while the node is idle${u === undefined ? '' : ` (${pct(u)} busy)`}: is a miner consuming it?${queue}`
    : `busy ${u === undefined ? '?' : pct(u)} of capacity${queue}`;
  return { ...top, why };
}
