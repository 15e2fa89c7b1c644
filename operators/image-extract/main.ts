// Serves the image-extract operator over gRPC.
//   PORT=50062 npx tsx operators/image-extract/main.ts
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createImageExtractOperator } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const maxImages = num(env.QUARRY_MAX_IMAGES);
const maxLinks = num(env.QUARRY_MAX_LINKS);
const extract = createImageExtractOperator({
  ...(env.QUARRY_IMAGE_DAG ? { imageDag: env.QUARRY_IMAGE_DAG } : {}),
  ...(env.QUARRY_PAGE_DAG ? { pageDag: env.QUARRY_PAGE_DAG } : {}),
  ...(maxImages === undefined ? {} : { maxImages }),
  ...(maxLinks === undefined ? {} : { maxLinks }),
});
const server = await serveOperators([extract], { host: env.HOST ?? '127.0.0.1', port: num(env.PORT) ?? 0 });
console.log(`image-extract listening on ${server.address}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
