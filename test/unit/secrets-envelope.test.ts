import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveKey } from "../../src/secrets/derive-key.js";
import {
  connectionAad,
  decryptSecret,
  encryptSecret,
  kidOf,
  SecretDecryptionError,
  type SecretDecryptionFailure,
} from "../../src/secrets/envelope.js";
import { keyHint } from "../../src/secrets/key-hint.js";
import { createKeyring, dataKeyFor } from "../../src/secrets/keyring.js";

// Pure functions over real AES-256-GCM from node:crypto; nothing is faked.

const SECRET = "sk-proj-Th1sIsASecretKeyValue0123456789";
const ID = "0190a6b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b";
const OTHER_ID = "0190a6b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c";
const OWNER = "user:0190a6b2-0000-7000-8000-000000000001";
const OTHER_OWNER = "user:0190a6b2-0000-7000-8000-000000000002";
const AAD = connectionAad(ID, OWNER);

const masterA = randomBytes(32);
const masterB = randomBytes(32);
const keyringA = createKeyring({ current: masterA });
const keyringB = createKeyring({ current: masterB });

/** Runs a decryption that must fail and returns the error, checked to be a SecretDecryptionError. */
function decryptionError(run: () => unknown): SecretDecryptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretDecryptionError);
    return error as SecretDecryptionError;
  }
  throw new Error("expected the decryption to fail");
}

function failureOf(run: () => unknown): SecretDecryptionFailure {
  return decryptionError(run).reason;
}

/** The blob's parts, with one binary part's bytes changed by `edit` and re-encoded. */
function tamper(blob: string, part: 2 | 3, edit: (bytes: Buffer) => void): string {
  const parts = blob.split(":");
  const bytes = Buffer.from(parts[part]!, "base64url");
  edit(bytes);
  parts[part] = bytes.toString("base64url");
  return parts.join(":");
}

describe("createKeyring", () => {
  it("names each key by the first 12 hex characters of sha256(derived key)", () => {
    const derived = deriveKey(masterA, "connection-key-encryption");
    const expected = createHash("sha256").update(derived).digest("hex").slice(0, 12);
    expect(keyringA.currentKid).toBe(expected);
    expect(keyringA.kids).toEqual([expected]);
    expect(keyringA.has(expected)).toBe(true);
    expect(keyringA.has(keyringB.currentKid)).toBe(false);
  });

  it("holds the current key first and ignores duplicate previous keys", () => {
    const rotated = createKeyring({
      current: masterB,
      previous: [masterA, Buffer.from(masterA), masterB],
    });
    expect(rotated.currentKid).toBe(keyringB.currentKid);
    expect(rotated.kids).toEqual([keyringB.currentKid, keyringA.currentKid]);
    expect(rotated.has(keyringA.currentKid)).toBe(true);
  });

  it("refuses a master key that is not 32 bytes, without echoing it", () => {
    const short = Buffer.from("short-master-key");
    expect(() => createKeyring({ current: short })).toThrow(/32 bytes/);
    expect(() => createKeyring({ current: masterA, previous: [short] })).toThrow(/32 bytes/);
  });

  it("shows no key material when logged or serialized", () => {
    const serialized = JSON.stringify(keyringA);
    const dataKey = dataKeyFor(keyringA, keyringA.currentKid)!;
    for (const key of [masterA, dataKey]) {
      expect(serialized).not.toContain(key.toString("hex"));
      expect(serialized).not.toContain(key.toString("base64"));
    }
    expect(Object.isFrozen(keyringA)).toBe(true);
  });
});

