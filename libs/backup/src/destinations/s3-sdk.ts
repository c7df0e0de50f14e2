import type * as S3Sdk from '@aws-sdk/client-s3';

/**
 * The SDK is loaded when the first S3 disk is made: an app that only writes to local disk never
 * pays its start-up time and its ~10 MB of memory.
 */
let sdk: typeof S3Sdk | undefined;
export const s3 = (): typeof S3Sdk => (sdk ??= require('@aws-sdk/client-s3') as typeof S3Sdk);
