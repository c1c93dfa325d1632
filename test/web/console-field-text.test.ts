/** The console shows the words of an opened sealed field, whichever shape the client sealed it in. */
import t from 'tap';
import { fieldText } from '../../web/console/case/field-text.js';

t.test('the shapes clients seal fields in', async (t) => {
  t.equal(fieldText('Oumar Keïta'), 'Oumar Keïta', 'a plain string (the SDK)');
  t.equal(fieldText({ name: 'Aïssata Traoré' }), 'Aïssata Traoré', 'the defender page’s identity');
  t.equal(fieldText({ text: 'Menaces devant la maison' }), 'Menaces devant la maison', 'the defender page’s narrative');
  t.equal(fieldText({ town: 'Gao', district: 'Château' }), 'town: Gao\ndistrict: Château', 'several parts, one line each');
  t.equal(fieldText({ nested: { a: 1 } }), '{"nested":{"a":1}}', 'anything else as it was sealed');
  t.equal(fieldText(['a', 'b']), '["a","b"]');
  t.equal(fieldText(42), '42');
});
