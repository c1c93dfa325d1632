/** Evidence files through the API on an S3 store (FILE_STORE=s3, a local s3rver): the shared suite, file-suite.ts. */
import t from 'tap';
import { fileSuite } from './file-suite.js';

await fileSuite(t, 's3');
