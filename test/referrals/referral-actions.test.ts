/**
 * What the list of a case's referrals says each staff member may do on each referral now: a
 * command listed as allowed is taken, one listed as refused is refused with the code given
 * (the defender's answer recorded once, the packet only after consent and only once, a withdrawal
 * while anything is left to withdraw). The defender's list carries none.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildPacket, buildWorld, caseAt, headersOf, partnerOrg, referralAt, type Caller } from '../helpers/world.js';
import { REFERRAL_COMMANDS, type ReferralView } from '../../src/contracts/referral.js';

const T = await buildTestApp(t, { now: '2026-03-02T08:00:00.000Z' });
const { dep, officers: { awa, other } } = await buildWorld(T, { officers: ['awa', 'other'] });
const c = await caseAt(T, dep, 'protection', { officer: awa });
const org = await partnerOrg(T, dep.admin, { name: 'Avocats solidaires', username: 'avocats.partner' });

const inject = (who: Caller, method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers: headersOf(who), ...(payload ? { payload } : {}) });
async function referralOf(who: Caller, id: string): Promise<ReferralView | undefined> {
  const r = await inject(who, 'GET', `/v1/cases/${c.caseId}/referrals`);
  if (r.statusCode !== 200) throw new Error(r.body);
  return (r.json().items as ReferralView[]).find((x) => x.id === id);
}
const allowed = (r: ReferralView | undefined) => (r?.actions ?? []).filter((a) => a.allowed).map((a) => a.command).sort();
const refusal = (r: ReferralView | undefined, command: string) => r?.actions?.find((a) => a.command === command)?.refusal;
const attestation = () => ({ channel: 'phone_call', takenAt: T.clock.now().toISOString(), statement: 'Destinataire et informations lus au téléphone ; accord donné.' });

t.test('each referral lists every command with whether it is taken now, at each step', async (t) => {
  const id = await referralAt(T, c, { officer: awa, org }, 'awaiting_consent');
  let r = await referralOf(awa, id);
  t.same(r?.actions?.map((a) => a.command), [...REFERRAL_COMMANDS], 'every command, in order');
  t.same(allowed(r), ['consent', 'withdraw'], 'awaiting the answer: record it, or withdraw');
  t.equal(refusal(r, 'send'), 'consent_required', 'no packet before the consent');
  const early = await inject(awa, 'POST', `/v1/referrals/${id}/packet`, (await buildPacket(T, awa, c.dek, c.caseId, id, ['identity', 'narrative'], org.id)).body);
  t.equal(early.json().code, refusal(r, 'send'), 'refused with the code the list gave');
  const s = await referralOf(dep.supervisor, id);
  t.equal(refusal(s, 'consent'), 'forbidden', 'a supervisor does not record a consent');
  t.same(allowed(s), ['withdraw'], 'a supervisor may withdraw');
  t.equal((await inject(other, 'GET', `/v1/cases/${c.caseId}/referrals`)).statusCode, 404, 'an officer of other cases does not even see them');

  t.equal((await inject(awa, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation: attestation() })).statusCode, 200);
  r = await referralOf(awa, id);
  t.same(allowed(r), ['send', 'withdraw'], 'consented: send the packet, or withdraw');
  t.equal(refusal(r, 'consent'), 'invalid_transition', 'the answer is on record already');
  const again = await inject(awa, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation: attestation() });
  t.equal(again.json().code, refusal(r, 'consent'), 'refused with the code the list gave');

  t.equal((await inject(awa, 'POST', `/v1/referrals/${id}/packet`, (await buildPacket(T, awa, c.dek, c.caseId, id, ['identity', 'narrative'], org.id)).body)).statusCode, 200);
  r = await referralOf(awa, id);
  t.same(allowed(r), ['withdraw'], 'sent: only a withdrawal is left');
  t.equal(refusal(r, 'send'), 'invalid_transition', 'the packet went once');

  t.equal((await inject(awa, 'POST', `/v1/referrals/${id}/withdraw`, { reason: 'Besoin couvert autrement.' })).statusCode, 200);
  r = await referralOf(awa, id);
  t.same(allowed(r), [], 'a withdrawn referral takes nothing more');
  const twice = await inject(awa, 'POST', `/v1/referrals/${id}/withdraw`, { reason: 'Encore une fois.' });
  t.equal(twice.statusCode, 409);
  t.equal(twice.json().code, refusal(r, 'withdraw'), 'refused with the code the list gave');
});

t.test("the defender's list of referrals carries no commands", async (t) => {
  const id = await referralAt(T, c, { officer: awa, org }, 'awaiting_consent');
  const mine = await referralOf(c.defender, id);
  t.ok(mine, 'the defender sees the referral awaiting their answer');
  t.notOk(mine && 'actions' in mine, 'and no staff commands');
});
