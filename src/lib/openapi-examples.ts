/**
 * Example values for the OpenAPI document, made once with the SDK (src/sdk) so that they have
 * the exact shape a real client sends. They open nothing: the keys that made them were thrown
 * away. test/api/openapi.test.ts checks every example against its route's schema.
 */
export const ex = {
  caseId: '16dedd3f-920d-452c-a95a-dfdd9a870677',
  userId: '3f1c2a9e-5b7d-4e8a-9c0f-2d6b8e4a1c37',
  orgId: '8a4e1f0c-2b7d-4c9e-a1f3-5d6b7c8e9f01',
  messageId: '5b0e9c1d-7a2f-4e3b-8c6d-1f2a3b4c5d6e',
  /** a partner organisation: an NGO or lawyers' network a referral goes to */
  partnerOrgId: '0a8a047c-0b98-4289-a373-58a892de6eb8',
  /** a partner organisation of category state_authority */
  stateOrgId: '20390f0e-9520-4c53-a4d6-b17b736f8f89',
  assessmentId: '10a62d67-8677-4284-891f-9d38dacc0352',
  measureId: '301bf28b-e38d-49d4-878e-cb5bb08a9ac8',
  referralId: '2bf2c7cc-fa34-46f0-8040-9a10b91f91fb',
  reportId: '154f20e8-151b-4520-8e0e-fe31cb7082f5',
  appealId: 'df94388b-024f-43e2-9ebc-20aa85f951a8',
  /** an evidence file of a case (its id, chosen by the uploading client) */
  fileId: '7c1d9e2a-4b3f-4a6e-9d8c-0e5f1a2b3c4d',
  /** sealed fields as clients write them: format 2, the JSON padded to 64 bytes before encryption */
  sealed: 'v2.RmbSvxaPv2QZpu15qbRuP5W3e6XTzyzU.qhipuhOk-JeZdAPTSL9IJsppxV9xXMeR0c3rNPm6FKJWZlpg8jrLEt5vWGPLdU9kxiawt0qzcHW7ifYqSRXM9YL2GkHFd5zNhr7FDIJDL1A',
  sealed2: 'v2.OcGjLQ8LCR-jqK_HHNoK8Ggq9m-NiAXc.lXaKEKpYrtIMiCbD4gBkeUzv--H03XbTPDsafAHxDhRNpR9WX7-ri3PvreSHQ6HVWoI7t_Py0JbxZ_cVsddOM9_fAeRt66B9eZ6gxA_Hy5g',
  sealed3: 'v2.Kqtw3aQVxCi4adD7gyRCccIxw5nuBYo1.eF0AEn4OH20Jgre4FSLd0MaGTjNEeM9P1kmFAGvMLEvCrfIwD2l6851DnZB30SIIAH7NSH-B9wKTaEFsK0tA0GR0XQN-TCFw8NYpchMMOD0',
  envelope: 'v1.qxUuGohyUexMM7Hkeqvan0qiu4TxFcGWZxz2vjdXWQPwQ0vy65p7XT4FEmy5SI14xKOhV_J0egM0FBWCsQThIphWYT9x65nikx4Tfrx8pbE',
  envelope2: 'v1.ZYLo2sMxGpYtYo8h39-j2DSSGzos9e3D7tHruaA-c0G4qIfzrr5ycTU8KXZ1pZBw_OTTIzujBRLjmUd8Cs7YGYsxIQCbzS2G-rx8sQJ0Fjk',
  keyId: 'brGNc42rPitRlPwr39AUVA',
  keyId2: 'C2p6JuYmfYgKK3u3R9k-vw',
  publicKey: 'zmvbALijYIYRSM5VQ2ckSXEjhBQEMGkHSXKUVxhaahw',
  /** an organisation key pair's public half and its keyId (keyIdOf(orgPublicKey)) */
  orgPublicKey: 'GY9sqRBli4zvEOe3EtJskatIN6s_MCsE6u8V0G7VglA',
  orgKeyId: 'enUDVGXuefIFSe4UlQKxsQ',
  /** a staff member's key */
  memberKeyId: 'I4RDbcmGoLxtdbELA6Xu1Q',
  /** the organisation private key above sealed to that member (sealKeyringEntry): v1.<sealed box, 80 bytes> */
  keyringEntry: 'v1.pBYVuDo36g-MZ0J7H8sdG0Z2xFP6tQA-Yk-VGmFIvDhJy2DwOdyxwrrLR4O75rhOUimyW2gfnkNbA1uMeQg_eEplv_O4mtCnTLbtPcnCEJE',
  /** 32 bytes, base64url: an authKey, a verifier, a refresh token, an invitation token */
  b64u32: '0AzjDb1po2wumkmo_40nffOxIxhZ6XjN1WP4gjalm8E',
  b64u32b: 'Vd2nQ8kLr5TtXw0yZa3Bc4De6Fg7Hi8Jk9Lm1No2Pq4',
  salt: 'BwcHBwcHBwcHBwcHBwcHBw',
  /** a private key wrapped with secretbox: v1.<nonce>.<ciphertext> */
  wrap: 'v1.Q2hhbmdlIG1lIHRvIHlvdXIgb3duIG5vbmNl.kR7tY0pX3vB9nM2qL6wE1sD4fG8hJ5kZ0aS7dF3gH9jK2lQ6wE8rT1yU4iO7pA3sD5fG8hJ1kL',
  totp: '492039',
  /** A TOTP secret as an authenticator makes it (random: a repeated pattern is refused as weak). */
  totpSecret: 'CYIQRFUPQCWD6H2PH7MIJV6XBJZ4TB2U',
  username: 'officier.awa',
  reason: 'Motif consigné au dossier, sans détail sensible',
} as const;

/** A filing as prepareFiling makes it (the body of POST /v1/cases). */
export const filingExample = {
  caseId: ex.caseId,
  metadata: { region: 'mopti', defenderCategory: 'journalist', gender: 'female', disability: 'none', threatTypes: ['death_threat'], claimedUrgent: true, preferredLanguage: 'fr', contactChannel: 'signal', filedFor: 'self' },
  fields: { identity: ex.sealed, contact: ex.sealed2, narrative: ex.sealed3 },
  envelopes: { mechanism: { keyId: ex.keyId, envelope: ex.envelope }, defender: { keyId: ex.keyId2, publicKey: ex.publicKey, envelope: ex.envelope2 } },
  receiptVerifier: ex.b64u32,
};
