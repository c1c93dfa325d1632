/**
 * What the console's crypto worker makes a case searchable by, from its opened identity and
 * contact as the filings seal them: `{ name }` / `{ text }` (the defender page) or plain strings.
 */
import t from 'tap';
import { searchableOf } from '../../web/console/search/searchable.js';

t.test('the name from either shape of the identity', async (t) => {
  t.equal(searchableOf({ name: 'Aïssata Traoré' }, null).name, 'Aïssata Traoré');
  t.equal(searchableOf('Oumar Keïta', null).name, 'Oumar Keïta');
  t.equal(searchableOf({ other: 'x' }, null).name, '', 'no name field: nothing');
  t.equal(searchableOf(null, null).name, '');
});

t.test('the phone numbers written in a contact text, as written', async (t) => {
  t.same(searchableOf(null, { text: 'Appeler le +223 76 12 34 56 le soir,\nou son frère au 66-00-11-22.' }).phones, ['+223 76 12 34 56', '66-00-11-22']);
  t.same(searchableOf(null, '0022376123456').phones, ['0022376123456']);
  t.same(searchableOf(null, { text: 'Signal seulement, pas de téléphone' }).phones, []);
  t.same(searchableOf(null, { text: 'Code 1234' }).phones, [], 'too short to be a phone');
  t.same(searchableOf(null, { text: '76 12 34 56 ou 76.12.34.56' }).phones, ['76 12 34 56', '76.12.34.56'], 'each as written; the tokens dedupe');
});
