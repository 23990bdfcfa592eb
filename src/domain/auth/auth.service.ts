import type { Kysely } from "kysely";
import { newId } from "../new-id.js";
import type { Database } from "../../db/schema.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { RateLimitStore } from "../../ratelimit/interface.js";
import { generateOpaqueToken, hashOpaqueToken } from "../../secrets/opaque-token.js";
import type { Actor, RequestMeta, UserActor } from "../actor.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import { AppError } from "../errors.js";
import type { SettingsService } from "../settings/settings.service.js";
import type { IdentityLookup } from "../users/identity.js";
import type { UserView } from "../users/users.schemas.js";
import type { UsersRepo } from "../users/users.repo.js";
import { normalizeEmail, toUserView } from "../users/user-view.js";
import { parseInput } from "../validate.js";
import type { AccessTokens } from "./access-token.js";
import { LoginBody, RefreshBody, RegisterBody } from "./auth.schemas.js";
import type { BootstrapClaimsRepo } from "./bootstrap-claims.repo.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { SessionsRepo } from "./sessions.repo.js";

export interface TokenPair {
  user: UserView;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

const REFRESH_TOKEN_PREFIX = "syr_";
const REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Failed logins allowed per window before 429: per account, and per client address. Attempts are
 * counted before the password is checked, so concurrent guesses cannot exceed these.
 */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60 * 1000,
  perAccount: 5,
  perAddress: 30,
};

/** Rolls back a registration that lost the first-admin claim, so it can run again as a later one. */
class FirstAdminTaken extends Error {}

export interface AuthServiceDeps {
  db: Kysely<Database>;
  users: Pick<UsersRepo, "count" | "findByEmail" | "findById" | "insert" | "rolesOf">;
  claims: Pick<BootstrapClaimsRepo, "claim">;
  sessions: Pick<
    SessionsRepo,
    | "insertFamily"
    | "insert"
    | "findByTokenHash"
    | "isFamilyRevoked"
    | "markRotated"
    | "revokeFamily"
    | "familyOf"
  >;
  identities: Pick<IdentityLookup, "byId">;
  passwords: PasswordHasher;
  accessTokens: Pick<AccessTokens, "issue">;
  settings: Pick<SettingsService, "get">;
  throttle: RateLimitStore;
  audit: AuditRecorder;
}

