import type { MembershipRole } from "../../db/schema.js";

/** Whether a member in this role manages the org (its connections, its members): owners and admins. */
export const managesOrg = (role: MembershipRole | undefined): boolean => role === "owner" || role === "admin";
