export * from './actor.js';
export { forbid, requireAdmin, requireReader, requireReviewer, requireScope, requireTeamRole, requireUser, requireWriter, seesUnpublished } from './policy.js';
export { createIdentityService, type ExternalIdentity, type FirstAdmin, type IdentityService, type MeView, type TokenView, type UserInput } from './service.js';
export { mapGroups, groupsFrom, type GroupGrants, type GroupRules } from './oidc-groups.js';
export {
  createOidcSignIn,
  OIDC_COOKIE,
  OIDC_COOKIE_PATH,
  OIDC_FLOW_SECONDS,
  safeReturnTo,
  signinErrorOf,
  SIGNIN_ERRORS,
  type OidcSignIn,
  type SigninError,
} from './oidc.js';
