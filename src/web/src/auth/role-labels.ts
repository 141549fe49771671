/** How roles read in the UI. */
import type { PlatformRole, TeamRole } from '../api/types';

export const PLATFORM_ROLE_LABELS: Record<PlatformRole, string> = {
  none: 'No platform role',
  reviewer: 'Platform reviewer',
  admin: 'Administrator',
};

export const TEAM_ROLE_LABELS: Record<TeamRole, string> = {
  viewer: 'Viewer',
  contributor: 'Contributor',
  team_lead: 'Team lead',
};
