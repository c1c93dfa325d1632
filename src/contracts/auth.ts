import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { AccountReply, ChangePasswordBody, LoginBody, PreloginBody, PreloginReply, RecoveryFinishBody, RecoveryStartBody, RecoveryStartReply, RefreshBody, TokenReply, TotpResetFinishBody } from './auth-shapes.js';
import { operation } from './operation.js';

export const prelogin = operation('prelogin', { security: [], tags: ['auth'], summary: 'KDF parameters and salt for a username', body: PreloginBody, response: responses({ 200: PreloginReply }, [429]) });

export const login = operation('login', { security: [], tags: ['auth'], summary: 'Log in with authKey and a TOTP code (throttled per account and address; 429 `totp_locked` after repeated wrong codes)', body: LoginBody, response: responses({ 200: TokenReply }, [401, 429]) });

export const refreshSession = operation('refreshSession', { security: [], tags: ['auth'], summary: 'Rotate a refresh token (reuse ends the session)', body: RefreshBody, response: responses({ 200: TokenReply }, [401, 429]) });

export const logout = operation('logout', { tags: ['auth'], summary: 'End the current session', security: [{ bearer: [] }], response: responses({ 204: Type.Null() }, [401]) });

export const logOutEverywhere = operation('logOutEverywhere', {
  tags: ['auth'],
  summary: "End every session of the caller's account, the current one included: every access and refresh token stops working (a defender: every session of their receipt)",
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ sessionsEnded: Type.Integer({ minimum: 1, description: 'how many sessions were ended, the current one included' }) }) }, [401]),
});

export const getMe = operation('getMe', { tags: ['auth'], summary: 'Own account and key bundle', security: [{ bearer: [] }], response: responses({ 200: AccountReply }, [401, 403]) });

export const changePassword = operation('changePassword', { tags: ['auth'], summary: 'Change password (client re-wraps the private key)', security: [{ bearer: [] }], body: ChangePasswordBody, response: responses({ 204: Type.Null() }, [401, 403, 429]) });

export const startRecovery = operation('startRecovery', { security: [], tags: ['auth'], summary: 'Start recovery with the recovery code: returns the recovery wrap and a challenge', body: RecoveryStartBody, response: responses({ 200: RecoveryStartReply }, [429]) });

export const finishRecovery = operation('finishRecovery', { security: [], tags: ['auth'], summary: 'Finish recovery: prove the key, set a new password and a new recovery wrap; all sessions end', body: RecoveryFinishBody, response: responses({ 204: Type.Null() }, [401, 429]) });

export const finishTotpReset = operation('finishTotpReset', {
  security: [],
  tags: ['auth'],
  summary: 'Finish a TOTP reset an admin started: the reset token and the password, then a new TOTP secret on the same account; all sessions end',
  body: TotpResetFinishBody,
  response: responses({ 204: Type.Null() }, [401, 429]),
});
