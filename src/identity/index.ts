export * from './actor.js';
export { forbid, requireAdmin, requireReader, requireReviewer, requireScope, requireTeamRole, requireUser, seesUnpublished } from './policy.js';
export { createIdentityService, type IdentityService, type MeView, type TokenView, type UserInput } from './service.js';
