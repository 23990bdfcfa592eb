import { errors, jwtVerify, SignJWT } from "jose";

const ISSUER = "switchyard";
const AUDIENCE = "switchyard";

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

/** A verified token's claims, with when it was issued (JWT's iat: whole seconds since the epoch). */
export interface VerifiedAccessToken extends AccessTokenClaims {
  issuedAt: number;
}

/**
 * Short-lived access tokens: HS256 JWTs signed with a key derived from the master key, so every
 * instance can check one without a database read. Whether the user is still active is checked
 * against the identity cache on each request, so disabling a user takes effect at once anyway.
 */
export interface AccessTokens {
  issue(claims: AccessTokenClaims, ttlSeconds: number): Promise<string>;
  /** The claims of a valid, unexpired token; undefined for anything else. */
  verify(token: string): Promise<VerifiedAccessToken | undefined>;
}

export function createAccessTokens(signingKey: Buffer): AccessTokens {
  const key = new Uint8Array(signingKey);
  return {
    issue: ({ userId, sessionId }, ttlSeconds) =>
      new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    verify: async (token) => {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["HS256"],
        });
        if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return undefined;
        if (typeof payload.iat !== "number") return undefined;
        return { userId: payload.sub, sessionId: payload.sid, issuedAt: payload.iat };
      } catch (error) {
        if (error instanceof errors.JOSEError) return undefined;
        throw error;
      }
    },
  };
}
