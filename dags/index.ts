/**
 * The DAGs users run. Each file default-exports a DagSpec; this list is what `quarry run`
 * and `quarry miner` load when no file is named.
 */
import imageIngest from './image-ingest.ts';
import ocrIngest from './ocr-ingest.ts';
import pageIngest from './page-ingest.ts';

export const imageIngestionDags = [pageIngest, imageIngest, ocrIngest] as const;
export { pageIngest, imageIngest, ocrIngest };
