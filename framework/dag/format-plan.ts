// `quarry plan`: the compiled plan as text a person can check.
import type { DagPlan } from './compile-dag.ts';

export function formatPlan(plan: DagPlan): string {
  const lines = [
    `DAG ${plan.name} v${plan.version}`,
    `  entry: ${plan.entry}`,
    `  source fields: ${plan.source.join(', ') || '-'}`,
    `  blob fields: ${plan.blobs.join(', ') || '-'}`,
    `  kept fields: ${plan.keep.join(', ') || '-'}`,
    `  retry topics: ${plan.topics.retry.join(', ')}`,
    `  dead-letter topic: ${plan.topics.deadLetter}; quarantine: ${plan.topics.quarantine}`,
    '',
  ];
  for (const id of plan.order) {
    const n = plan.nodes.find((x) => x.id === id)!;
    const what = n.kind === 'operator' ? `operator ${n.operator}` : n.kind === 'filter' ? `filter (${n.filter?.reason})` : `deferred edge → DAG ${n.defer?.dag}`;
    lines.push(`  [${n.id}] ${what}${n.join ? '  (join)' : ''}`);
    lines.push(`      topic ${n.topic} (high priority: ${n.highTopic})`);
    if (n.predecessors.length) lines.push(`      after: ${n.predecessors.join(', ')}`);
    lines.push(`      reads: ${n.reads.join(', ') || '-'}`);
    if (n.kind === 'operator') {
      lines.push(`      writes: ${n.writes.join(', ') || '-'}${n.deadWrites.length ? `   (dead, never stored: ${n.deadWrites.join(', ')})` : ''}`);
      lines.push(`      timeout ${n.timeoutMs} ms, ${n.retry.maxAttempts} attempts (backoff ${n.retry.backoffMs}…${n.retry.maxBackoffMs} ms), concurrency ${n.concurrency}, ${n.resource}`);
      if (n.fanOut.length) lines.push(`      fan-out into: ${n.fanOut.join(', ')}`);
      if (n.fallback) lines.push(`      fallback: ${n.fallback}`);
      if (n.shadow) lines.push(`      shadow: ${n.shadow.operator} (${+(n.shadow.share * 100).toFixed(2)}% of items)`);
      if (n.pools) lines.push(`      pools: ${Object.entries(n.pools).map(([tenant, op]) => `${tenant} → ${op}`).join(', ')}`);
    }
    if (n.releases.length) lines.push(`      releases after: ${n.releases.join(', ')}`);
  }
  return lines.join('\n');
}