describe("encryptSecret / decryptSecret", () => {
  it("round-trips", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    expect(decryptSecret(keyringA, blob, AAD)).toBe(SECRET);
  });

  it("round-trips the empty string and non-ASCII text", () => {
    for (const text of ["", "ключ-🔑-鍵"]) {
      expect(decryptSecret(keyringA, encryptSecret(keyringA, text, AAD), AAD)).toBe(text);
    }
  });

  it("writes v1:<kid>:<96-bit nonce>:<ciphertext + 16-byte tag>, all base64url", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    const parts = blob.split(":");
    expect(parts).toHaveLength(4);
    const [version, kid, nonce, sealed] = parts as [string, string, string, string];
    expect(version).toBe("v1");
    expect(kid).toBe(keyringA.currentKid);
    expect(kid).toMatch(/^[0-9a-f]{12}$/);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(nonce, "base64url")).toHaveLength(12);
    expect(Buffer.from(sealed, "base64url")).toHaveLength(Buffer.byteLength(SECRET) + 16);
    expect(blob).not.toContain(SECRET);
    expect(kidOf(blob)).toBe(keyringA.currentKid);
  });

  it("gives two different ciphertexts for the same plaintext (random nonce)", () => {
    const first = encryptSecret(keyringA, SECRET, AAD);
    const second = encryptSecret(keyringA, SECRET, AAD);
    expect(first).not.toBe(second);
    expect(first.split(":")[2]).not.toBe(second.split(":")[2]);
    expect(decryptSecret(keyringA, second, AAD)).toBe(SECRET);
  });

  it("binds the ciphertext to its row: another id or owner fails authentication", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    expect(failureOf(() => decryptSecret(keyringA, blob, connectionAad(OTHER_ID, OWNER)))).toBe(
      "authentication_failed",
    );
    expect(failureOf(() => decryptSecret(keyringA, blob, connectionAad(ID, OTHER_OWNER)))).toBe(
      "authentication_failed",
    );
    expect(failureOf(() => decryptSecret(keyringA, blob, ""))).toBe("authentication_failed");
  });

  it("fails authentication when the ciphertext, tag or nonce is tampered with", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    const tampered = {
      ciphertext: tamper(blob, 3, (b) => (b[0]! ^= 0x01)),
      tag: tamper(blob, 3, (b) => (b[b.length - 1]! ^= 0x80)),
      nonce: tamper(blob, 2, (b) => (b[5]! ^= 0x10)),
    };
    for (const [what, changed] of Object.entries(tampered)) {
      expect(changed, what).not.toBe(blob);
      expect(
        failureOf(() => decryptSecret(keyringA, changed, AAD)),
        what,
      ).toBe("authentication_failed");
    }
  });

  it("fails authentication when the ciphertext is cut off, leaving only the tag", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    const [, kid, nonce, sealed] = blob.split(":") as [string, string, string, string];
    const tagOnly = Buffer.from(sealed, "base64url").subarray(-16).toString("base64url");
    expect(failureOf(() => decryptSecret(keyringA, `v1:${kid}:${nonce}:${tagOnly}`, AAD))).toBe(
      "authentication_failed",
    );
  });

  it("reports unknown_key for a kid the keyring does not hold", () => {
    const blob = encryptSecret(keyringB, SECRET, AAD);
    const error = decryptionError(() => decryptSecret(keyringA, blob, AAD));
    expect(error.reason).toBe("unknown_key");
    // The kid is a public fingerprint, and what an operator needs to find the missing key.
    expect(error.message).toContain(keyringB.currentKid);
  });

  it("reports a blob re-labelled with another kid as unknown_key or failed authentication", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    const relabelled = blob.replace(keyringA.currentKid, keyringB.currentKid);
    const both = createKeyring({ current: masterA, previous: [masterB] });
    expect(failureOf(() => decryptSecret(keyringA, relabelled, AAD))).toBe("unknown_key");
    expect(failureOf(() => decryptSecret(both, relabelled, AAD))).toBe("authentication_failed");
  });

  it("reports malformed blobs as malformed", () => {
    const good = encryptSecret(keyringA, SECRET, AAD);
    const [, kid, nonce, sealed] = good.split(":") as [string, string, string, string];
    const shortNonce = Buffer.alloc(8).toString("base64url");
    const shortSealed = Buffer.alloc(15).toString("base64url");
    const malformed = [
      "",
      SECRET,
      "v1",
      `v1:${kid}:${nonce}`,
      `${good}:extra`,
      `v2:${kid}:${nonce}:${sealed}`,
      `V1:${kid}:${nonce}:${sealed}`,
      `v1:${kid.toUpperCase()}:${nonce}:${sealed}`,
      `v1:${kid.slice(1)}:${nonce}:${sealed}`,
      `v1:${kid}:${shortNonce}:${sealed}`,
      `v1:${kid}:${nonce}:${shortSealed}`,
      `v1:${kid}:${nonce}:`,
      `v1:${kid}:${nonce}:${sealed}==`,
      `v1:${kid}:${nonce.replace(/^./, "+")}:${sealed}`,
      `v1:${kid}:${nonce}:${sealed.slice(0, -1)}!`,
    ];
    for (const blob of malformed) {
      expect(
        failureOf(() => decryptSecret(keyringA, blob, AAD)),
        blob,
      ).toBe("malformed");
      expect(kidOf(blob), blob).toBeUndefined();
    }
  });

  it("decrypts old ciphertexts with a keyring that keeps the old master key as a previous key", () => {
    const oldBlob = encryptSecret(keyringA, SECRET, AAD);
    const rotated = createKeyring({ current: masterB, previous: [masterA] });
    expect(decryptSecret(rotated, oldBlob, AAD)).toBe(SECRET);
    const newBlob = encryptSecret(rotated, SECRET, AAD);
    expect(kidOf(newBlob)).toBe(keyringB.currentKid);
    expect(decryptSecret(keyringB, newBlob, AAD)).toBe(SECRET);
    expect(failureOf(() => decryptSecret(keyringB, oldBlob, AAD))).toBe("unknown_key");
  });

  it("never puts the plaintext, a key or the ciphertext in an error", () => {
    const blob = encryptSecret(keyringA, SECRET, AAD);
    const [, , nonce, sealed] = blob.split(":") as [string, string, string, string];
    const dataKey = dataKeyFor(keyringA, keyringA.currentKid)!;
    const forbidden = [
      SECRET,
      blob,
      nonce,
      sealed,
      ...[masterA, dataKey].flatMap((k) => [
        k.toString("hex"),
        k.toString("base64"),
        k.toString("base64url"),
      ]),
    ];
    const errors = [
      decryptionError(() => decryptSecret(keyringA, blob, connectionAad(OTHER_ID, OWNER))),
      decryptionError(() =>
        decryptSecret(
          keyringA,
          tamper(blob, 3, (b) => (b[0]! ^= 1)),
          AAD,
        ),
      ),
      decryptionError(() => decryptSecret(keyringB, blob, AAD)),
      decryptionError(() => decryptSecret(keyringA, `${blob}:x`, AAD)),
      decryptionError(() => decryptSecret(keyringA, SECRET, AAD)),
    ];
    expect(errors.map((e) => e.reason)).toEqual([
      "authentication_failed",
      "authentication_failed",
      "unknown_key",
      "malformed",
      "malformed",
    ]);
    for (const error of errors) {
      expect(error.name).toBe("SecretDecryptionError");
      expect(error.cause).toBeUndefined();
      const shown = `${error.message}\n${error.stack ?? ""}\n${JSON.stringify(error)}`;
      for (const text of forbidden) expect(shown).not.toContain(text);
    }
  });
});

describe("connectionAad", () => {
  it("names the table, the row and its owner", () => {
    expect(connectionAad(ID, OWNER)).toBe(`llm_providers:${ID}:${OWNER}`);
    expect(connectionAad(ID, "system")).toBe(`llm_providers:${ID}:system`);
  });

  it("refuses an id with a colon, which would make two rows' AAD ambiguous", () => {
    expect(() => connectionAad("a:b", "system")).toThrow(TypeError);
  });
});

describe("keyHint", () => {
  it("shows the last 4 characters", () => {
    expect(keyHint("sk-proj-abcdefghWXYZ")).toBe("WXYZ");
    expect(keyHint("12345678")).toBe("5678");
  });

  it("shows nothing of a key shorter than 8 characters", () => {
    for (const key of ["", "a", "abcd", "1234567"]) expect(keyHint(key)).toBe("");
  });

  it("counts characters, not UTF-16 code units", () => {
    expect(keyHint("abcdefg🔑")).toBe("efg🔑");
  });
});
