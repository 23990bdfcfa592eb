import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { HttpApp } from "../../src/http/http-app.js";
import type { TestUser } from "./http-harness.js";

/**
 * An organization created by `owner` over HTTP, with each member invited in its role and accepted
 * (membership is by invitation), so every one of them is active; fails unless each step succeeds.
 */
export async function orgWithMembers(
  app: HttpApp,
  owner: TestUser,
  members: readonly (readonly [TestUser, "admin" | "member"])[],
): Promise<string> {
  const org = await app.inject({
    method: "POST",
    url: "/api/orgs",
    headers: owner.headers,
    payload: { name: `Org ${randomBytes(4).toString("hex")}` },
  });
  expect(org.statusCode, org.body).toBe(201);
  const orgId = org.json<{ id: string }>().id;
  for (const [who, role] of members) {
    const invited = await app.inject({
      method: "POST",
      url: `/api/orgs/${orgId}/members`,
      headers: owner.headers,
      payload: { email: who.email, role },
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const accepted = await app.inject({
      method: "POST",
      url: `/api/orgs/${orgId}/invitation/accept`,
      headers: who.headers,
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
  }
  return orgId;
}