/** Registration, login, refresh-token rotation and logout. The per-request check is the Authenticator. */
export function createAuthService(deps: AuthServiceDeps) {
  async function issueTokens(user: UserView, meta: RequestMeta, familyId: string): Promise<TokenPair> {
    const refreshToken = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
    const sessionId = newId();
    await deps.sessions.insert({
      id: sessionId,
      userId: user.id,
      familyId,
      refreshTokenHash: hashOpaqueToken(refreshToken),
      expiresAt: new Date(Date.now() + REFRESH_TTL_MS),
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    const ttl = await deps.settings.get("auth.access_token_ttl_seconds");
    return {
      user,
      access_token: await deps.accessTokens.issue({ userId: user.id, sessionId }, ttl),
      refresh_token: refreshToken,
      token_type: "Bearer",
      expires_in: ttl,
    };
  }

  /** A new login: its own family, so revoking it later leaves the user's other logins alone. */
  async function startLogin(user: UserView, meta: RequestMeta): Promise<TokenPair> {
    const familyId = newId();
    await deps.sessions.insertFamily({ id: familyId, userId: user.id });
    return issueTokens(user, meta, familyId);
  }

  const actorFor = (user: UserView, meta: RequestMeta): UserActor => ({
    kind: "user",
    userId: user.id,
    roles: user.roles,
    via: "internal",
    meta,
  });

  return {
    /**
     * The first account becomes admin; after that, only while `auth.registration` is open. Of
     * concurrent registrations on an empty database one wins the first-admin claim and the others
     * run again as later registrations.
     */
    async register(input: unknown, meta: RequestMeta): Promise<TokenPair> {
      const body = parseInput(RegisterBody, input);
      const email = normalizeEmail(body.email);
      const passwordHash = await deps.passwords.hash(body.password);
      const id = newId();
      let roles: string[] = [];
      // Read before the transaction: on SQLite a read outside it would wait for the one connection
      // the transaction holds.
      const open = (await deps.settings.get("auth.registration")) === "open";
      const attempt = (mayBeFirst: boolean) =>
        deps.db.transaction().execute(async (trx) => {
          // Counting alone does not settle who is first: concurrent transactions all count zero.
          // The claim below does; this count only spares later registrations from trying it.
          const first = mayBeFirst && (await deps.users.count(trx)) === 0;
          if (!first && !open) {
            throw new AppError("forbidden", "Registration is closed: ask an admin to create your account");
          }
          roles = first ? ["admin", "user"] : ["user"];
          await deps.users.insert(
            { id, email, passwordHash, displayName: body.display_name ?? null, roles },
            trx,
          );
          if (first && !(await deps.claims.claim("first_admin", id, trx))) throw new FirstAdminTaken();
        });
      try {
        try {
          await attempt(true);
        } catch (error) {
          if (!(error instanceof FirstAdminTaken)) throw error;
          // Another registration became the first admin and has committed: this one is a later one.
          await attempt(false);
        }
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError("conflict", "An account with this email already exists");
        throw error;
      }
      const user = await deps.users.findById(id);
      if (!user) throw new Error("registered user vanished");
      const view = toUserView(user, roles);
      await deps.audit.record(actorFor(view, meta), {
        action: "auth.register",
        resourceType: "user",
        resourceId: id,
        details: { email, admin: roles.includes("admin") },
      });
      return startLogin(view, meta);
    },

    async login(input: unknown, meta: RequestMeta): Promise<TokenPair> {
      const body = parseInput(LoginBody, input);
      const email = normalizeEmail(body.email);
      const accountKey = `login:account:${email}`;
      const addressKey = `login:address:${meta.ip ?? "unknown"}`;

      // Counted before the password is checked: counting failures only after the (slow) hash check
      // let concurrent guesses all pass a limit none of them had reached yet. Only failures stay
      // counted, as before; a refused attempt and a success give their counts back.
      const [account, address] = await Promise.all([
        deps.throttle.increment(accountKey, LOGIN_THROTTLE.windowMs),
        deps.throttle.increment(addressKey, LOGIN_THROTTLE.windowMs),
      ]);
      const accountBlocked = account.count > LOGIN_THROTTLE.perAccount;
      const addressBlocked = address.count > LOGIN_THROTTLE.perAddress;
      if (accountBlocked || addressBlocked) {
        const waitMs = Math.max(
          accountBlocked ? account.resetInMs : 0,
          addressBlocked ? address.resetInMs : 0,
        );
        // Otherwise a client refused for its address would still run up any account's count.
        await Promise.all([deps.throttle.release(accountKey), deps.throttle.release(addressKey)]);
        await deps.audit.recordAnonymous({
          action: "auth.login_throttled",
          resourceType: "user",
          actorLabel: email,
          meta,
        });
        throw new AppError("rate_limited", "Too many failed logins; try again later", {
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        });
      }

      const user = await deps.users.findByEmail(email);
      const ok =
        user?.passwordHash != null
          ? await deps.passwords.verify(user.passwordHash, body.password)
          : (await deps.passwords.verifyNothing(body.password), false);
      if (!user || !ok || user.status !== "active") {
        await deps.audit.recordAnonymous({
          action: "auth.login_failed",
          resourceType: "user",
          resourceId: user?.id ?? null,
          actorLabel: email,
          details: { reason: !user ? "unknown_email" : !ok ? "wrong_password" : "disabled" },
          meta,
        });
        // One message for every cause, so it does not tell which emails exist.
        throw new AppError("unauthorized", "Wrong email or password");
      }

      // Signing in also forgives the account's earlier failures.
      await Promise.all([deps.throttle.reset(accountKey), deps.throttle.release(addressKey)]);
      const view = toUserView(user, await deps.users.rolesOf(user.id));
      await deps.audit.record(actorFor(view, meta), {
        action: "auth.login",
        resourceType: "user",
        resourceId: user.id,
      });
      return startLogin(view, meta);
    },

    /**
     * Exchanges a refresh token for a new pair, once. Presenting one that was already exchanged
     * means it leaked (or the client raced itself): the whole login's family is revoked.
     */
    async refresh(input: unknown, meta: RequestMeta): Promise<TokenPair> {
      const body = parseInput(RefreshBody, input);
      const invalid = () => new AppError("unauthorized", "Invalid or expired refresh token");
      const session = await deps.sessions.findByTokenHash(hashOpaqueToken(body.refresh_token));
      if (!session || session.revokedAt) throw invalid();

      const reuse = async () => {
        const revoked = await deps.sessions.revokeFamily(session.userId, session.familyId);
        await deps.audit.recordAnonymous({
          action: "auth.refresh_token_reused",
          resourceType: "session",
          resourceId: session.familyId,
          actorLabel: session.userId,
          details: { user_id: session.userId, sessions_revoked: revoked },
          meta,
        });
        return invalid();
      };
      if (session.rotatedAt) throw await reuse();
      if (session.expiresAt.getTime() <= Date.now()) throw invalid();
      const identity = await deps.identities.byId(session.userId);
      if (!identity || identity.status !== "active") throw invalid();
      if (!(await deps.sessions.markRotated(session.id))) throw await reuse();

      const user = await deps.users.findById(session.userId);
      if (!user) throw invalid();
      const pair = await issueTokens(toUserView(user, identity.roles), meta, session.familyId);
      // A revocation of this login that ran meanwhile (a logout, reuse seen by a concurrent refresh)
      // may have missed the token just inserted. The family row already makes that token useless;
      // checking it once more spares handing out a pair whose login has ended.
      if (await deps.sessions.isFamilyRevoked(session.familyId)) throw invalid();
      return pair;
    },

    /**
     * Ends the login behind the caller's access token: every refresh token of its family. The access
     * token itself lives out its short lifetime (checking sessions per request would cost a read).
     */
    async logout(actor: Actor): Promise<void> {
      if (actor.kind !== "user") return;
      const familyId = actor.sessionId
        ? await deps.sessions.familyOf(actor.userId, actor.sessionId)
        : undefined;
      if (familyId) await deps.sessions.revokeFamily(actor.userId, familyId);
      await deps.audit.record(actor, {
        action: "auth.logout",
        resourceType: "session",
        resourceId: actor.sessionId ?? null,
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
