// Content writes (features with the thumbnail, OCR text) and thumbnail references. A kept
// thumbnail is referenced by (blob, content, tenant); when its last reference goes, the blob is
// recorded as an orphan and retirement deletes it once its grace period has passed.
import type { ContentFeatures, OcrLine } from './model.ts';
import { gives, lacks, type BlobRef, type ContentMilestone, type ContentPatch, type RelationStore, type WriteSet } from './relation-store.ts';

const MILESTONES: readonly ContentMilestone[] = ['contents', 'contentsWithFeatures', 'contentsWithOcr'];

export interface ContentWrite {
  sign: string;
  features?: ContentFeatures;
  thumbnailRef?: string;
  /** The tenant the thumbnail reference is recorded for (default `default`). */
  tenant?: string;
  ocrText?: string;
  ocrLines?: readonly OcrLine[];
}

export const DEFAULT_TENANT = 'default';

/** Plans content merges (distinct signs); also returns the old thumbnails' refs to drop. */
export async function planContents(store: RelationStore, inputs: readonly ContentWrite[], now: number): Promise<{ writes: WriteSet; dropRefs: BlobRef[] }> {
  const prev = await store.readContentVertices(inputs.map((c) => c.sign));
  const blobRefs: BlobRef[] = [];
  const dropRefs: BlobRef[] = [];
  const contents = inputs.map((c, i) => {
    const p = prev[i];
    if (c.thumbnailRef !== undefined) {
      blobRefs.push({ blob: c.thumbnailRef, sign: c.sign, tenant: c.tenant ?? DEFAULT_TENANT });
      if (p?.thumbnailRef !== undefined && p.thumbnailRef !== c.thumbnailRef) dropRefs.push({ blob: p.thumbnailRef, sign: c.sign, tenant: '*' });
    }
    const patch: ContentPatch = {
      ...(c.features ? { features: c.features } : {}),
      ...(c.thumbnailRef !== undefined ? { thumbnailRef: c.thumbnailRef } : {}),
      ...(c.ocrText !== undefined ? { ocrText: c.ocrText } : {}),
      ...(c.ocrLines !== undefined ? { ocrLines: c.ocrLines } : {}),
    };
    return { sign: c.sign, patch, firsts: MILESTONES.filter((m) => lacks(p, m) && gives(patch, m)) };
  });
  void now;
  return { writes: { contents, blobRefs }, dropRefs };
}

/**
 * Drops references and records the blobs left with none as orphans (before the refs go, so a
 * crash in between leaves an orphan record the sweep re-checks, never a blob nobody tracks).
 */
export async function releaseRefs(store: RelationStore, refs: readonly BlobRef[], now: number): Promise<void> {
  if (refs.length === 0) return;
  const byBlob = new Map<string, BlobRef[]>();
  for (const r of refs) byBlob.set(r.blob, [...(byBlob.get(r.blob) ?? []), r]);
  const drop: BlobRef[] = [];
  const orphans: { blob: string; sinceMs: number }[] = [];
  for (const [blob, going] of byBlob) {
    const all = await store.readBlobRefs(blob);
    const gone = all.filter((r) => going.some((g) => g.sign === r.sign && (g.tenant === '*' || g.tenant === r.tenant)));
    drop.push(...gone);
    if (gone.length === all.length) orphans.push({ blob, sinceMs: now });
  }
  if (orphans.length > 0) await store.apply({ blobOrphans: orphans });
  if (drop.length > 0) await store.remove({ blobRefs: drop });
}

export interface BlobDeleter {
  /** Deletes each blob unless it was put within the last `idleMs`; returns the refs it left. */
  deleteIdle(refs: readonly string[], idleMs: number): Promise<string[]>;
}

/**
 * Deletes orphaned blobs whose grace has passed and that still have no reference. A blob put
 * again within the grace (a new item's thumbnail whose reference is on its way) is left, with
 * its orphan record, for the next run: the put is its lease, checked and deleted in one step by
 * the blob store, so a reference recorded after this run's check never points at a deleted blob.
 */
export async function sweepBlobs(store: RelationStore, blobs: BlobDeleter, o: { beforeMs: number; graceMs: number; limit: number }): Promise<{ deleted: number; leased: number }> {
  const orphans = await store.readBlobOrphans(o);
  let deleted = 0;
  let leased = 0;
  for (const { blob } of orphans) {
    const refs = await store.readBlobRefs(blob);
    if (refs.length === 0) {
      if ((await blobs.deleteIdle([blob], o.graceMs)).length > 0) {
        leased++;
        continue;
      }
      deleted++;
    }
    await store.remove({ blobOrphans: [blob] });
  }
  return { deleted, leased };
}
