/**
 * Every operation of the API by operationId: its method and URL. Kept apart from the schemas
 * (src/contracts/<area>.ts) so that the browser's client carries this table and not TypeBox.
 * The case transitions are not here: policies/workflow.yaml makes them (see case-workflow.ts).
 */
export const ROUTES = {
  // appeal
  fileAppeal: ['POST', '/v1/cases/:caseId/appeals'],
  decideAppeal: ['POST', '/v1/appeals/:appealId/decision'],
  listCaseAppeals: ['GET', '/v1/cases/:caseId/appeals'],
  // approvals
  listApprovals: ['GET', '/v1/approvals'],
  // assessment
  recordAssessment: ['POST', '/v1/cases/:caseId/assessments'],
  listCaseAssessments: ['GET', '/v1/cases/:caseId/assessments'],
  // audit
  listAuditEvents: ['GET', '/v1/audit/events'],
  exportAuditLog: ['GET', '/v1/audit/export'],
  getAuditHead: ['GET', '/v1/audit/head'],
  getAuditCheckpoints: ['GET', '/v1/audit/checkpoints'],
  verifyAuditChain: ['POST', '/v1/audit/verify'],
  // auth
  prelogin: ['POST', '/v1/auth/prelogin'],
  login: ['POST', '/v1/auth/login'],
  refreshSession: ['POST', '/v1/auth/refresh'],
  logout: ['POST', '/v1/auth/logout'],
  getMe: ['GET', '/v1/me'],
  changePassword: ['POST', '/v1/me/password'],
  startRecovery: ['POST', '/v1/auth/recovery/start'],
  finishRecovery: ['POST', '/v1/auth/recovery/finish'],
  finishTotpReset: ['POST', '/v1/auth/totp-reset'],
  logOutEverywhere: ['POST', '/v1/me/sessions/revoke'],
  // break-glass
  openBreakGlass: ['POST', '/v1/cases/:caseId/break-glass'],
  // case-list
  listCases: ['GET', '/v1/cases'],
  // case-rekey
  getCaseRekeyBundle: ['GET', '/v1/cases/:caseId/rekey'],
  rekeyCase: ['POST', '/v1/cases/:caseId/rekey'],
  // case-receipt
  reissueReceipt: ['POST', '/v1/cases/:caseId/receipt'],
  // case
  fileCase: ['POST', '/v1/cases'],
  fileCaseOnBehalf: ['POST', '/v1/cases/on-behalf'],
  loginWithReceipt: ['POST', '/v1/auth/receipt'],
  getCase: ['GET', '/v1/cases/:caseId'],
  grantCaseEnvelope: ['POST', '/v1/cases/:caseId/envelopes'],
  getCaseSealed: ['GET', '/v1/cases/:caseId/sealed'],
  // case-export
  recordCaseExport: ['POST', '/v1/cases/:caseId/exports'],
  // case-timeline
  getCaseTimeline: ['GET', '/v1/cases/:caseId/timeline'],
  // case-withdrawal
  withdrawCaseConsent: ['POST', '/v1/cases/:caseId/withdraw'],
  // console
  getConsoleSettings: ['GET', '/v1/console/settings'],
  getConsoleCatalogues: ['GET', '/v1/console/catalogues'],
  // deadline-view
  listDeadlines: ['GET', '/v1/deadlines'],
  listCaseDeadlines: ['GET', '/v1/cases/:caseId/deadlines'],
  // admin-health
  getAdminHealth: ['GET', '/v1/admin/health'],
  // policy-view
  getPolicies: ['GET', '/v1/policies'],
  // statistics
  getStatsCatalogue: ['GET', '/v1/stats/catalogue'],
  getStatsTable: ['GET', '/v1/stats/table'],
  exportStatsTable: ['GET', '/v1/stats/table/csv'],
  getStatsResponseTimes: ['GET', '/v1/stats/response-times'],
  getStatsWorkload: ['GET', '/v1/stats/workload'],
  getServiceStats: ['GET', '/v1/stats/service'],
  getStatsReport: ['GET', '/v1/stats/reports/:year'],
  getStatsReportTable: ['GET', '/v1/stats/reports/:year/tables/:tableId'],
  exportStatsReportTable: ['GET', '/v1/stats/reports/:year/tables/:tableId/csv'],
  publishStatsReport: ['POST', '/v1/stats/reports/:year/publication'],
  getStatsPublication: ['GET', '/v1/stats/reports/:year/publication'],
  // key
  getIntakeKey: ['GET', '/v1/keys/intake'],
  // page
  getPageSettings: ['GET', '/v1/page/settings'],
  // measure
  getMeasureCatalogue: ['GET', '/v1/measures/catalogue'],
  listCaseMeasures: ['GET', '/v1/cases/:caseId/measures'],
  proposeMeasure: ['POST', '/v1/cases/:caseId/measures'],
  consentToMeasure: ['POST', '/v1/measures/:measureId/consent'],
  decideMeasure: ['POST', '/v1/measures/:measureId/decision'],
  confirmMeasure: ['POST', '/v1/measures/:measureId/confirm'],
  implementMeasure: ['POST', '/v1/measures/:measureId/implement'],
  activateMeasure: ['POST', '/v1/measures/:measureId/activate'],
  reviewMeasure: ['POST', '/v1/measures/:measureId/review'],
  liftMeasure: ['POST', '/v1/measures/:measureId/lift'],
  // files
  createUpload: ['POST', '/v1/uploads'],
  getUploadOffset: ['HEAD', '/v1/uploads/:fileId'],
  appendUpload: ['PATCH', '/v1/uploads/:fileId'],
  abandonUpload: ['DELETE', '/v1/uploads/:fileId'],
  attachCaseFile: ['PUT', '/v1/cases/:caseId/files/:fileId'],
  listCaseFiles: ['GET', '/v1/cases/:caseId/files'],
  getCaseFileContent: ['GET', '/v1/cases/:caseId/files/:fileId/content'],
  getCaseFileTimestamp: ['GET', '/v1/cases/:caseId/files/:fileId/timestamp'],
  getFileSettings: ['GET', '/v1/files/settings'],
  // message
  sendMessage: ['POST', '/v1/cases/:caseId/messages'],
  listCaseMessages: ['GET', '/v1/cases/:caseId/messages'],
  markMessagesRead: ['POST', '/v1/cases/:caseId/messages/read'],
  // note
  createStaffKey: ['POST', '/v1/cases/:caseId/staff-key'],
  createNote: ['POST', '/v1/cases/:caseId/notes'],
  listCaseNotes: ['GET', '/v1/cases/:caseId/notes'],
  // notification
  listNotifications: ['GET', '/v1/notifications'],
  markNotificationRead: ['POST', '/v1/notifications/:id/read'],
  markAllNotificationsRead: ['POST', '/v1/notifications/read-all'],
  listCaseNotices: ['GET', '/v1/cases/:caseId/notices'],
  // webhook
  createWebhook: ['POST', '/v1/orgs/:orgId/webhooks'],
  listWebhooks: ['GET', '/v1/orgs/:orgId/webhooks'],
  disableWebhook: ['POST', '/v1/orgs/:orgId/webhooks/:id/disable'],
  listWebhookDeliveries: ['GET', '/v1/orgs/:orgId/webhooks/:id/deliveries'],
  pingWebhook: ['POST', '/v1/orgs/:orgId/webhooks/:id/ping'],
  redeliverWebhookDelivery: ['POST', '/v1/orgs/:orgId/webhooks/:id/deliveries/:deliveryId/redeliver'],
  // org
  createOrg: ['POST', '/v1/orgs'],
  listOrgs: ['GET', '/v1/orgs'],
  listOrgKeys: ['GET', '/v1/orgs/:orgId/keys'],
  createOrgKey: ['POST', '/v1/orgs/:orgId/keys'],
  listOrgKeyring: ['GET', '/v1/orgs/:orgId/keyring'],
  addOrgKeyringEntry: ['POST', '/v1/orgs/:orgId/keyring'],
  removeOrgKeyringMember: ['DELETE', '/v1/orgs/:orgId/keyring/:userId'],
  // referral
  proposeReferral: ['POST', '/v1/cases/:caseId/referrals'],
  listCaseReferrals: ['GET', '/v1/cases/:caseId/referrals'],
  listReferrals: ['GET', '/v1/referrals'],
  getReferral: ['GET', '/v1/referrals/:referralId'],
  consentToReferral: ['POST', '/v1/referrals/:referralId/consent'],
  uploadReferralPacket: ['POST', '/v1/referrals/:referralId/packet'],
  acceptReferral: ['POST', '/v1/referrals/:referralId/accept'],
  declineReferral: ['POST', '/v1/referrals/:referralId/decline'],
  addReferralReport: ['POST', '/v1/referrals/:referralId/reports'],
  withdrawReferral: ['POST', '/v1/referrals/:referralId/withdraw'],
  // retention
  listRetentionDue: ['GET', '/v1/retention'],
  purgeCase: ['POST', '/v1/cases/:caseId/purge'],
  holdRetention: ['POST', '/v1/cases/:caseId/retention-hold'],
  releaseRetentionHold: ['POST', '/v1/cases/:caseId/retention-hold/release'],
  // staff-directory
  listStaffDirectory: ['GET', '/v1/staff'],
  // staff-oversight
  getStaffLoad: ['GET', '/v1/staff/load'],
  getStaffHoldings: ['GET', '/v1/staff/:userId/holdings'],
  // user-key
  getUserPublicKey: ['GET', '/v1/users/:userId/public-key'],
  // user
  inviteUser: ['POST', '/v1/invitations'],
  completeEnrolment: ['POST', '/v1/enrolments'],
  listUsers: ['GET', '/v1/users'],
  disableUser: ['POST', '/v1/users/:userId/disable'],
  enableUser: ['POST', '/v1/users/:userId/enable'],
  startTotpReset: ['POST', '/v1/users/:userId/totp-reset'],
  listInvitations: ['GET', '/v1/invitations'],
  resendInvitation: ['POST', '/v1/invitations/:invitationId/resend'],
  revokeInvitation: ['POST', '/v1/invitations/:invitationId/revoke'],
  // case-workflow
  setCaseUrgency: ['POST', '/v1/cases/:caseId/urgency'],
  setCaseVerification: ['POST', '/v1/cases/:caseId/verification'],
  // case-report
  reportIncident: ['POST', '/v1/cases/:caseId/incidents'],
  checkIn: ['POST', '/v1/cases/:caseId/checkins'],
  raiseAlert: ['POST', '/v1/cases/:caseId/alerts'],
  listCaseReports: ['GET', '/v1/cases/:caseId/reports'],
  // custody
  getCustody: ['GET', '/v1/custody'],
  recordCustodyBackup: ['POST', '/v1/custody/backups'],
  startCustodyRestore: ['POST', '/v1/custody/restore/challenge'],
  finishCustodyRestore: ['POST', '/v1/custody/restore'],
  getCustodyRewrap: ['GET', '/v1/custody/rewrap'],
  rewrapCustodyCase: ['POST', '/v1/custody/rewrap/:caseId'],
  // search
  createSearchKeyring: ['POST', '/v1/search-key'],
  getOwnSearchKey: ['GET', '/v1/me/search-key'],
  listSearchKeyring: ['GET', '/v1/search-key/entries'],
  grantSearchKey: ['POST', '/v1/search-key/entries'],
  removeSearchKeyEntry: ['DELETE', '/v1/search-key/entries/:userId'],
  reissueSearchKey: ['POST', '/v1/search-key/reissue'],
  getSearchReindex: ['GET', '/v1/search-key/reindex'],
  reindexSearchCase: ['POST', '/v1/search-key/reindex/:caseId'],
  putCaseSearchTokens: ['PUT', '/v1/cases/:caseId/search-tokens'],
  searchCases: ['POST', '/v1/cases/search'],
  // case-actions
  getCaseActions: ['GET', '/v1/cases/:caseId/actions'],
  // case-list
  countCases: ['GET', '/v1/cases/counts'],
  // saved-view
  listSavedViews: ['GET', '/v1/me/views'],
  createSavedView: ['POST', '/v1/me/views'],
  deleteSavedView: ['DELETE', '/v1/me/views/:id'],
  // on-call
  getOnCallRoster: ['GET', '/v1/on-call/roster'],
  replaceOnCallRoster: ['PUT', '/v1/on-call/roster'],
  listMyPages: ['GET', '/v1/on-call/pages'],
  acknowledgePage: ['POST', '/v1/on-call/pages/:id/acknowledge'],
} as const satisfies Record<string, readonly ['GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', `/${string}`]>;

export type OperationId = keyof typeof ROUTES;

/** The URL of a case transition of policies/workflow.yaml: its name with dashes, under the case. */
export const transitionPath = (name: string): string => `/v1/cases/:caseId/${name.replace(/_/g, '-')}`;
