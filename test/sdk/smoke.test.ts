import t from 'tap';
import { ready, keyIdOf, fromB64u } from '../../src/sdk/index.js';
await ready();
t.equal(keyIdOf(fromB64u('9ubtRNKlPxzmn3MbyMnLSjI-diX7YUMK8ZYOdKKdpFc')), 'DAc7wilTFmbAkvPXAeAPQQ');
