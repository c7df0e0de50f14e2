import type * as S3Sdk from '@aws-sdk/client-s3';
import { optionalDriver } from '../common/optional-driver';

/**
 * The SDK is loaded when the first S3 disk is made: an app that only writes to local disk never
 * pays its start-up time and its ~10 MB of memory, and need not install its 22 MB (optional peer).
 */
let sdk: typeof S3Sdk | undefined;
export const s3 = (): typeof S3Sdk => (sdk ??= optionalDriver<typeof S3Sdk>('@aws-sdk/client-s3', 'An S3 disk'));
