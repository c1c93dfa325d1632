/** Evidence files through the API on the disk store (FILE_STORE=disk): the shared suite, file-suite.ts. */
import t from 'tap';
import { fileSuite } from './file-suite.js';

await fileSuite(t, 'disk');
