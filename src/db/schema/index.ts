export * from './identity.js';
export * from './audit.js';
export * from './cases.js';
export * from './protection.js';
export * from './escalation.js';
export * from './notifications.js';
export * from './break-glass.js';
export * from './saved-views.js';
